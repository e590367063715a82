import Foundation
import TraceModel

/// The numerics behind PromQL's functions and aggregations, as Prometheus computes them (`promql/functions.go`,
/// `promql/quantile.go`): Kahan-compensated sums and means, rate extrapolation, least squares, quantiles.
enum PromQLMath {
    /// The mean as Prometheus 3 takes it: a Kahan sum divided by the count while the sum stays finite,
    /// switching to an incremental (Kahan-compensated) mean when it would overflow.
    static func average<Values: Sequence>(_ values: Values) -> Double where Values.Element == Double {
        var sum = KahanSum()
        var mean = KahanSum()
        var incremental = false
        var count = 0.0
        for value in values {
            count += 1
            if !incremental {
                let next = sum.sum + value
                if next.isInfinite && !value.isInfinite && !sum.sum.isInfinite {
                    incremental = true
                    mean = KahanSum()
                    mean.add(sum.value / (count - 1))
                } else {
                    sum.add(value)
                    continue
                }
            }
            let current = mean.value
            if current.isInfinite {
                if value.isInfinite && (current > 0) == (value > 0) { continue }
                if !value.isInfinite && !value.isNaN { continue }
            }
            mean.add(value / count - current / count)
        }
        return incremental ? mean.value : sum.value / count
    }

    /// `rate`, `increase` and `delta` over samples `first...last` of parallel arrays: the change over the
    /// window (counter resets added back for counters), extrapolated to its edges when the first and last
    /// samples are near them (Prometheus 3 order: the 1.1-interval threshold first, then the zero point of a
    /// counter; `zeroPointFirst` is Prometheus 2's order).
    static func extrapolatedRate(timestamps: [Int64], values: [Double], first: Int, last: Int, start: Int64, end: Int64,
                                 counter: Bool, rate: Bool, zeroPointFirst: Bool) -> Double? {
        guard last > first else { return nil }
        var result = values[last] - values[first]
        if counter {
            var previous = values[first]
            for index in (first + 1)...last {
                let value = values[index]
                if value < previous { result += previous }
                previous = value
            }
        }
        return extrapolate(result, firstTime: timestamps[first], lastTime: timestamps[last], firstValue: values[first], count: last - first + 1,
                           start: start, end: end, counter: counter, rate: rate, zeroPointFirst: zeroPointFirst)
    }

