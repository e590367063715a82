import TraceModel

/// An in-memory series store: every series with its samples in time order, looked up by metric name and
/// label matchers. Filled from exposition files, from the SQLite store, or by the PromQL test harness.
public final class MetricStore: @unchecked Sendable {
    /// One series: its labels and its samples as parallel arrays (timestamps in ms, ascending).
    public struct StoredSeries: Sendable {
        public var labels: Labels
        public var timestamps: [Int64]
        public var values: [Double]
    }
    public private(set) var series: [StoredSeries] = []
    private var index: [Labels: Int] = [:]
    private var byName: [String: [Int]] = [:]
    /// Samples refused because they were not after the series' last sample (as Prometheus refuses them).
    public private(set) var outOfOrder = 0
    public private(set) var duplicates = 0

    public init() {}

    public init(_ all: [Series]) {
        for one in all { for sample in one.samples { append(one.labels, sample.timestamp, sample.value) } }
    }

    /// Adds a sample; false when it is not after the series' last one (a duplicate timestamp with the same
    /// value is counted as a duplicate, anything else as out of order).
    @discardableResult
    public func append(_ labels: Labels, _ timestamp: Int64, _ value: Double) -> Bool {
        let position: Int
        if let known = index[labels] {
            position = known
        } else {
            position = series.count
            series.append(StoredSeries(labels: labels, timestamps: [], values: []))
            index[labels] = position
            byName[labels.metricName ?? "", default: []].append(position)
        }
        if let last = series[position].timestamps.last, timestamp <= last {
            if timestamp == last, series[position].values.last?.bitPattern == value.bitPattern { duplicates += 1 } else { outOfOrder += 1 }
            return false
        }
        series[position].timestamps.append(timestamp)
        series[position].values.append(value)
        return true
    }

    /// Removes every series.
    public func clear() {
        series = []
        index = [:]
        byName = [:]
    }

    public var sampleCount: Int { series.reduce(0) { $0 + $1.timestamps.count } }

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
