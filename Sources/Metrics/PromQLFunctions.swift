import Foundation
import TraceModel

/// A PromQL function: its signature, checked by the parser, and its evaluation. The parser resolves a call's
/// name to one of these once (`PromQLFunction.table`), so evaluating a call never looks a name up again, and a
/// function is added in one place (Prometheus's `FunctionCalls` and `Functions` tables, `promql/functions.go`).
public struct PromQLFunction: Sendable {
    public let name: String
    /// The argument types; the last repeats when `variadic`.
    public let arguments: [ValueType]
    /// How many trailing arguments may be left out.
    public let optionalArguments: Int
    public let variadic: Bool
    public let returns: ValueType
    let evaluation: Evaluation

    /// How a call is evaluated.
    enum Evaluation: Sendable {
        /// On each element of the instant vector argument; the result drops the metric name.
        case elementwise(@Sendable (Double) -> Double)
        /// On each series' window of the range-vector argument (at `matrixArgument`), with the scalar at
        /// `scalarArgument` when there is one; nil when a window gives no output. `keepsName`: the result keeps
        /// the metric name (`last_over_time`, `first_over_time`).
        case overRange(matrixArgument: Int, scalarArgument: Int?, keepsName: Bool, @Sendable (RangeWindow) -> Double?)
        /// Any other function, given its arguments to evaluate.
        case general(@Sendable (FunctionCall) throws(PromQLError) -> PromValue)
    }

    init(_ name: String, _ arguments: [ValueType], optional: Int = 0, variadic: Bool = false, returns: ValueType = .vector, _ evaluation: Evaluation) {
        self.name = name
        self.arguments = arguments
        optionalArguments = optional
        self.variadic = variadic
        self.returns = returns
        self.evaluation = evaluation
    }

    /// Whether the function orders its result itself (an instant query then keeps that order).
    var ordersResult: Bool { name.hasPrefix("sort") }

    /// The functions, by name.
    public static let table: [String: PromQLFunction] = {
        var table: [String: PromQLFunction] = [:]
        for function in elementwise + overRange + general { table[function.name] = function }
        return table
    }()

    private static let v = ValueType.vector, m = ValueType.matrix, s = ValueType.scalar, str = ValueType.string

    private static let elementwise: [PromQLFunction] = {
        let math: [(String, @Sendable (Double) -> Double)] = [
            ("abs", { Swift.abs($0) }), ("ceil", { $0.rounded(.up) }), ("floor", { $0.rounded(.down) }), ("exp", { Foundation.exp($0) }),
            ("ln", { Foundation.log($0) }), ("log2", { Foundation.log2($0) }), ("log10", { Foundation.log10($0) }), ("sqrt", { $0.squareRoot() }),
            ("sgn", { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }), ("acos", { Foundation.acos($0) }), ("acosh", { Foundation.acosh($0) }),
            ("asin", { Foundation.asin($0) }), ("asinh", { Foundation.asinh($0) }), ("atan", { Foundation.atan($0) }), ("atanh", { Foundation.atanh($0) }),
            ("cos", { Foundation.cos($0) }), ("cosh", { Foundation.cosh($0) }), ("sin", { Foundation.sin($0) }), ("sinh", { Foundation.sinh($0) }),
            ("tan", { Foundation.tan($0) }), ("tanh", { Foundation.tanh($0) }), ("deg", { $0 * 180 / .pi }), ("rad", { $0 * .pi / 180 }),
        ]
        return math.map { PromQLFunction($0.0, [v], .elementwise($0.1)) }
    }()

