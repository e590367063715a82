/// Per-second counts of one kind of traffic to one destination (SYNs to a port, UDP or ICMP packets to a
/// host). The seconds over the rate threshold are a flood; the capture's other seconds are the
/// destination's own baseline, against which the flood must also stand out.
struct RateTimeline {
    struct Second {
        var second: Int64
        var count: UInt32
        /// Of `count`, the ones that behaved (SYNs whose handshake completed).
        var good: UInt32
        var firstPacket: Int
        var first: UInt64
        var last: UInt64
    }
    /// Sorted by second. Flows finish out of order, so a count may land in an earlier second.
    private(set) var seconds: [Second] = []

    mutating func add(at time: UInt64, packet: Int, good: Bool) {
        let second = Int64(time / 1_000_000_000)
        var index = seconds.count
        if let last = seconds.last, last.second > second {
            var low = 0, high = seconds.count
            while low < high {
                let middle = (low + high) / 2
                if seconds[middle].second < second { low = middle + 1 } else { high = middle }
            }
            index = low
        } else if let last = seconds.last, last.second == second {
            index = seconds.count - 1
        }
        if index < seconds.count, seconds[index].second == second {
            seconds[index].count += 1
            if good { seconds[index].good += 1 }
            if packet < seconds[index].firstPacket { seconds[index].firstPacket = packet }
            seconds[index].first = min(seconds[index].first, time)
            seconds[index].last = max(seconds[index].last, time)
        } else {
            seconds.insert(Second(second: second, count: 1, good: good ? 1 : 0, firstPacket: packet, first: time, last: time), at: index)
        }
    }

    /// The floods in this timeline: runs of seconds at or over `rate` (gaps of one second joined, and a
    /// partial second on either edge taken in when it is itself well over the baseline), with at least
    /// `minimum` counts and a mean rate of at least `relativeFactor` times the baseline.
    /// - Parameter span: the capture's first and last second, for the baseline's zero seconds.
    func floods(span: ClosedRange<Int64>, rate: Double, minimum: Int, relativeFactor: Double, baselineMinimumSeconds: Int) -> [FloodWindow] {
        // Runs of hot seconds, a gap of one second joined.
        var runs: [Range<Int>] = []
        var start: Int?
        var lastHot = 0
        for index in seconds.indices where Double(seconds[index].count) >= rate {
            if start != nil, seconds[index].second - seconds[lastHot].second <= 2 {
                lastHot = index
                continue
            }
            if let start { runs.append(start..<(lastHot + 1)) }
            start = index
            lastHot = index
        }
        if let start { runs.append(start..<(lastHot + 1)) }
        guard !runs.isEmpty else { return [] }
        // The baseline: every other second of the capture (zero when nothing came), leaving out the runs
        // and the second on either side of each, where a flood starts or stops part way.
        var excluded = Set<Int64>()
        for run in runs {
            for second in (seconds[run.lowerBound].second - 1)...(seconds[run.upperBound - 1].second + 1) { excluded.insert(second) }
        }
        let quietSeconds = (span.lowerBound...span.upperBound).count - excluded.filter { span.contains($0) }.count
        let quietCount = seconds.filter { !excluded.contains($0.second) }.reduce(0) { $0 + Int($1.count) }
        let baseline: Double? = quietSeconds >= baselineMinimumSeconds ? Double(quietCount) / Double(quietSeconds) : nil
        var windows: [FloodWindow] = []
        for var run in runs {
            // Edges: the partial seconds where the flood starts and stops.
            let edge = max(1, (baseline ?? 0) * relativeFactor)
            if run.lowerBound > 0, seconds[run.lowerBound - 1].second == seconds[run.lowerBound].second - 1, Double(seconds[run.lowerBound - 1].count) > edge {
                run = (run.lowerBound - 1)..<run.upperBound
            }
            if run.upperBound < seconds.count, seconds[run.upperBound].second == seconds[run.upperBound - 1].second + 1, Double(seconds[run.upperBound].count) > edge {
                run = run.lowerBound..<(run.upperBound + 1)
            }
            let slice = seconds[run]
            let count = slice.reduce(0) { $0 + Int($1.count) }
            guard count >= minimum, let first = slice.first, let last = slice.last else { continue }
            let duration = max(1e-6, Double(last.last - first.first) / 1e9)
            let meanRate = Double(count) / duration
            if let baseline, meanRate < relativeFactor * baseline { continue }
            windows.append(FloodWindow(first: first.first, last: last.last, count: count, good: slice.reduce(0) { $0 + Int($1.good) },
                                       rate: meanRate, peak: Int(slice.map(\.count).max() ?? 0), baseline: baseline,
                                       baselineSeconds: quietSeconds, evidence: slice.prefix(5).map(\.firstPacket)))
        }
        return windows
    }
}

/// One flood found in a `RateTimeline`.
struct FloodWindow {
    var first: UInt64
    var last: UInt64
    var count: Int
    var good: Int
    /// Mean rate over the window, per second, and the busiest second's count.
    var rate: Double
    var peak: Int
    /// The destination's mean rate over the capture's other seconds; nil when there were too few.
    var baseline: Double?
    var baselineSeconds: Int
    /// The first packet of each of the flood's first seconds.
    var evidence: [Int]

    var baselineText: String {
        guard let baseline else { return "no baseline (fewer than the minimum quiet seconds in the capture)" }
        return String(format: "baseline %.2f/s over %d s", baseline, baselineSeconds)
    }
}
