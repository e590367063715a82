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
        return detect(Array(head[0..<count]))
    }

    /// Names the format of some leading bytes.
    public static func detect(_ head: [UInt8]) -> TraceFormat {
        if head.starts(with: [0x1f, 0x8b]) { return .gzip }
        if head.count >= 4 {
            let magic = head[0..<4]
            if [[0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0xc3, 0xd4], [0x4d, 0x3c, 0xb2, 0xa1], [0xa1, 0xb2, 0x3c, 0x4d]].contains(where: { magic.elementsEqual($0) }) {
                return .pcap
            }
            if magic.elementsEqual([0x0a, 0x0d, 0x0d, 0x0a]) {
                // pcapng and scap share the section header block; the block after it tells them apart:
                // pcapng continues with interface/packet blocks (types 1-6), scap with its own (0x201 and up).
                guard head.count >= 8 else { return .pcapng }
                let headerLength = Int(head[4]) | Int(head[5]) << 8 | Int(head[6]) << 16 | Int(head[7]) << 24
                guard headerLength >= 28, head.count >= headerLength + 4 else { return .pcapng }
                let next = UInt32(head[headerLength]) | UInt32(head[headerLength + 1]) << 8
                    | UInt32(head[headerLength + 2]) << 16 | UInt32(head[headerLength + 3]) << 24
                return next >= 0x200 ? .scap : .pcapng
            }
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