    private static let overRange: [PromQLFunction] = {
        func range(_ name: String, keepsName: Bool = false, _ compute: @escaping @Sendable (RangeWindow) -> Double?) -> PromQLFunction {
            PromQLFunction(name, [m], .overRange(matrixArgument: 0, scalarArgument: nil, keepsName: keepsName, compute))
        }
        @Sendable func extrapolated(_ window: RangeWindow, counter: Bool, rate: Bool) -> Double? {
            PromQLMath.extrapolatedRate(timestamps: window.timestamps, values: window.values, first: window.first, last: window.last,
                                        start: window.start, end: window.end, counter: counter, rate: rate, zeroPointFirst: window.zeroPointFirst)
        }
        @Sendable func instantChange(_ window: RangeWindow, rate: Bool) -> Double? {
            guard window.count >= 2 else { return nil }
            let last = window.values[window.last], previous = window.values[window.last - 1]
            let interval = window.timestamps[window.last] - window.timestamps[window.last - 1]
            guard interval != 0 else { return nil }
            guard rate else { return last - previous }
            return (last < previous ? last : last - previous) / (Double(interval) / 1000)
        }
        @Sendable func extreme(_ values: ArraySlice<Double>, minimum: Bool) -> Double? {
            guard var result = values.first else { return nil }
            for value in values where result.isNaN || (minimum ? value < result : value > result) { result = value }
            return result
        }
        @Sendable func counted(_ values: ArraySlice<Double>, _ counts: (Double, Double) -> Bool) -> Double {
            guard var previous = values.first else { return 0 }
            var count = 0
            for value in values.dropFirst() {
                if counts(previous, value) { count += 1 }
                previous = value
            }
            return Double(count)
        }
        return [
            range("rate") { extrapolated($0, counter: true, rate: true) },
            range("increase") { extrapolated($0, counter: true, rate: false) },
            range("delta") { extrapolated($0, counter: false, rate: false) },
            range("irate") { instantChange($0, rate: true) },
            range("idelta") { instantChange($0, rate: false) },
            range("deriv") { window in
                window.count >= 2 ? PromQLMath.linearRegression(window.samples, reference: window.timestamps[window.first]).slope : nil
            },
            PromQLFunction("predict_linear", [m, s], .overRange(matrixArgument: 0, scalarArgument: 1, keepsName: false) { window in
                guard window.count >= 2 else { return nil }
                let (slope, intercept) = PromQLMath.linearRegression(window.samples, reference: window.evaluationTime)
                return slope * window.parameter + intercept
            }),
            range("changes") { counted($0.valueSlice) { previous, value in value != previous && !(value.isNaN && previous.isNaN) } },
            range("resets") { counted($0.valueSlice) { previous, value in value < previous } },
            range("avg_over_time") { PromQLMath.average($0.valueSlice) },
            range("sum_over_time") { window in
                var sum = KahanSum()
                for value in window.valueSlice { sum.add(value) }
                return sum.value
            },
            range("count_over_time") { Double($0.count) },
            range("min_over_time") { extreme($0.valueSlice, minimum: true) },
            range("max_over_time") { extreme($0.valueSlice, minimum: false) },
            range("last_over_time", keepsName: true) { $0.values[$0.last] },
            range("first_over_time", keepsName: true) { $0.values[$0.first] },
            range("present_over_time") { _ in 1 },
            range("stddev_over_time") { PromQLMath.variance($0.valueSlice).squareRoot() },
            range("stdvar_over_time") { PromQLMath.variance($0.valueSlice) },
            PromQLFunction("quantile_over_time", [s, m], .overRange(matrixArgument: 1, scalarArgument: 0, keepsName: false) { window in
                PromQLMath.quantile(window.parameter, Array(window.valueSlice))
            }),
        ]
    }()

