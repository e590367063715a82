import TraceModel

/// An in-memory series store: every series with its samples in time order, looked up by metric name and
/// label matchers. Filled from exposition files, from the SQLite store, or by the PromQL test harness.
public final class MetricStore: @unchecked Sendable {
    /// One series: its labels and its samples as parallel arrays (timestamps in ms, ascending).
    public struct StoredSeries: Sendable {
        public var labels: Labels
        public var timestamps: [Int64]
        public var values: [Double]
        /// Whether any value is a stale marker (windows without one are read in place).
        public var hasStaleMarkers = false
    }

    /// Samples `range` of one series, read in place (no copy): a window for the range functions.
    struct Window: RandomAccessCollection {
        let timestamps: [Int64]
        let values: [Double]
        let startIndex: Int
        let endIndex: Int
        subscript(position: Int) -> Sample { Sample(timestamp: timestamps[position], value: values[position]) }
    }
    public private(set) var series: [StoredSeries] = []
    private var index: [Labels: Int] = [:]
    private var byName: [String: [Int]] = [:]
    /// Samples refused because they were not after the series' last sample (as Prometheus refuses them).
    public private(set) var outOfOrder = 0
    public private(set) var duplicates = 0

    public init() {}

    /// The metric names of the stored series, sorted.
    public var metricNames: [String] { byName.keys.sorted() }

    public init(_ all: [Series]) {
        for one in all { for sample in one.samples { append(one.labels, sample.timestamp, sample.value) } }
    }

    /// Adds a sample; false when it is not after the series' last one (a duplicate timestamp with the same
    /// value is counted as a duplicate, anything else as out of order).
    @discardableResult
    public func append(_ labels: Labels, _ timestamp: Int64, _ value: Double) -> Bool {
        append(at: position(of: labels), timestamp, value)
    }

    /// The position of a series, created empty when new.
    public func position(of labels: Labels) -> Int {
        if let known = index[labels] { return known }
        let position = series.count
        series.append(StoredSeries(labels: labels, timestamps: [], values: []))
        index[labels] = position
        byName[labels.metricName ?? "", default: []].append(position)
        return position
    }

    /// Adds a sample to the series at `position` (see `append(_:_:_:)`).
    @discardableResult
    public func append(at position: Int, _ timestamp: Int64, _ value: Double) -> Bool {
        if let last = series[position].timestamps.last, timestamp <= last {
            if timestamp == last, series[position].values.last?.bitPattern == value.bitPattern { duplicates += 1 } else { outOfOrder += 1 }
            return false
        }
        series[position].timestamps.append(timestamp)
        series[position].values.append(value)
        if value.bitPattern == staleNaN.bitPattern { series[position].hasStaleMarkers = true }
        return true
    }

    /// Removes every series.
    public func clear() {
        series = []
        index = [:]
        byName = [:]
    }

    public var sampleCount: Int { series.reduce(0) { $0 + $1.timestamps.count } }

    /// The first and last sample times of the whole store (ms); nil when it is empty.
    public var timeRange: ClosedRange<Int64>? {
        guard let first = series.compactMap(\.timestamps.first).min(), let last = series.compactMap(\.timestamps.last).max() else { return nil }
        return first...last
    }

    /// Reads a metrics file (OpenMetrics or Prometheus text) into a store (a new one unless given); a file
    /// without a single sample is an error. The outcome's problems name bad lines and dropped samples.
    public static func load(path: String, into store: MetricStore = MetricStore(), format: ExpositionReader.Format = .automatic)
        throws(TraceLabError) -> (store: MetricStore, outcome: ExpositionReader.Outcome) {
        guard let bytes = FileBytes.read(path) else { throw TraceLabError("cannot read the metrics file", at: SourceLocation(file: path, line: 0, column: 0)) }
        let outcome = ExpositionReader().read(bytes, name: path, into: store, format: format)
        guard outcome.samples > 0 else {
            throw TraceLabError("no samples read" + (outcome.problems.first.map { " (\($0))" } ?? ""), at: SourceLocation(file: path, line: 0, column: 0))
        }
        return (store, outcome)
    }

    /// True for the files TraceLab reads as metrics: `.om` (OpenMetrics) and `.prom` (Prometheus text).
    public static func isMetricsFile(_ path: String) -> Bool { path.hasSuffix(".om") || path.hasSuffix(".prom") }

    /// The median spacing of consecutive samples (the scrape interval of a recording), rounded to the
    /// millisecond; nil without two samples in a series.
    public var typicalSpacing: Int64? {
        var gaps: [Int64] = []
        for one in series.prefix(200) where one.timestamps.count >= 2 {
            for index in 1..<min(one.timestamps.count, 200) { gaps.append(one.timestamps[index] - one.timestamps[index - 1]) }
        }
        guard !gaps.isEmpty else { return nil }
        let median = gaps.sorted()[gaps.count / 2]
        return (median + 500) / 1000 * 1000 > 0 ? (median + 500) / 1000 * 1000 : median
    }

    /// Positions of the series that satisfy every matcher, in label order.
    func select(_ matchers: [LabelMatcher]) -> [Int] {
        let candidates: [Int]
        if let name = matchers.first(where: { $0.name == Labels.metricNameLabel && $0.kind == .equal }) {
            candidates = byName[name.value] ?? []
        } else {
            candidates = Array(series.indices)
        }
        return candidates.filter { position in matchers.allSatisfy { $0.matches(series[position].labels[$0.name] ?? "") } }
            .sorted { series[$0].labels < series[$1].labels }
    }
}
