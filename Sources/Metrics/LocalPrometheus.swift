import Foundation
import TraceModel

/// A Prometheus server run on 127.0.0.1 over a recording, as the oracle of the differential test and the
/// anchor of `tracelab bench promql`: the recording is backfilled with `promtool tsdb
/// create-blocks-from openmetrics`, the server is started on its blocks and asked over HTTP with curl.
public final class LocalPrometheus {
    public let port: Int
    private let server: Process

    /// Debian's `promtool` and `prometheus`, or nil when they are not installed.
    public static var tools: (promtool: String, prometheus: String)? {
        func find(_ name: String) -> String? { ["/usr/bin/\(name)", "/usr/local/bin/\(name)"].first { FileManager.default.isExecutableFile(atPath: $0) } }
        guard let promtool = find("promtool"), let prometheus = find("prometheus") else { return nil }
        return (promtool, prometheus)
    }

    /// Backfills `recording` into `work`/data and starts the server; throws when it does not become ready.
    public init(recording: String, work: String, port: Int) throws {
        guard let tools = Self.tools else { throw PromQLError("prometheus and promtool are needed (apt-get install prometheus)") }
        self.port = port
        try? FileManager.default.removeItem(atPath: work + "/data")
        try FileManager.default.createDirectory(atPath: work + "/data", withIntermediateDirectories: true)
        let (status, _) = try Subprocess.run(tools.promtool, ["tsdb", "create-blocks-from", "openmetrics", recording, work + "/data"])
        guard status == 0 else { throw PromQLError("promtool could not backfill \(recording) (exit \(status))") }
        try "global: {}\n".write(toFile: work + "/prometheus.yml", atomically: true, encoding: .utf8)
        server = Process()
        server.executableURL = URL(fileURLWithPath: tools.prometheus)
        server.arguments = ["--config.file=\(work)/prometheus.yml", "--storage.tsdb.path=\(work)/data", "--web.listen-address=127.0.0.1:\(port)",
                            "--storage.tsdb.retention.time=100y", "--log.level=error"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        for _ in 0..<150 {
            if get("/-/ready").contains("Ready") { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        stop()
        throw PromQLError("prometheus did not become ready on 127.0.0.1:\(port)")
    }

    deinit { stop() }

    /// Stops the server (once).
    public func stop() {
        guard server.isRunning else { return }
        server.terminate()
        server.waitUntilExit()
    }

    /// The body of a GET of `path` (with its query string).
    public func get(_ path: String) -> String {
        (try? Subprocess.run("/usr/bin/curl", ["-s", "--max-time", "60", "http://127.0.0.1:\(port)\(path)"]).output) ?? ""
    }

    /// curl's own time for a GET of `path`, in seconds (the body is discarded): starting curl is not counted.
    public func time(_ path: String) -> Double? {
        (try? Subprocess.run("/usr/bin/curl", ["-s", "--max-time", "60", "-o", "/dev/null", "-w", "%{time_total}", "http://127.0.0.1:\(port)\(path)"]).output).flatMap(Double.init)
    }

    /// `/api/v1/query_range` for an expression (times in ms, step in seconds).
    public static func queryRangePath(_ query: String, start: Int64, end: Int64, step: Int) -> String {
        let escaped = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? query
        return "/api/v1/query_range?query=\(escaped)&start=\(QueryOutput.seconds(start))&end=\(QueryOutput.seconds(end))&step=\(step)"
    }

}
