import Foundation
import TraceModel

/// PromQL's functions: their signatures (for the parser's type checks) and the range-vector and
/// element-wise computations (Prometheus's `promql/functions.go` semantics).
public enum PromQLFunctions {
    struct Signature {
        var arguments: [ValueType]
        var optional = 0
        var variadic = false
        var returns: ValueType
    }

    static let table: [String: Signature] = {
        var table: [String: Signature] = [:]
        let v = ValueType.vector, m = ValueType.matrix, s = ValueType.scalar, str = ValueType.string
        for name in ["abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn", "acos", "acosh", "asin", "asinh", "atan", "atanh",
                     "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg", "rad", "timestamp", "sort", "sort_desc", "absent"] {
            table[name] = Signature(arguments: [v], returns: v)
        }
        for name in ["rate", "irate", "increase", "delta", "idelta", "deriv", "changes", "resets", "avg_over_time", "sum_over_time",
                     "count_over_time", "min_over_time", "max_over_time", "last_over_time", "first_over_time", "present_over_time",
                     "stddev_over_time", "stdvar_over_time", "absent_over_time"] {
            table[name] = Signature(arguments: [m], returns: v)
        }
        for name in ["minute", "hour", "day_of_week", "day_of_month", "day_of_year", "days_in_month", "month", "year"] {
            table[name] = Signature(arguments: [v], optional: 1, returns: v)
        }
        table["round"] = Signature(arguments: [v, s], optional: 1, returns: v)
        table["clamp"] = Signature(arguments: [v, s, s], returns: v)
        table["clamp_min"] = Signature(arguments: [v, s], returns: v)
        table["clamp_max"] = Signature(arguments: [v, s], returns: v)
        table["predict_linear"] = Signature(arguments: [m, s], returns: v)
        table["quantile_over_time"] = Signature(arguments: [s, m], returns: v)
        table["histogram_quantile"] = Signature(arguments: [s, v], returns: v)
        table["label_replace"] = Signature(arguments: [v, str, str, str, str], returns: v)
        table["label_join"] = Signature(arguments: [v, str, str, str], variadic: true, returns: v)
        table["sort_by_label"] = Signature(arguments: [v, str], variadic: true, returns: v)
        table["sort_by_label_desc"] = Signature(arguments: [v, str], variadic: true, returns: v)
        table["time"] = Signature(arguments: [], returns: s)
        table["pi"] = Signature(arguments: [], returns: s)
        table["vector"] = Signature(arguments: [s], returns: v)
        table["scalar"] = Signature(arguments: [v], returns: s)
        return table
    }()

    /// Functions whose results keep the metric name; all others drop it.
    static let keepName: Set<String> = ["last_over_time", "first_over_time", "label_replace", "label_join", "sort", "sort_desc", "sort_by_label", "sort_by_label_desc"]