    private static let general: [PromQLFunction] = {
        /// A function of each element's value and the call's scalar parameters, dropping the metric name.
        func mapping(_ name: String, _ arguments: [ValueType], optional: Int = 0,
                     _ transform: @escaping @Sendable (Double, [Double]) -> Double?) -> PromQLFunction {
            PromQLFunction(name, arguments, optional: optional, .general { call throws(PromQLError) in
                let elements = try call.vector(0)
                var parameters: [Double] = []
                for index in 1..<call.arguments.count { parameters.append(try call.scalar(index)) }
                var out: [VectorElement] = []
                for element in elements {
                    guard let value = transform(element.value, parameters) else { return .vector([]) }
                    out.append(VectorElement(labels: element.labels.droppingName, value: value, time: call.time))
                }
                return .vector(try PromQLEngine.unique(out))
            })
        }
        func date(_ name: String) -> PromQLFunction {
            PromQLFunction(name, [v], optional: 1, .general { call throws(PromQLError) in
                let elements = call.arguments.isEmpty ? [VectorElement(labels: Labels([]), value: Double(call.time) / 1000, time: call.time)] : try call.vector(0)
                return .vector(try PromQLEngine.unique(elements.map {
                    VectorElement(labels: $0.labels.droppingName, value: PromQLMath.date(name, $0.value), time: call.time)
                }))
            })
        }
        func sortByValue(_ name: String, ascending: Bool) -> PromQLFunction {
            PromQLFunction(name, [v], .general { call throws(PromQLError) in
                var elements = try call.vector(0)
                elements.sort { left, right in
                    if left.value.isNaN { return false }
                    if right.value.isNaN { return true }
                    return ascending ? left.value < right.value : left.value > right.value
                }
                return .vector(elements)
            })
        }
        func sortByLabel(_ name: String, ascending: Bool) -> PromQLFunction {
            PromQLFunction(name, [v, str], variadic: true, .general { call throws(PromQLError) in
                var elements = try call.vector(0)
                var names: [String] = []
                for index in 1..<call.arguments.count { names.append(try call.string(index)) }
                elements.sort { left, right in
                    for label in names {
                        let a = left.labels[label] ?? "", b = right.labels[label] ?? ""
                        if a != b { return ascending ? PromQLEngine.naturalLess(a, b) : PromQLEngine.naturalLess(b, a) }
                    }
                    return ascending ? left.labels < right.labels : right.labels < left.labels
                }
                return .vector(elements)
            })
        }
        func absent(_ name: String, _ argument: ValueType) -> PromQLFunction {
            PromQLFunction(name, [argument], .general { call throws(PromQLError) in
                let present: Bool
                switch try call.value(0) {
                case .vector(let elements): present = !elements.isEmpty
                case .matrix(let series): present = !series.isEmpty
                default: present = false
                }
                if present { return .vector([]) }
                return .vector([VectorElement(labels: PromQLEngine.absentLabels(call.arguments[0]), value: 1, time: call.time)])
            })
        }
        return [
            PromQLFunction("time", [], returns: s, .general { call in .scalar(Double(call.time) / 1000, time: call.time) }),
            PromQLFunction("pi", [], returns: s, .general { call in .scalar(.pi, time: call.time) }),
            PromQLFunction("vector", [s], .general { call throws(PromQLError) in
                .vector([VectorElement(labels: Labels([]), value: try call.scalar(0), time: call.time)])
            }),
            PromQLFunction("scalar", [v], returns: s, .general { call throws(PromQLError) in
                let elements = try call.vector(0)
                return .scalar(elements.count == 1 ? elements[0].value : .nan, time: call.time)
            }),
            PromQLFunction("timestamp", [v], .general { call throws(PromQLError) in
                .vector(try PromQLEngine.unique(try call.vector(0).map {
                    VectorElement(labels: $0.labels.droppingName, value: Double($0.time) / 1000, time: call.time)
                }))
            }),
            absent("absent", v), absent("absent_over_time", m),
            sortByValue("sort", ascending: true), sortByValue("sort_desc", ascending: false),
            sortByLabel("sort_by_label", ascending: true), sortByLabel("sort_by_label_desc", ascending: false),
            date("minute"), date("hour"), date("day_of_week"), date("day_of_month"), date("day_of_year"), date("days_in_month"),
            date("month"), date("year"),
            mapping("round", [v, s], optional: 1) { value, parameters in
                let inverse = 1 / (parameters.first ?? 1)
                return value.isNaN ? .nan : (value * inverse + 0.5).rounded(.down) / inverse
            },
            // clamp with min > max gives an empty vector (nil ends the mapping with no elements).
            mapping("clamp", [v, s, s]) { value, parameters in
                let (low, high) = (parameters[0], parameters[1])
                if low > high { return nil }
                return value.isNaN || low.isNaN || high.isNaN ? .nan : Swift.max(low, Swift.min(high, value))
            },
            mapping("clamp_min", [v, s]) { value, parameters in value.isNaN ? value : Swift.max(parameters[0], value) },
            mapping("clamp_max", [v, s]) { value, parameters in value.isNaN ? value : Swift.min(parameters[0], value) },
            PromQLFunction("histogram_quantile", [s, v], .general { call throws(PromQLError) in
                let phi = try call.scalar(0)
                var groups: [Labels: [(upper: Double, count: Double)]] = [:]
                var order: [Labels] = []
                // Buckets are grouped by their labels but `le`, the metric name included (as Prometheus does); the
                // name goes after: two histograms of different names with the same other labels are an error.
                for element in try call.vector(1) {
                    guard let bound = element.labels["le"].flatMap(ExpositionReader.LineParser.number) else { continue }
                    let key = element.labels.removing(["le"])
                    if groups[key] == nil { order.append(key) }
                    groups[key, default: []].append((bound, element.value))
                }
                return .vector(try PromQLEngine.unique(order.map { VectorElement(labels: $0.droppingName, value: PromQLMath.bucketQuantile(phi, groups[$0] ?? []), time: call.time) }))
            }),
            PromQLFunction("label_replace", [v, str, str, str, str], .general { call throws(PromQLError) in
                let elements = try call.vector(0)
                let destination = try call.string(1), replacement = try call.string(2), source = try call.string(3)
                let regex = try PromRegex(try call.string(4))
                guard PromQLEngine.isValidLabelName(destination) else { throw PromQLError("invalid destination label name in label_replace(): \(destination)") }
                return .vector(try PromQLEngine.unique(elements.map { element in
                    guard let groups = regex.groups(element.labels[source] ?? "") else { return element }
                    var copy = element
                    copy.labels = element.labels.setting(destination, PromQLEngine.expand(replacement, groups))
                    return copy
                }))
            }),
            PromQLFunction("label_join", [v, str, str, str], variadic: true, .general { call throws(PromQLError) in
                let elements = try call.vector(0)
                let destination = try call.string(1), separator = try call.string(2)
                var sources: [String] = []
                for index in 3..<call.arguments.count { sources.append(try call.string(index)) }
                guard PromQLEngine.isValidLabelName(destination) else { throw PromQLError("invalid destination label name in label_join(): \(destination)") }
                return .vector(try PromQLEngine.unique(elements.map { element in
                    var copy = element
                    copy.labels = element.labels.setting(destination, sources.map { element.labels[$0] ?? "" }.joined(separator: separator))
                    return copy
                }))
            }),
        ]
    }()
}

