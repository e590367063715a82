import TraceModel

/// A node's value at every step of a range query: a scalar constant, or instant vectors held series by series.
enum StepValue {
    case scalar(Double)
    case vector(StepMatrix)
}

/// Instant vectors at every step, series by series: each series' labels once, its value at each step (or
/// none). `staticOrder`: the series at any step come in this order, as the per-step evaluation would give
/// them (true for selectors and what maps them, not for the groups of an aggregation).
struct StepMatrix {
    var labels: [Labels] = []
    /// `values[series * steps + step]`, meaningful where `present` is true.
    var values: [Double] = []
    var present: [Bool] = []
    let steps: Int
    var staticOrder = true

    init(steps: Int) { self.steps = steps }

    mutating func addSeries(_ labels: Labels) {
        self.labels.append(labels)
        values.append(contentsOf: repeatElement(0, count: steps))
        present.append(contentsOf: repeatElement(false, count: steps))
    }
}

/// Range queries node by node over all steps at once, as Prometheus's `rangeEval`: a selector's series are taken
/// once for the query and walked step by step, each series' labels (and, in an aggregation, its group) are worked
/// out once instead of at every step, and no per-step vectors are built. Covers what dashboards ask — selectors,
/// range functions of a range selector, element-wise functions, the aggregations without a parameter, arithmetic and
/// comparisons with a number — and gives exactly what step-by-step evaluation gives (same sample order into every sum). Any
/// other node, a possible duplicate label set or a step over the sample limit returns nil, and the step-by-step
/// evaluation then answers (or fails with Prometheus's error at that step).
extension PromQLEngine {
    func evaluateAcrossSteps(_ expr: Expr, times: [Int64]) -> [RangeElement]? {
        var loaded = [Int](repeating: 0, count: times.count)
        guard case .vector(let matrix)? = stepValue(expr, times, &loaded), loaded.allSatisfy({ $0 <= maximumSamples }) else { return nil }
        var out: [RangeElement] = []
        for series in matrix.labels.indices {
            var samples: [Sample] = []
            for step in times.indices where matrix.present[series * times.count + step] {
                samples.append(Sample(timestamp: times[step], value: matrix.values[series * times.count + step]))
            }
            if !samples.isEmpty { out.append(RangeElement(labels: matrix.labels[series], samples: samples)) }
        }
        return out
    }

    private func stepValue(_ expr: Expr, _ times: [Int64], _ loaded: inout [Int]) -> StepValue? {
        switch expr.node {
        case .number(let value): return .scalar(value)
        case .paren(let inner): return stepValue(inner, times, &loaded)
        case .selector(let selector): return .vector(selectorSteps(selector, times, &loaded))
        case .call(let function, let arguments):
            switch function.evaluation {
            case .elementwise(let operation):
                guard case .vector(var matrix)? = stepValue(arguments[0], times, &loaded) else { return nil }
                matrix.labels = matrix.labels.map(\.droppingName)
                guard Set(matrix.labels).count == matrix.labels.count else { return nil }
                for index in matrix.values.indices where matrix.present[index] { matrix.values[index] = operation(matrix.values[index]) }
                return .vector(matrix)
            case .overRange(let matrixArgument, let scalarArgument, let keepsName, let compute):
                // A scalar argument is taken when it is a number (the same at every step).
                var parameter = 0.0
                if let scalarArgument {
                    guard case .scalar(let number)? = stepValue(arguments[scalarArgument], times, &loaded) else { return nil }
                    parameter = number
                }
                guard case .matrix(let selector, let range) = arguments[matrixArgument].node else { return nil }
                return rangeFunctionSteps(selector, range: range, parameter: parameter, keepsName: keepsName, times, &loaded, compute).map { .vector($0) }
            case .general:
                return nil
            }
        case .aggregate(let op, nil, let inner, let grouping, let without):
            guard case .vector(let input)? = stepValue(inner, times, &loaded), input.staticOrder else { return nil }
            return aggregateSteps(op, input, grouping: grouping, without: without).map { .vector($0) }
        case .binary(let op, let left, let right, let returnBool, nil, _) where !op.isSetOperator:
            guard let lhs = stepValue(left, times, &loaded), let rhs = stepValue(right, times, &loaded) else { return nil }
            switch (lhs, rhs) {
            case (.scalar(let a), .scalar(let b)):
                let (value, keep) = Self.apply(op, a, b)
                return .scalar(op.isComparison ? (keep ? 1 : 0) : value)
            case (.vector(let matrix), .scalar(let b)):
                return withScalar(op, matrix, returnBool: returnBool) { Self.apply(op, $0, b) }.map { .vector($0) }
            case (.scalar(let a), .vector(let matrix)):
                return withScalar(op, matrix, returnBool: returnBool) { Self.apply(op, a, $0) }.map { .vector($0) }
            case (.vector, .vector):
                return nil
            }
        default:
            return nil
        }
    }

