import CGzipStream
#if canImport(Glibc)
import Glibc
#endif
import TraceModel

/// The kinds of input TraceLab recognises, told apart by their first bytes rather than their names.
public enum TraceFormat: String, Sendable {
    case jsonLines = "jsonl"
    case straceLog = "strace"
    case pcap
    case pcapng
    case scap
    case gzip
    case unknown

    /// Reads the start of a file and names its format.
    public static func detect(path: String) throws(TraceLabError) -> TraceFormat {
        guard let file = fopen(path, "rb") else {
            throw TraceLabError("cannot open: \(String(cString: strerror(errno)))", at: SourceLocation(file: path, line: 0, column: 0))
        }
        defer { fclose(file) }
        var head = [UInt8](repeating: 0, count: 512)
        let count = fread(&head, 1, head.count, file)
        if count == 0, ferror(file) != 0 {
            throw TraceLabError("cannot read: \(String(cString: strerror(errno)))", at: SourceLocation(file: path, line: 0, column: 0))
        }
        let format = detect(Array(head[0..<count]))
        // A gzip file is named by what it inflates to when that is a capture (scap files are mostly gzip).
        if format == .gzip, let inflated = tracelab_gzip_fopen(path) {
            defer { fclose(inflated) }
            var inner = [UInt8](repeating: 0, count: CaptureMagic.headLength)
            let read = fread(&inner, 1, inner.count, inflated)
            switch CaptureMagic.kind(Array(inner.prefix(read))) {
            case .scap?: return .scap
            case .pcap?: return .pcap
            case .pcapng?: return .pcapng
            case nil: break
            }
        }
        return format
    }

    /// Names the format of some leading bytes.
    public static func detect(_ head: [UInt8]) -> TraceFormat {
        if head.starts(with: [0x1f, 0x8b]) { return .gzip }
        switch CaptureMagic.kind(head) {
        case .pcap?: return .pcap
        case .pcapng?: return .pcapng
        case .scap?: return .scap
        case nil: break
        }
        guard let first = head.first(where: { $0 != 0x20 && $0 != 0x0a && $0 != 0x0d && $0 != 0x09 }) else { return .unknown }
        if first == UInt8(ascii: "{") { return .jsonLines }
        // strace -f -ttt: "1234  1700000000.123456 openat(..." or "1700000000.123456 execve(...".
        let line = String(decoding: head.prefix { $0 != 0x0a }, as: UTF8.self)
        if line.firstMatch(of: /^(\[pid +)?\d+\]? +\d+\.\d{6} [a-z_0-9]+\(/) != nil || line.firstMatch(of: /^\d+\.\d{6} [a-z_0-9]+\(/) != nil {
            return .straceLog
        }
        return .unknown
    }
}
