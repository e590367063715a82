import TraceModel

/// A reader that yields a trace's events one at a time.
public protocol EventStream: AnyObject, Sendable {
    /// The next event, or nil at the end.
    func next() throws(TraceLabError) -> Event?
    /// What the trace says about itself.
    var traceHeader: TraceHeader? { get }
    /// Bytes of the input read so far.
    var bytesRead: UInt64 { get }
    /// Problems that did not stop reading, each with its location.
    var warnings: [TraceLabError] { get }
    /// When set, `next()` returns only events whose type it accepts. The others are still read (they count in
    /// `evt.num` and keep the thread and fd tables right); a scap reader does not even build them.
    var wants: ((String) -> Bool)? { get set }
    /// Events read so far, those `wants` turned away included.
    var eventsRead: Int { get }
}

extension JSONLinesReader: EventStream {
    public var traceHeader: TraceHeader? { header }
    public var warnings: [TraceLabError] { [] }
}

extension StraceReader: EventStream {
    public var traceHeader: TraceHeader? { header }
}

/// Opens trace files by their content.
public enum TraceFiles {
    /// The sidecar an strace log uses when none is named: `FILE.sidecar.json`, or `FILE` without its
    /// extension plus `.sidecar.json`.
    public static func defaultSidecar(for path: String) -> String? {
        var candidates = [path + ".sidecar.json"]
        if let dot = path.lastIndex(of: "."), !path[dot...].contains("/") { candidates.append(String(path[..<dot]) + ".sidecar.json") }
        return candidates.first { FileBytes.read($0) != nil }
    }

    /// A reader for a JSON Lines trace or an strace log (with its sidecar).
    public static func open(_ path: String, sidecar: String? = nil) throws(TraceLabError) -> (stream: EventStream, format: TraceFormat) {
        let format = try TraceFormat.detect(path: path)
        switch format {
        case .jsonLines:
            return (try JSONLinesReader(path: path), format)
        case .straceLog:
            let sidecarPath = sidecar ?? defaultSidecar(for: path)
            let loaded = try sidecarPath.map { (file) throws(TraceLabError) in try StraceSidecar.load(path: file) } ?? StraceSidecar()
            return (try StraceReader(path: path, sidecar: loaded, missingSidecar: sidecarPath == nil ? path + ".sidecar.json" : nil), format)
        case .pcap, .pcapng:
            throw TraceLabError("a packet capture, not syscall events: `tracelab detect`, `flows`, `query` and `ingest` read it", at: SourceLocation(file: path, line: 0, column: 0))
        case .scap:
            return (try ScapReader(path: path), format)
        case .gzip:
            throw TraceLabError("a gzip file that holds neither a trace nor a capture TraceLab reads", at: SourceLocation(file: path, line: 0, column: 0))
        case .unknown:
            throw TraceLabError("not a trace TraceLab recognises (JSON Lines records or an strace -f -ttt log)", at: SourceLocation(file: path, line: 0, column: 0))
        }
    }
}