    /// Element-wise math on instant vectors.
    static func elementwise(_ name: String) -> ((Double) -> Double)? {
        switch name {
        case "abs": return { Swift.abs($0) }
        case "ceil": return { $0.rounded(.up) }
        case "floor": return { $0.rounded(.down) }
        case "exp": return { Foundation.exp($0) }
        case "ln": return { Foundation.log($0) }
        case "log2": return { Foundation.log2($0) }
        case "log10": return { Foundation.log10($0) }
        case "sqrt": return { $0.squareRoot() }
        case "sgn": return { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
        case "acos": return { Foundation.acos($0) }
        case "acosh": return { Foundation.acosh($0) }
        case "asin": return { Foundation.asin($0) }
        case "asinh": return { Foundation.asinh($0) }
        case "atan": return { Foundation.atan($0) }
        case "atanh": return { Foundation.atanh($0) }
        case "cos": return { Foundation.cos($0) }
        case "cosh": return { Foundation.cosh($0) }
        case "sin": return { Foundation.sin($0) }
        case "sinh": return { Foundation.sinh($0) }
        case "tan": return { Foundation.tan($0) }
        case "tanh": return { Foundation.tanh($0) }
        case "deg": return { $0 * 180 / .pi }
        case "rad": return { $0 * .pi / 180 }
        default: return nil
        }
    }

    /// The functions of a window's values alone, computed straight from the value array.
    static let valueOnly: Set<String> = ["sum_over_time", "count_over_time", "min_over_time", "max_over_time", "last_over_time", "first_over_time",
                                         "present_over_time", "avg_over_time"]

    /// A value-only range function (see `valueOnly`) over a slice of values, without building samples.
    static func overValues(_ name: String, _ values: ArraySlice<Double>) -> Double? {
        guard let first = values.first, let last = values.last else { return nil }
        switch name {
        case "sum_over_time":
            var sum = KahanSum()
            for value in values { sum.add(value) }
            return sum.value
        case "count_over_time": return Double(values.count)
        case "min_over_time":
            var result = first
            for value in values where value < result || result.isNaN { result = value }
            return result
        case "max_over_time":
            var result = first
            for value in values where value > result || result.isNaN { result = value }
            return result
        case "last_over_time": return last
        case "first_over_time": return first
        case "present_over_time": return 1
        case "avg_over_time": return average(values)
        default: return nil
        }
    }

    /// A range function over one series' window; nil when the window gives no output.
    /// - Parameters: `start`/`end` the window bounds (ms, `start` exclusive), `range` its length.
    static func overRange<Window: RandomAccessCollection>(_ name: String, _ samples: Window, start: Int64, end: Int64, evaluationTime: Int64, scalar: Double,
                                                          zeroPointFirst: Bool = false) -> Double? where Window.Element == Sample, Window.Index == Int {
        guard let first = samples.first, let last = samples.last else { return nil }
        switch name {
        case "rate", "increase", "delta":
            return extrapolatedRate(samples, start: start, end: end, counter: name != "delta", rate: name == "rate", zeroPointFirst: zeroPointFirst)
        case "irate", "idelta":
            guard samples.count >= 2 else { return nil }
            let previous = samples[samples.index(samples.endIndex, offsetBy: -2)]
            let interval = last.timestamp - previous.timestamp
            guard interval != 0 else { return nil }
            var result = last.value - previous.value
            if name == "irate" {
                if last.value < previous.value { result = last.value }
                return result / (Double(interval) / 1000)
            }
            return result
        case "deriv", "predict_linear":
            guard samples.count >= 2 else { return nil }
            let reference = name == "deriv" ? first.timestamp : evaluationTime
            let (slope, intercept) = linearRegression(samples, reference: reference)
            return name == "deriv" ? slope : slope * scalar + intercept
        case "changes", "resets":
            var count = 0
            var previous = first.value
            for sample in samples.dropFirst() {
                if name == "changes" {
                    if sample.value != previous && !(sample.value.isNaN && previous.isNaN) { count += 1 }
                } else if sample.value < previous {
                    count += 1
                }
                previous = sample.value
            }
            return Double(count)
        case "avg_over_time":
            return average(samples.lazy.map(\.value))
        case "sum_over_time":
            var sum = KahanSum()
            for sample in samples { sum.add(sample.value) }
            return sum.value
        case "count_over_time": return Double(samples.count)
        case "min_over_time", "max_over_time":
            var result = first.value
            for sample in samples.dropFirst() {
                if name == "min_over_time" ? (sample.value < result || result.isNaN) : (sample.value > result || result.isNaN) { result = sample.value }
            }
            return result
        case "last_over_time": return last.value
        case "first_over_time": return first.value
        case "present_over_time": return 1
        case "stddev_over_time", "stdvar_over_time":
            var count = 0.0
            var mean = KahanSum(), deviations = KahanSum()
            for sample in samples {
                count += 1
                let delta = sample.value - mean.value
                mean.add(delta / count)
                deviations.add(delta * (sample.value - mean.value))
            }
            let variance = deviations.value / count
            return name == "stdvar_over_time" ? variance : variance.squareRoot()
        case "quantile_over_time":
            return quantile(scalar, samples.map(\.value))
        default:
            return nil
        }
    }

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

    /// `rate`, `increase` and `delta` over samples `first...last` of parallel arrays (the fast path: a
    /// tight loop over the values for counter resets).
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

    /// `rate`, `increase` and `delta`: the change over the window, extrapolated to its edges when the
    /// first and last samples are near them (Prometheus 3 order: the 1.1-interval threshold first, then
    /// the zero point of a counter).
    /// - Parameter zeroPointFirst: Prometheus 2's order (the zero point, then the threshold).
    static func extrapolatedRate<Window: RandomAccessCollection>(_ samples: Window, start: Int64, end: Int64, counter: Bool, rate: Bool,
                                                                 zeroPointFirst: Bool = false) -> Double? where Window.Element == Sample {
        guard samples.count >= 2, let first = samples.first, let last = samples.last else { return nil }
        var result = last.value - first.value
        if counter {
            var previous = first.value
            for sample in samples.dropFirst() {
                if sample.value < previous { result += previous }
                previous = sample.value
            }
        }
        return extrapolate(result, firstTime: first.timestamp, lastTime: last.timestamp, firstValue: first.value, count: samples.count,
                           start: start, end: end, counter: counter, rate: rate, zeroPointFirst: zeroPointFirst)
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