    private func selectorSteps(_ selector: VectorSelector, _ times: [Int64], _ loaded: inout [Int]) -> StepMatrix {
        var matrix = StepMatrix(steps: times.count)
        for position in selected(selector) {
            let series = store.series[position]
            let row = matrix.labels.count
            matrix.addSeries(series.labels)
            for (step, time) in times.enumerated() {
                guard let (_, value) = latest(series, at: reference(selector.at, offset: selector.offset, time: time)) else { continue }
                matrix.values[row * times.count + step] = value
                matrix.present[row * times.count + step] = true
                loaded[step] += 1
            }
        }
        return matrix
    }

    private func rangeFunctionSteps(_ selector: VectorSelector, range: Int64, parameter: Double, keepsName: Bool, _ times: [Int64], _ loaded: inout [Int],
                                    _ compute: (RangeWindow) -> Double?) -> StepMatrix? {
        var matrix = StepMatrix(steps: times.count)
        for position in selected(selector) {
            let series = store.series[position]
            let row = matrix.labels.count
            matrix.addSeries(keepsName ? series.labels : namelessLabels(position))
            for (step, time) in times.enumerated() {
                let ref = reference(selector.at, offset: selector.offset, time: time)
                guard let (first, last) = windowBounds(series.timestamps, end: ref, range: range) else { continue }
                loaded[step] += last - first + 1
                guard let window = rangeWindow(series, first: first, last: last, end: ref, range: range, at: time, parameter: parameter),
                      let value = compute(window) else { continue }
                matrix.values[row * times.count + step] = value
                matrix.present[row * times.count + step] = true
            }
        }
        return Set(matrix.labels).count == matrix.labels.count ? matrix : nil
    }

    /// An operation of each element with a scalar (`apply` gives the value and whether a comparison holds).
    private func withScalar(_ op: BinaryOperator, _ input: StepMatrix, returnBool: Bool, _ apply: (Double) -> (Double, Bool)) -> StepMatrix? {
        var matrix = input
        let keepsName = op.isComparison && !returnBool
        if !keepsName { matrix.labels = input.labels.map(\.droppingName) }
        guard Set(matrix.labels).count == matrix.labels.count else { return nil }
        for index in matrix.values.indices where matrix.present[index] {
            let element = input.values[index]
            let (value, keep) = apply(element)
            if !op.isComparison {
                matrix.values[index] = value
            } else if returnBool {
                matrix.values[index] = keep ? 1 : 0
            } else if keep {
                // A filtering comparison keeps the vector element's value, whichever side it is on.
                matrix.values[index] = element
            } else {
                matrix.present[index] = false
            }
        }
        return matrix
    }

    /// The aggregations without a parameter at every step, each input series' group found once; the
    /// members of a group are folded in series order, as the step-by-step aggregation folds them.
    private func aggregateSteps(_ op: String, _ input: StepMatrix, grouping: [String], without: Bool) -> StepMatrix? {
        guard ["sum", "avg", "count", "min", "max", "group", "stddev", "stdvar"].contains(op) else { return nil }
        var output = StepMatrix(steps: input.steps)
        output.staticOrder = false
        var groupOf: [Int] = []
        var groups: [Labels: Int] = [:]
        for labels in input.labels {
            let key = without ? labels.removing(grouping + [Labels.metricNameLabel]) : labels.keeping(grouping)
            if let known = groups[key] {
                groupOf.append(known)
            } else {
                groups[key] = output.labels.count
                groupOf.append(output.labels.count)
                output.addSeries(key)
            }
        }
        var members: [[Double]] = Array(repeating: [], count: output.labels.count)
        for step in 0..<input.steps {
            for index in members.indices { members[index].removeAll(keepingCapacity: true) }
            for series in input.labels.indices where input.present[series * input.steps + step] {
                members[groupOf[series]].append(input.values[series * input.steps + step])
            }
            for (group, values) in members.enumerated() where !values.isEmpty {
                output.values[group * input.steps + step] = Self.fold(op, values)
                output.present[group * input.steps + step] = true
            }
        }
        return output
    }

    /// One group's value from its members' values in order (the aggregations without a parameter).
    static func fold(_ op: String, _ values: [Double]) -> Double {
        switch op {
        case "sum":
            var sum = KahanSum()
            for value in values { sum.add(value) }
            return sum.value
        case "avg": return PromQLMath.average(values)
        case "count": return Double(values.count)
        case "group": return 1
        case "stddev": return PromQLMath.variance(values).squareRoot()
        case "stdvar": return PromQLMath.variance(values)
        default:
            var result = values[0]
            for value in values.dropFirst() where result.isNaN || (op == "min" ? value < result : value > result) { result = value }
            return result
        }
    }
}
