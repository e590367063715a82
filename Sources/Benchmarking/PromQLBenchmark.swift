import Foundation
import Metrics
import TraceModel

/// The lab's dashboard queries over generated one-second samples (one hour of 1,000 series by default),
/// evaluated as range queries by our engine and by a local Prometheus (`query_range` over HTTP) on the same data.
public struct PromQLBenchmark {
    /// Series to generate (half CPU counters, half memory gauges).
    public var series = 1000
    /// Seconds of data, one sample per second.
    public var seconds = 3600
    /// Range query step in seconds (Grafana's for a one-hour panel is about 15 s).
    public var step = 15
    public var repeats = 5
    /// Threads a range query may use.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Where the data and Prometheus's blocks are written.
    public var work = "/tmp/tracelab-bench-promql"

    public static let queries = [
        #"sum(rate(container_cpu_usage_seconds_total{namespace="default"}[1m])) by (pod)"#,
        #"sum(container_memory_usage_bytes{namespace="default"}) by (pod)"#,
        #"topk(5, sum by (pod) (rate(container_cpu_usage_seconds_total[1m])))"#,
        #"sum by (pod) (rate(container_cpu_usage_seconds_total{container!=""}[5m]))"#,
        #"max_over_time(container_memory_usage_bytes{namespace="default"}[5m])"#,
    ]

    public init() {}

    public func run(output: BenchmarkOutput) throws {
        guard LocalPrometheus.tools != nil else { throw BenchmarkError("prometheus and promtool are needed (apt-get install prometheus)") }
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let file = work + "/bench.om"
        let start: Int64 = 1_700_000_000
        try Self.generate(series: series, seconds: seconds, start: start).write(toFile: file, atomically: true, encoding: .utf8)
        let store = MetricStore()
        var clock = monotonicSeconds()
        guard let bytes = FileBytes.read(file) else { throw BenchmarkError("cannot read \(file)") }
        let outcome = ExpositionReader().read(bytes, name: file, into: store)
        output(String(format: "data: %d series, %d samples; read in %.2f s", store.series.count, outcome.samples, monotonicSeconds() - clock))
        let prometheus = try LocalPrometheus(recording: file, work: work, port: 19191)
        defer { prometheus.stop() }
        let engine = PromQLEngine(store: store)
        engine.threads = threads
        // Off the sample grid by half a second, as a Grafana panel's aligned steps usually are not on scrapes.
        let from = (start + 600) * 1000 + 500, to = (start + Int64(seconds)) * 1000 - 500
        var rows: [[String]] = []
        var totals = (ours: 0.0, theirs: 0.0)
        for query in Self.queries {
            var ours: [Double] = [], theirs: [Double] = []
            var points = 0
            for _ in 0..<max(1, repeats) {
                clock = monotonicSeconds()
                let expr = try PromQLParser.parse(query)
                let result = try engine.range(expr, start: from, end: to, step: Int64(step) * 1000)
                _ = QueryOutput.prometheusJSON(.matrix(result))
                ours.append(monotonicSeconds() - clock)
                points = result.reduce(0) { $0 + $1.samples.count }
                // curl's own timing of the request, so starting curl is not counted against Prometheus.
                guard let seconds = prometheus.time(LocalPrometheus.queryRangePath(query, start: from, end: to, step: step)) else {
                    throw BenchmarkError("no answer from prometheus for \(query)")
                }
                theirs.append(seconds)
            }
            totals.ours += median(ours)
            totals.theirs += median(theirs)
            rows.append([query, String(points), String(format: "%.1f", median(ours) * 1000), String(format: "%.1f", median(theirs) * 1000)])
        }
        rows.append(["all five", "", String(format: "%.1f", totals.ours * 1000), String(format: "%.1f", totals.theirs * 1000)])
        output(textTable(["query (range: 50 min, step \(step) s)", "points", "tracelab ms (\(threads) thread\(threads == 1 ? "" : "s"))", "prometheus ms"], rows))
        output("tracelab: parse, evaluation and JSON rendering in process; prometheus: query_range over HTTP on 127.0.0.1, curl's time_total (median of \(repeats))")
    }

    /// Deterministic data: CPU counters growing at per-container rates with a DoS burst in one pod, and
    /// memory gauges with a slow drift; OpenMetrics, seconds timestamps.
    static func generate(series: Int, seconds: Int, start: Int64) -> String {
        let pods = max(1, series / 4)
        var lines = ["# TYPE container_cpu_usage_seconds counter"]
        lines.reserveCapacity(series * seconds + 4)
        for pod in 0..<pods {
            for container in 0..<2 {
                let labels = "namespace=\"\(pod % 5 == 0 ? "kube-system" : "default")\",pod=\"pod-\(pod)\",container=\"c\(container)\""
                var value = 0.0
                for second in 0..<seconds {
                    let burst = pod == 7 && second >= 1200 && second < 2400
                    value += burst ? 0.98 : 0.01 + Double((pod * 7 + container * 3 + second % 13) % 17) / 1000
                    lines.append("container_cpu_usage_seconds_total{\(labels)} \(value) \(start + Int64(second))")
                }
            }
        }
        lines.append("# TYPE container_memory_usage_bytes gauge")
        for pod in 0..<pods {
            for container in 0..<2 {
                let labels = "namespace=\"\(pod % 5 == 0 ? "kube-system" : "default")\",pod=\"pod-\(pod)\",container=\"c\(container)\""
                for second in 0..<seconds {
                    let value = 20_000_000 + pod * 10_000 + container * 1000 + (second * 37 + pod) % 4096
                    lines.append("container_memory_usage_bytes{\(labels)} \(value) \(start + Int64(second))")
                }
            }
        }
        lines.append("# EOF")
        return lines.joined(separator: "\n") + "\n"
    }
}
