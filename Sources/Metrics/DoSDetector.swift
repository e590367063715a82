import TraceModel

/// Finds denial-of-service pods in recorded container metrics, as the lab's DoS scenario shows them:
/// a pod whose CPU use, or memory, stands far above the recording's own baseline for a while.
///
/// CPU: per pod, `sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!=""}[1m]))`
/// at the recording's scrape interval (containers only: cAdvisor's pod-level series would count twice).
/// The pod's baseline is its own median when it lived through at least half the recording (a burst
/// shorter than that does not move a median); a pod born for the attack is measured against the other
/// pods' typical use. A stretch of at least
/// `minimumDuration` above `max(cpuMinimum, relativeFactor × baseline)` is a detection.
/// Memory: the pod's working set (`container_memory_working_set_bytes{container!=""}`) growing by at
/// least `memoryGrowthMinimum` over its first values.
public struct DoSDetector {
    public struct Settings: Sendable {
        /// Cores: below this nothing is a DoS however quiet the baseline (a busy web server is not one).
        public var cpuMinimum = 0.5
        /// Times the baseline.
        public var relativeFactor = 5.0
        /// Milliseconds above the threshold.
        public var minimumDuration: Int64 = 60_000
        /// Bytes of working-set growth.
        public var memoryGrowthMinimum = 256.0 * 1024 * 1024
        /// The rate window.
        public var rateWindow = "1m"
        public init() {}
    }

    public var settings = Settings()
    public init(settings: Settings = Settings()) { self.settings = settings }

    /// Detections in the store's data, by onset then pod.
    public func run(_ store: MetricStore) throws(PromQLError) -> [Detection] {
        guard let range = store.timeRange, let step = store.typicalSpacing, range.upperBound > range.lowerBound else { return [] }
        let first = range.lowerBound, last = range.upperBound
        let engine = PromQLEngine(store: store)
        let cpu = try engine.range(try PromQLParser.parse("sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!=\"\"}[\(settings.rateWindow)]))"),
                                   start: first, end: last, step: step)
        var out = cpuDetections(cpu, step: step)
        let memory = try engine.range(try PromQLParser.parse("sum by (namespace, pod) (container_memory_working_set_bytes{container!=\"\"})"),
                                      start: first, end: last, step: step)
        out += memoryDetections(memory, step: step)
        return out.sorted { ($0.first, $0.namespace, $0.pod, $0.technique) < ($1.first, $1.namespace, $1.pod, $1.technique) }
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    func cpuDetections(_ series: [RangeElement], step: Int64) -> [Detection] {
        // The typical pod: the median of every pod's median.
        let cluster = Self.median(series.compactMap { Self.median($0.samples.map(\.value)) }) ?? 0
        let span = Double(max(1, (series.compactMap(\.samples.last?.timestamp).max() ?? 0) - (series.compactMap(\.samples.first?.timestamp).min() ?? 0)))
        var out: [Detection] = []
        for one in series {
            // A pod that lived through most of the recording is its own baseline (its median: a burst shorter
            // than half its life does not move it); a pod born for the attack is measured against the others.
            let lifetime = Double((one.samples.last?.timestamp ?? 0) - (one.samples.first?.timestamp ?? 0))
            let own = lifetime >= span / 2 ? Self.median(one.samples.map(\.value)) : nil
            let others = Self.median(series.filter { $0.labels != one.labels }.compactMap { Self.median($0.samples.map(\.value)) }) ?? cluster
            let baseline = own ?? others
            let threshold = max(settings.cpuMinimum, settings.relativeFactor * baseline)
            for run in runs(one.samples, step: step, { $0 > threshold }) {
                guard let firstIndex = run.first, let lastIndex = run.last else { continue }
                let onset = one.samples[firstIndex].timestamp, end = one.samples[lastIndex].timestamp
                guard end - onset + step >= settings.minimumDuration else { continue }
                let values = run.map { one.samples[$0].value }
                out.append(Self.detection(one.labels, signal: "cpu", onset: onset, end: end, values: values, baseline: baseline,
                                          baselineSource: own != nil ? "the pod's own median" : "the other pods' median"))
            }
        }
        return out
    }

    func memoryDetections(_ series: [RangeElement], step: Int64) -> [Detection] {
        var out: [Detection] = []
        for one in series where one.samples.count >= 4 {
            // The pod's starting working set: the median of its first fifth (at least three points).
            let head = one.samples.prefix(max(3, one.samples.count / 5)).map(\.value)
            guard let baseline = Self.median(head) else { continue }
            let grown = runs(one.samples, step: step) { $0 - baseline >= settings.memoryGrowthMinimum }
            for run in grown {
                guard let firstIndex = run.first, let lastIndex = run.last else { continue }
                let values = run.map { one.samples[$0].value - baseline }
                out.append(Self.detection(one.labels, signal: "memory", onset: one.samples[firstIndex].timestamp, end: one.samples[lastIndex].timestamp,
                                          values: values, baseline: baseline, baselineSource: "the pod's first values"))
            }
        }
        return out
    }

    /// A pod's DoS over a stretch of values (times in ms): target `namespace/pod`, technique the signal.
    static func detection(_ labels: Labels, signal: String, onset: Int64, end: Int64, values: [Double], baseline: Double, baselineSource: String) -> Detection {
        let namespace = labels["namespace"] ?? "", pod = labels["pod"] ?? labels.description
        let peak = values.max() ?? 0, mean = values.reduce(0, +) / Double(max(1, values.count))
        let unit = signal == "cpu" ? "cores" : "bytes"
        let summary = "\(namespace)/\(pod) \(signal) DoS from \(formatISOTime(milliseconds: onset)) for \((end - onset) / 1000) s: peak \(SVGChart.trim(peak)) \(unit), mean \(SVGChart.trim(mean)), baseline \(SVGChart.trim(baseline)) (\(baselineSource))"
        return Detection(kind: signal == "cpu" ? .cpuDoS : .memoryDoS, technique: signal, targets: [namespace + "/" + pod],
                         first: UInt64(max(0, onset)) * 1_000_000, last: UInt64(max(0, end)) * 1_000_000, summary: summary,
                         peak: peak, mean: mean, baseline: baseline, baselineSource: baselineSource)
    }

    /// Runs of consecutive points (a missing step or one point below joined) where `hot` holds.
    func runs(_ samples: [Sample], step: Int64, _ hot: (Double) -> Bool) -> [[Int]] {
        var out: [[Int]] = []
        var current: [Int] = []
        for (index, sample) in samples.enumerated() where hot(sample.value) {
            if let last = current.last, sample.timestamp - samples[last].timestamp <= 2 * step {
                current.append(index)
            } else {
                if !current.isEmpty { out.append(current) }
                current = [index]
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }
}
