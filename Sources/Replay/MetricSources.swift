import Metrics
import Packets
import Store
import TraceModel

/// Where PromQL, the DoS detector and dashboards get their series: metric recordings (OpenMetrics or Prometheus
/// text, several scrapes concatenated), packet captures (their per-host, per-second `pcap_*` series) and the
/// course database. One loader, so `query`, `detect` and `dashboard` read the same sources the same way.
public enum MetricSources {
    /// Loads a metrics file or a capture into `store`; returns the problems that did not stop reading (each with
    /// its file and line).
    public static func load(_ path: String, into store: MetricStore) throws -> [String] {
        if CaptureReader.isCapture(path) {
            var options = CaptureAnalysis.Options(keepFlows: false)
            options.metricsCapture = CaptureReader.name(of: path)
            let analysis = try CaptureAnalysis.run(path: path, options: options)
            append(analysis.series, to: store)
            return analysis.problems.map { "\(path): \($0)" }
        }
        return try MetricStore.load(path: path, into: store).outcome.problems.map { "\($0)" }
    }

    /// Loads every series stored in the database into `store`.
    public static func load(database: TraceStore, into store: MetricStore) throws(StoreError) {
        append(try database.series(), to: store)
    }

    private static func append(_ series: [Series], to store: MetricStore) {
        for one in series {
            for sample in one.samples { store.append(one.labels, sample.timestamp, sample.value) }
        }
    }
}