/// One series' window of a range-vector argument: samples `first...last` of parallel arrays (stale markers
/// already left out), the window's bounds `(start, end]` in ms, and what the function may need besides.
struct RangeWindow {
    let timestamps: [Int64]
    let values: [Double]
    let first: Int
    let last: Int
    let start: Int64
    let end: Int64
    /// The time the call is evaluated at (predict_linear's reference).
    let evaluationTime: Int64
    /// The call's scalar argument (quantile_over_time's φ, predict_linear's horizon), or 0.
    let parameter: Double
    /// Prometheus 2's order in rate extrapolation (the counter's zero point before the threshold).
    let zeroPointFirst: Bool

    var count: Int { last - first + 1 }
    var valueSlice: ArraySlice<Double> { values[first...last] }
    var samples: MetricStore.Window { MetricStore.Window(timestamps: timestamps, values: values, startIndex: first, endIndex: last + 1) }
}

/// A call of a `general` function being evaluated at one time: its arguments, evaluated when asked for.
struct FunctionCall {
    let engine: PromQLEngine
    let arguments: [Expr]
    let time: Int64

    func value(_ index: Int) throws(PromQLError) -> PromValue { try engine.evaluate(arguments[index], at: time) }

    func vector(_ index: Int) throws(PromQLError) -> [VectorElement] {
        if case .vector(let elements) = try value(index) { return elements }
        return []
    }

    func scalar(_ index: Int) throws(PromQLError) -> Double {
        if case .scalar(let number, _) = try value(index) { return number }
        return .nan
    }

    func string(_ index: Int) throws(PromQLError) -> String {
        if case .string(let text, _) = try value(index) { return text }
        return ""
    }
}