    /// The extrapolation of a window's change to its edges.
    static func extrapolate(_ result: Double, firstTime: Int64, lastTime: Int64, firstValue: Double, count: Int, start: Int64, end: Int64,
                            counter: Bool, rate: Bool, zeroPointFirst: Bool) -> Double {
        var durationToStart = Double(firstTime - start) / 1000
        var durationToEnd = Double(end - lastTime) / 1000
        let sampled = Double(lastTime - firstTime) / 1000
        let average = sampled / Double(count - 1)
        let threshold = average * 1.1
        let clampToZero = counter && result > 0 && firstValue >= 0
        let durationToZero = clampToZero ? sampled * (firstValue / result) : .infinity
        if zeroPointFirst {
            if durationToZero < durationToStart { durationToStart = durationToZero }
            if durationToStart >= threshold { durationToStart = average / 2 }
        } else {
            if durationToStart >= threshold { durationToStart = average / 2 }
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        if durationToEnd >= threshold { durationToEnd = average / 2 }
        var factor = (sampled + durationToStart + durationToEnd) / sampled
        if rate { factor /= Double(end - start) / 1000 }
        return result * factor
    }

    /// The population variance (Welford's running mean with Kahan-compensated sums, as Prometheus's stdvar).
    static func variance<Values: Sequence>(_ values: Values) -> Double where Values.Element == Double {
        var count = 0.0
        var mean = KahanSum(), deviations = KahanSum()
        for value in values {
            count += 1
            let delta = value - mean.value
            mean.add(delta / count)
            deviations.add(delta * (value - mean.value))
        }
        return deviations.value / count
    }

    /// Least squares over the samples, x in seconds from `reference`, with Kahan sums.
    static func linearRegression<Window: Collection>(_ samples: Window, reference: Int64) -> (slope: Double, intercept: Double) where Window.Element == Sample {
        var n = 0.0
        var sumX = KahanSum(), sumY = KahanSum(), sumXY = KahanSum(), sumX2 = KahanSum()
        var constant = true
        let initial = samples.first?.value ?? 0
        for sample in samples {
            if sample.value != initial { constant = false }
            n += 1
            let x = Double(sample.timestamp - reference) / 1000
            sumX.add(x)
            sumY.add(sample.value)
            sumXY.add(x * sample.value)
            sumX2.add(x * x)
        }
        if constant && initial.isFinite { return (0, initial) }
        let covariance = sumXY.value - sumX.value * sumY.value / n
        let variance = sumX2.value - sumX.value * sumX.value / n
        let slope = covariance / variance
        let intercept = sumY.value / n - slope * sumX.value / n
        return (slope, intercept)
    }

    /// Prometheus's quantile: linear interpolation between the ranks around φ·(n−1).
    static func quantile(_ phi: Double, _ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        if phi.isNaN { return .nan }
        if phi < 0 { return -.infinity }
        if phi > 1 { return .infinity }
        let sorted = values.sorted { ($0.isNaN ? -Double.infinity : $0) < ($1.isNaN ? -Double.infinity : $1) }
        let n = Double(sorted.count)
        let rank = phi * (n - 1)
        let lower = max(0, Int(rank.rounded(.down)))
        let upper = min(Int(n) - 1, lower + 1)
        let weight = rank - rank.rounded(.down)
        return sorted[lower] * (1 - weight) + sorted[upper] * weight
    }

    /// Classic-bucket histogram_quantile over (upper bound, cumulative count) pairs.
    static func bucketQuantile(_ phi: Double, _ buckets: [(upper: Double, count: Double)]) -> Double {
        if phi.isNaN { return .nan }
        if phi < 0 { return -.infinity }
        if phi > 1 { return .infinity }
        var sorted = buckets.sorted { $0.upper < $1.upper }
        guard sorted.count >= 2, sorted.last?.upper == .infinity else { return .nan }
        // Merge equal bounds and force monotonic counts, as Prometheus does.
        var merged: [(upper: Double, count: Double)] = []
        for bucket in sorted {
            if let last = merged.last, last.upper == bucket.upper { merged[merged.count - 1].count += bucket.count } else { merged.append(bucket) }
        }
        sorted = merged
        var maximum = -Double.infinity
        for index in sorted.indices {
            if sorted[index].count < maximum { sorted[index].count = maximum } else { maximum = sorted[index].count }
        }
        guard let total = sorted.last?.count, total > 0 else { return .nan }
        let rank = phi * total
        let bucket = sorted.firstIndex { $0.count >= rank } ?? sorted.count - 1
        if bucket == sorted.count - 1 { return sorted[sorted.count - 2].upper }
        if bucket == 0 && sorted[0].upper <= 0 { return sorted[0].upper }
        var bucketStart = 0.0
        let bucketEnd = sorted[bucket].upper
        var count = sorted[bucket].count
        var rankInBucket = rank
        if bucket > 0 {
            bucketStart = sorted[bucket - 1].upper
            count -= sorted[bucket - 1].count
            rankInBucket -= sorted[bucket - 1].count
        }
        return bucketStart + (bucketEnd - bucketStart) * (rankInBucket / count)
    }

    /// Date functions on a time in seconds (UTC).
    static func date(_ name: String, _ seconds: Double) -> Double {
        guard seconds.isFinite else { return .nan }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let date = Date(timeIntervalSince1970: seconds.rounded(.down))
        let parts = calendar.dateComponents([.minute, .hour, .weekday, .day, .month, .year], from: date)
        switch name {
        case "minute": return Double(parts.minute ?? 0)
        case "hour": return Double(parts.hour ?? 0)
        case "day_of_week": return Double((parts.weekday ?? 1) - 1)
        case "day_of_month": return Double(parts.day ?? 0)
        case "day_of_year": return Double(calendar.ordinality(of: .day, in: .year, for: date) ?? 0)
        case "days_in_month": return Double(calendar.range(of: .day, in: .month, for: date)?.count ?? 0)
        case "month": return Double(parts.month ?? 0)
        case "year": return Double(parts.year ?? 0)
        default: return .nan
        }
    }
}
