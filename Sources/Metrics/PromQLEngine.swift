import Dispatch
import Foundation
import TraceModel

/// Evaluates PromQL over a `MetricStore` with Prometheus 3 semantics: instant queries, and range queries
/// as independent instant evaluations at `start, start+step, ... <= end` (series sorted by labels).
/// Lookback and range windows are open on the left (`(t-d, t]`), stale markers are never values.
public final class PromQLEngine {
    public let store: MetricStore
    /// Which Prometheus to behave as. Prometheus 3 (the default) opens range windows and the lookback on
    /// the left, `(t-d, t]`, and extrapolates `rate` with the 1.1-interval threshold before the counter's
    /// zero point; Prometheus 2 (Debian's 2.42) closes them, `[t-d, t]`, and clamps to the zero point first.
    public enum Semantics: Sendable { case prometheus3, prometheus2 }
    public var semantics = Semantics.prometheus3
    /// The lookback of instant selectors (5 minutes, Prometheus's default).
    public var lookbackDelta: Int64 = 300_000
    /// The step of subqueries without one (the test harness uses one minute).
    public var defaultSubqueryStep: Int64 = 60_000
    /// Samples one evaluation step may load; beyond it the query fails with Prometheus's error.
    public var maximumSamples = 50_000_000
    /// Steps a range query may have (Prometheus's API limit).
    public static let maximumSteps = 11_000

    private var loaded = 0
    private var start: Int64 = 0
    private var end: Int64 = 0
    /// Per query: the series each selector selects, and each series' labels without the name.
    private var selections: [String: [Int]] = [:]
    private var nameless: [Labels?] = []
    /// Per query: grouping → (input labels → group labels).
    private var groupKeys: [String: [Labels: Labels]] = [:]

    private func beginQuery(start: Int64, end: Int64) {
        loaded = 0
        self.start = start
        self.end = end
        selections = [:]
        groupKeys = [:]
        nameless = Array(repeating: nil, count: store.series.count)
    }

    private func selected(_ selector: VectorSelector) -> [Int] {
        let key = selector.matchers.map { "\($0.name)\u{0}\($0.kind.rawValue)\u{0}\($0.value)" }.joined(separator: "\u{1}")
        if let known = selections[key] { return known }
        let positions = store.select(selector.matchers)
        selections[key] = positions
        return positions
    }

    private func namelessLabels(_ position: Int) -> Labels {
        if position < nameless.count, let known = nameless[position] { return known }
        let labels = store.series[position].labels.droppingName
        if position < nameless.count { nameless[position] = labels }
        return labels
    }

    public init(store: MetricStore) { self.store = store }

    /// An instant query at `time` (ms).
    public func instant(_ expr: Expr, at time: Int64) throws(PromQLError) -> PromValue {
        beginQuery(start: time, end: time)
        var value = try evaluate(expr, at: time)
        if case .vector(var elements) = value {
            // Prometheus returns an instant vector's elements in an unspecified order; sort only when the
            // expression did not order them itself. Each element carries the evaluation time.
            if !Self.isOrdered(expr) { elements.sort { $0.labels < $1.labels } }
            for index in elements.indices { elements[index].time = time }
            value = .vector(elements)
        }
        return value
    }

    /// A range query: the expression at every step, gathered into series sorted by labels.
    public func range(_ expr: Expr, start: Int64, end: Int64, step: Int64) throws(PromQLError) -> [RangeElement] {
        guard end >= start else { throw PromQLError("end timestamp must not be before start time") }
        guard step > 0 else { throw PromQLError("zero or negative query resolution step widths are not accepted. Try a positive integer") }
        guard (end - start) / step < Int64(Self.maximumSteps) else {
            throw PromQLError("exceeded maximum resolution of \(Self.maximumSteps) points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        guard expr.type == .scalar || expr.type == .vector else {
            throw PromQLError("invalid expression type \"\(expr.type.rawValue)\" for range query, must be Scalar or instant Vector")
        }
        let steps = Int((end - start) / step) + 1
        let chunks = min(max(1, threads), max(1, steps / 32))
        if chunks == 1 { return try evaluateSteps(expr, from: start, to: end, step: step, queryStart: start, queryEnd: end).sorted { $0.labels < $1.labels } }
        // Steps are independent: contiguous runs of them are evaluated on several threads, each by its own
        // engine (the caches are per engine; the store is only read), and joined in step order.
        let perChunk = (steps + chunks - 1) / chunks
        let store = self.store, semantics = self.semantics, lookback = lookbackDelta, subqueryStep = defaultSubqueryStep
        let limit = maximumSamples / chunks
        let results = ChunkResults(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { index in
            let engine = PromQLEngine(store: store)
            engine.semantics = semantics
            engine.lookbackDelta = lookback
            engine.defaultSubqueryStep = subqueryStep
            engine.maximumSamples = limit
            let from = start + Int64(index * perChunk) * step
            let to = min(end, from + Int64(perChunk - 1) * step)
            let result = from > end ? .success([]) : Result { () throws(PromQLError) -> [RangeElement] in
                try engine.evaluateSteps(expr, from: from, to: to, step: step, queryStart: start, queryEnd: end)
            }
            results.set(index, result)
        }
        var gathered = SeriesGatherer()
        for result in results.all {
            for series in try result.get() { gathered.add(series) }
        }
        return gathered.series.sorted { $0.labels < $1.labels }
    }

    /// Threads a range query may use.
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    /// Evaluates the steps `from, from+step, ... <= to` of a range query spanning `queryStart...queryEnd`.
    func evaluateSteps(_ expr: Expr, from: Int64, to: Int64, step: Int64, queryStart: Int64, queryEnd: Int64) throws(PromQLError) -> [RangeElement] {
        beginQuery(start: queryStart, end: queryEnd)
        var gathered = SeriesGatherer()
        var time = from
        while time <= to {
            // The limit is on the samples one step holds at once (as Prometheus limits the samples in
            // memory), not on the sum over every step of a long range query.
            loaded = 0
            gathered.add(try evaluate(expr, at: time), at: time)
            time += step
        }
        return gathered.series
    }

    static func isOrdered(_ expr: Expr) -> Bool {
        switch expr {
        case .paren(let inner): return isOrdered(inner)
        case .call(let name, _): return name.hasPrefix("sort")
        case .aggregate(let op, _, _, _, _): return op == "topk" || op == "bottomk"
        default: return false
        }
    }

    // MARK: Evaluation

    func evaluate(_ expr: Expr, at time: Int64) throws(PromQLError) -> PromValue {
        switch expr {
        case .number(let value): return .scalar(value, time: time)
        case .string(let text): return .string(text, time: time)
        case .paren(let inner): return try evaluate(inner, at: time)
        case .negate(let inner):
            switch try evaluate(inner, at: time) {
            case .scalar(let value, let at): return .scalar(-value, time: at)
            case .vector(let elements):
                return .vector(try unique(elements.map { VectorElement(labels: $0.labels.droppingName, value: -$0.value, time: time) }))
            default: throw PromQLError("unary expression only allowed on expressions of type scalar or instant vector")
            }
        case .selector(let selector): return .vector(try select(selector, at: time))
        case .matrix(let selector, let range): return .matrix(try window(selector, range: range, at: time))
        case .subquery(let inner, let range, let step, let offset, let at):
            return .matrix(try subquery(inner, range: range, step: step ?? defaultSubqueryStep, offset: offset, at: at, time: time))
        case .call(let name, let arguments): return try call(name, arguments, at: time)
        case .aggregate(let op, let param, let inner, let grouping, let without):
            return .vector(try aggregate(op, param: param, inner, grouping: grouping, without: without, at: time))
        case .binary(let op, let left, let right, let returnBool, let matching):
            return try binary(op, left, right, returnBool: returnBool, matching: matching, at: time)
        }
    }

    private func reference(_ at: AtModifier?, offset: Int64, time: Int64) -> Int64 {
        let base: Int64
        switch at {
        case .time(let pinned): base = pinned
        case .start: base = start
        case .end: base = end
        case nil: base = time
        }
        return base - offset
    }

    private func count(_ samples: Int) throws(PromQLError) {
        loaded += samples
        if loaded > maximumSamples {
            throw PromQLError("query processing would load too many samples into memory in query execution (more than \(maximumSamples))")
        }
    }

    private func select(_ selector: VectorSelector, at time: Int64) throws(PromQLError) -> [VectorElement] {
        let ref = reference(selector.at, offset: selector.offset, time: time)
        var out: [VectorElement] = []
        for position in selected(selector) {
            let series = store.series[position]
            let index = Self.lastIndex(series.timestamps, atOrBefore: ref)
            guard index >= 0 else { continue }
            let timestamp = series.timestamps[index]
            let value = series.values[index]
            let inLookback = semantics == .prometheus3 ? timestamp > ref - lookbackDelta : timestamp >= ref - lookbackDelta
            guard inLookback, !value.isStaleMarker else { continue }
            out.append(VectorElement(labels: series.labels, value: value, time: timestamp))
        }
        try count(out.count)
        return out
    }

    private func window(_ selector: VectorSelector, range: Int64, at time: Int64) throws(PromQLError) -> [RangeElement] {
        let ref = reference(selector.at, offset: selector.offset, time: time)
        var out: [RangeElement] = []
        for position in selected(selector) {
            let series = store.series[position]
            guard let (first, last) = windowBounds(series.timestamps, end: ref, range: range) else { continue }
            var samples: [Sample] = []
            samples.reserveCapacity(last - first + 1)
            for index in first...last where !series.values[index].isStaleMarker {
                samples.append(Sample(timestamp: series.timestamps[index], value: series.values[index]))
            }
            try count(samples.count)
            if !samples.isEmpty { out.append(RangeElement(labels: series.labels, samples: samples)) }
        }
        return out
    }

    /// The indices of the first and last samples in a range window ending at `end`: `(end - range, end]` in
    /// Prometheus 3, `[end - range, end]` in Prometheus 2; nil when it holds none.
    private func windowBounds(_ timestamps: [Int64], end: Int64, range: Int64) -> (Int, Int)? {
        let last = Self.lastIndex(timestamps, atOrBefore: end)
        let first = Self.lastIndex(timestamps, atOrBefore: end - range - (semantics == .prometheus3 ? 0 : 1)) + 1
        return last >= 0 && first <= last ? (first, last) : nil
    }

    /// The index of the last timestamp `<= time`, or -1.
    static func lastIndex(_ timestamps: [Int64], atOrBefore time: Int64) -> Int {
        var low = 0, high = timestamps.count
        while low < high {
            let middle = (low + high) / 2
            if timestamps[middle] <= time { low = middle + 1 } else { high = middle }
        }
        return low - 1
    }

    private func subquery(_ inner: Expr, range: Int64, step: Int64, offset: Int64, at: AtModifier?, time: Int64) throws(PromQLError) -> [RangeElement] {
        guard step > 0 else { throw PromQLError("subquery step must be positive") }
        let ref = reference(at, offset: offset, time: time)
        // Inner steps: the multiples of the step in (ref - range, ref].
        let lower = ref - range
        var current = (lower >= 0 ? lower / step : -((-lower + step - 1) / step)) * step
        if current < lower || (current == lower && semantics == .prometheus3) { current += step }
        var gathered = SeriesGatherer()
        while current <= ref {
            gathered.add(try evaluate(inner, at: current), at: current)
            current += step
        }
        let out = gathered.series
        try count(out.reduce(0) { $0 + $1.samples.count })
        return out
    }

    /// Fails when two elements have the same labels (after a function or operator dropped the name).
    private func unique(_ elements: [VectorElement]) throws(PromQLError) -> [VectorElement] {
        var seen = Set<Labels>()
        for element in elements where !seen.insert(element.labels).inserted {
            throw PromQLError("vector cannot contain metrics with the same labelset")
        }
        return elements
    }

    // MARK: Functions

    private func scalarArgument(_ expr: Expr, at time: Int64) throws(PromQLError) -> Double {
        if case .scalar(let value, _) = try evaluate(expr, at: time) { return value }
        return .nan
    }

    private func stringArgument(_ expr: Expr, at time: Int64) throws(PromQLError) -> String {
        if case .string(let text, _) = try evaluate(expr, at: time) { return text }
        return ""
    }

    private func vectorArgument(_ expr: Expr, at time: Int64) throws(PromQLError) -> [VectorElement] {
        if case .vector(let elements) = try evaluate(expr, at: time) { return elements }
        return []
    }

    private func call(_ name: String, _ arguments: [Expr], at time: Int64) throws(PromQLError) -> PromValue {
        let seconds = Double(time) / 1000
        switch name {
        case "time": return .scalar(seconds, time: time)
        case "pi": return .scalar(.pi, time: time)
        case "vector": return .vector([VectorElement(labels: Labels([]), value: try scalarArgument(arguments[0], at: time), time: time)])
        case "scalar":
            let elements = try vectorArgument(arguments[0], at: time)
            return .scalar(elements.count == 1 ? elements[0].value : .nan, time: time)
        case "timestamp":
            return .vector(try unique(try vectorArgument(arguments[0], at: time).map { VectorElement(labels: $0.labels.droppingName, value: Double($0.time) / 1000, time: time) }))
        case "absent", "absent_over_time":
            let present: Bool
            if name == "absent" { present = !(try vectorArgument(arguments[0], at: time)).isEmpty } else {
                if case .matrix(let series) = try evaluate(arguments[0], at: time) { present = !series.isEmpty } else { present = false }
            }
            if present { return .vector([]) }
            return .vector([VectorElement(labels: Self.absentLabels(arguments[0]), value: 1, time: time)])
        case "sort", "sort_desc":
            var elements = try vectorArgument(arguments[0], at: time)
            elements.sort { left, right in
                if left.value.isNaN { return false }
                if right.value.isNaN { return true }
                return name == "sort" ? left.value < right.value : left.value > right.value
            }
            return .vector(elements)
        case "sort_by_label", "sort_by_label_desc":
            var elements = try vectorArgument(arguments[0], at: time)
            var names: [String] = []
            for argument in arguments.dropFirst() { names.append(try stringArgument(argument, at: time)) }
            elements.sort { left, right in
                for label in names {
                    let a = left.labels[label] ?? "", b = right.labels[label] ?? ""
                    if a != b { return name == "sort_by_label" ? Self.naturalLess(a, b) : Self.naturalLess(b, a) }
                }
                return name == "sort_by_label" ? left.labels < right.labels : right.labels < left.labels
            }
            return .vector(elements)
        case "label_replace":
            let elements = try vectorArgument(arguments[0], at: time)
            let destination = try stringArgument(arguments[1], at: time)
            let replacement = try stringArgument(arguments[2], at: time)
            let source = try stringArgument(arguments[3], at: time)
            let pattern = try stringArgument(arguments[4], at: time)
            let regex = try PromRegex(pattern)
            guard Self.isValidLabelName(destination) else { throw PromQLError("invalid destination label name in label_replace(): \(destination)") }
            return .vector(try unique(elements.map { element in
                guard let groups = regex.groups(element.labels[source] ?? "") else { return element }
                var copy = element
                copy.labels = element.labels.setting(destination, Self.expand(replacement, groups))
                return copy
            }))
        case "label_join":
            let elements = try vectorArgument(arguments[0], at: time)
            let destination = try stringArgument(arguments[1], at: time)
            let separator = try stringArgument(arguments[2], at: time)
            var sources: [String] = []
            for argument in arguments.dropFirst(3) { sources.append(try stringArgument(argument, at: time)) }
            guard Self.isValidLabelName(destination) else { throw PromQLError("invalid destination label name in label_join(): \(destination)") }
            return .vector(try unique(elements.map { element in
                var copy = element
                copy.labels = element.labels.setting(destination, sources.map { element.labels[$0] ?? "" }.joined(separator: separator))
                return copy
            }))
        case "round", "clamp", "clamp_min", "clamp_max":
            let elements = try vectorArgument(arguments[0], at: time)
            var parameters: [Double] = []
            for argument in arguments.dropFirst() { parameters.append(try scalarArgument(argument, at: time)) }
            if name == "clamp", parameters[0] > parameters[1] { return .vector([]) }
            return .vector(try unique(elements.map { element in
                let value: Double
                switch name {
                case "round":
                    let inverse = 1 / (parameters.first ?? 1)
                    value = (element.value * inverse + 0.5).rounded(.down) / inverse
                case "clamp": value = Swift.max(parameters[0], Swift.min(parameters[1], element.value))
                case "clamp_min": value = element.value.isNaN ? element.value : Swift.max(parameters[0], element.value)
                default: value = element.value.isNaN ? element.value : Swift.min(parameters[0], element.value)
                }
                let clamped = name == "clamp" && (parameters[0].isNaN || parameters[1].isNaN) ? Double.nan : value
                return VectorElement(labels: element.labels.droppingName, value: element.value.isNaN ? .nan : clamped, time: time)
            }))
        case "minute", "hour", "day_of_week", "day_of_month", "day_of_year", "days_in_month", "month", "year":
            let elements = arguments.isEmpty ? [VectorElement(labels: Labels([]), value: seconds, time: time)] : try vectorArgument(arguments[0], at: time)
            return .vector(try unique(elements.map { VectorElement(labels: $0.labels.droppingName, value: PromQLFunctions.date(name, $0.value), time: time) }))
        case "histogram_quantile":
            let phi = try scalarArgument(arguments[0], at: time)
            var groups: [Labels: [(upper: Double, count: Double)]] = [:]
            var order: [Labels] = []
            for element in try vectorArgument(arguments[1], at: time) {
                guard let bound = element.labels["le"].flatMap(ExpositionReader.LineParser.number) else { continue }
                let key = element.labels.droppingName.removing(["le"])
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append((bound, element.value))
            }
            return .vector(order.map { VectorElement(labels: $0, value: PromQLFunctions.bucketQuantile(phi, groups[$0] ?? []), time: time) })
        default:
            break
        }
        if let operation = PromQLFunctions.elementwise(name) {
            return .vector(try unique(try vectorArgument(arguments[0], at: time).map {
                VectorElement(labels: $0.labels.droppingName, value: operation($0.value), time: time)
            }))
        }
        // Range-vector functions.
        var scalar = 0.0
        var matrixArgument = arguments[0]
        if name == "quantile_over_time" {
            scalar = try scalarArgument(arguments[0], at: time)
            matrixArgument = arguments[1]
        } else if name == "predict_linear" {
            scalar = try scalarArgument(arguments[1], at: time)
        }
        let keepName = PromQLFunctions.keepName.contains(name)
        let zeroPointFirst = semantics == .prometheus2
        if case .matrix(let selector, let range) = matrixArgument {
            // A range selector read in place: no window is copied.
            let ref = reference(selector.at, offset: selector.offset, time: time)
            var out: [VectorElement] = []
            let valueOnly = PromQLFunctions.valueOnly.contains(name)
            for position in selected(selector) {
                let series = store.series[position]
                guard let (first, last) = windowBounds(series.timestamps, end: ref, range: range) else { continue }
                try count(last - first + 1)
                let value: Double?
                if valueOnly && !series.hasStaleMarkers {
                    value = PromQLFunctions.overValues(name, series.values[first...last])
                } else if (name == "rate" || name == "increase" || name == "delta") && !series.hasStaleMarkers {
                    value = PromQLFunctions.extrapolatedRate(timestamps: series.timestamps, values: series.values, first: first, last: last, start: ref - range, end: ref,
                                                             counter: name != "delta", rate: name == "rate", zeroPointFirst: zeroPointFirst)
                } else if series.hasStaleMarkers {
                    let samples = (first...last).filter { !series.values[$0].isStaleMarker }.map { Sample(timestamp: series.timestamps[$0], value: series.values[$0]) }
                    if samples.isEmpty { continue }
                    value = PromQLFunctions.overRange(name, samples, start: ref - range, end: ref, evaluationTime: time, scalar: scalar, zeroPointFirst: zeroPointFirst)
                } else {
                    let window = MetricStore.Window(timestamps: series.timestamps, values: series.values, startIndex: first, endIndex: last + 1)
                    value = PromQLFunctions.overRange(name, window, start: ref - range, end: ref, evaluationTime: time, scalar: scalar, zeroPointFirst: zeroPointFirst)
                }
                guard let value else { continue }
                out.append(VectorElement(labels: keepName ? series.labels : namelessLabels(position), value: value, time: time))
            }
            return .vector(try unique(out))
        }
        let (range, windowEnd) = Self.window(of: matrixArgument, engine: self, time: time)
        guard case .matrix(let series) = try evaluate(matrixArgument, at: time) else { return .vector([]) }
        var out: [VectorElement] = []
        for one in series {
            guard let value = PromQLFunctions.overRange(name, one.samples, start: windowEnd - range, end: windowEnd, evaluationTime: time, scalar: scalar,
                                                        zeroPointFirst: zeroPointFirst) else { continue }
            out.append(VectorElement(labels: keepName ? one.labels : one.labels.droppingName, value: value, time: time))
        }
        return .vector(try unique(out))
    }

    /// The range and the window's end (the reference time) of a range-vector argument.
    private static func window(of expr: Expr, engine: PromQLEngine, time: Int64) -> (Int64, Int64) {
        switch expr {
        case .matrix(let selector, let range): return (range, engine.reference(selector.at, offset: selector.offset, time: time))
        case .subquery(_, let range, _, let offset, let at): return (range, engine.reference(at, offset: offset, time: time))
        case .paren(let inner): return window(of: inner, engine: engine, time: time)
        default: return (0, time)
        }
    }

    /// absent()'s labels: the equality matchers of a top-level selector (not the name), unless a label is
    /// matched twice.
    static func absentLabels(_ expr: Expr) -> Labels {
        let matchers: [LabelMatcher]
        switch expr {
        case .selector(let selector), .matrix(let selector, _): matchers = selector.matchers
        default: return Labels([])
        }
        var labels: [Label] = []
        var seen: [String: Int] = [:]
        for matcher in matchers where matcher.name != Labels.metricNameLabel { seen[matcher.name, default: 0] += 1 }
        for matcher in matchers where matcher.kind == .equal && matcher.name != Labels.metricNameLabel && seen[matcher.name] == 1 {
            labels.append(Label(matcher.name, matcher.value))
        }
        return Labels(labels)
    }

    /// Prometheus 3 accepts any UTF-8 label name; bytes that are not UTF-8 (decoded as U+FFFD) are refused.
    static func isValidLabelName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains("\u{FFFD}")
    }

    /// Expands `$1`, `${1}`, `$name` in a label_replace replacement (Go's Regexp.Expand).
    static func expand(_ template: String, _ groups: [String?]) -> String {
        var out = ""
        let characters = Array(template)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "$", index + 1 < characters.count else { out.append(character); index += 1; continue }
            if characters[index + 1] == "$" { out.append("$"); index += 2; continue }
            var name = ""
            var next = index + 1
            if characters[next] == "{" {
                next += 1
                while next < characters.count, characters[next] != "}" { name.append(characters[next]); next += 1 }
                if next < characters.count { next += 1 } else { out.append(character); index += 1; continue }
            } else {
                while next < characters.count, characters[next].isLetter || characters[next].isNumber || characters[next] == "_" { name.append(characters[next]); next += 1 }
            }
            if let number = Int(name), number < groups.count { out += groups[number] ?? "" }
            index = next
            if name.isEmpty { out.append(character) }
        }
        return out
    }

    static func naturalLess(_ a: String, _ b: String) -> Bool { a.compare(b, options: .numeric) == .orderedAscending }

    // MARK: Aggregation

    private func aggregate(_ op: String, param: Expr?, _ inner: Expr, grouping: [String], without: Bool, at time: Int64) throws(PromQLError) -> [VectorElement] {
        let elements = try vectorArgument(inner, at: time)
        var parameter = 0.0
        var label = ""
        if let param {
            if op == "count_values" {
                label = try stringArgument(param, at: time)
                guard Self.isValidLabelName(label) else { throw PromQLError("invalid label name \"\(label)\"") }
            } else {
                parameter = try scalarArgument(param, at: time)
            }
        }
        let cacheKey = (without ? "without\u{0}" : "by\u{0}") + grouping.joined(separator: "\u{0}")
        var cache = groupKeys.removeValue(forKey: cacheKey) ?? [:]
        defer { groupKeys[cacheKey] = cache }
        func key(_ labels: Labels) -> Labels {
            if let known = cache[labels] { return known }
            let group = without ? labels.removing(grouping + [Labels.metricNameLabel]) : labels.keeping(grouping)
            cache[labels] = group
            return group
        }
        if (op == "topk" || op == "bottomk"), parameter.isNaN { throw PromQLError("Parameter value is NaN") }
        // sum, count, group, min and max fold each element into its group as it comes: no member lists.
        if ["sum", "count", "group", "min", "max"].contains(op) {
            var index: [Labels: Int] = [:]
            var groupLabels: [Labels] = []
            var sums: [KahanSum] = [], counts: [Int] = [], extremes: [Double] = []
            for element in elements {
                let group = key(element.labels)
                let position: Int
                if let known = index[group] {
                    position = known
                } else {
                    position = groupLabels.count
                    index[group] = position
                    groupLabels.append(group)
                    sums.append(KahanSum())
                    counts.append(0)
                    extremes.append(element.value)
                }
                sums[position].add(element.value)
                counts[position] += 1
                let current = extremes[position]
                if current.isNaN || (op == "min" ? element.value < current : element.value > current) { extremes[position] = element.value }
            }
            return groupLabels.indices.map { position in
                let value: Double
                switch op {
                case "sum": value = sums[position].value
                case "count": value = Double(counts[position])
                case "group": value = 1
                default: value = extremes[position]
                }
                return VectorElement(labels: groupLabels[position], value: value, time: time)
            }
        }
        var groups: [Labels: [VectorElement]] = [:]
        var order: [Labels] = []
        for element in elements {
            let group = key(element.labels)
            if groups[group] == nil { order.append(group) }
            groups[group, default: []].append(element)
        }
        var out: [VectorElement] = []
        for group in order {
            let members = groups[group] ?? []
            let values = members.map(\.value)
            switch op {
            case "sum":
                var sum = KahanSum()
                for value in values { sum.add(value) }
                out.append(VectorElement(labels: group, value: sum.value, time: time))
            case "avg":
                out.append(VectorElement(labels: group, value: PromQLFunctions.average(values), time: time))
            case "count": out.append(VectorElement(labels: group, value: Double(values.count), time: time))
            case "group": out.append(VectorElement(labels: group, value: 1, time: time))
            case "min", "max":
                var result = values[0]
                for value in values.dropFirst() where result.isNaN || (op == "min" ? value < result : value > result) { result = value }
                out.append(VectorElement(labels: group, value: result, time: time))
            case "stddev", "stdvar":
                var count = 0.0
                var mean = KahanSum(), deviations = KahanSum()
                for value in values {
                    count += 1
                    let delta = value - mean.value
                    mean.add(delta / count)
                    deviations.add(delta * (value - mean.value))
                }
                let variance = deviations.value / count
                out.append(VectorElement(labels: group, value: op == "stdvar" ? variance : variance.squareRoot(), time: time))
            case "quantile":
                out.append(VectorElement(labels: group, value: PromQLFunctions.quantile(parameter, values), time: time))
            case "count_values":
                var counts: [String: Int] = [:]
                var seen: [String] = []
                for value in values {
                    let text = value.goText
                    if counts[text] == nil { seen.append(text) }
                    counts[text, default: 0] += 1
                }
                for text in seen { out.append(VectorElement(labels: group.setting(label, text), value: Double(counts[text] ?? 0), time: time)) }
            case "topk", "bottomk":
                guard parameter >= 1 else { continue }
                let k = parameter >= Double(members.count) ? members.count : Int(parameter)
                out += Self.selectK(members, k: k, top: op == "topk").map { VectorElement(labels: $0.labels, value: $0.value, time: time) }
            default:
                throw PromQLError("aggregation \(op) is not supported")
            }
        }
        return out
    }

    /// topk/bottomk as Prometheus computes them: a heap of k (Go's container/heap), an element replacing the
    /// heap's least only when strictly better, so ties keep the same series Prometheus keeps; the result
    /// sorted best first.
    static func selectK(_ members: [VectorElement], k: Int, top: Bool) -> [VectorElement] {
        // "less" puts the element to evict first at the root: NaN, then the smallest (topk) or largest (bottomk).
        func less(_ a: VectorElement, _ b: VectorElement) -> Bool {
            if a.value.isNaN { return true }
            return top ? a.value < b.value : a.value > b.value
        }
        var heap: [VectorElement] = []
        func up(_ start: Int) {
            var child = start
            while child > 0 {
                let parent = (child - 1) / 2
                guard less(heap[child], heap[parent]) else { break }
                heap.swapAt(parent, child)
                child = parent
            }
        }
        func down(_ start: Int) -> Bool {
            var parent = start
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { break }
                var child = left
                if left + 1 < heap.count, less(heap[left + 1], heap[left]) { child = left + 1 }
                guard less(heap[child], heap[parent]) else { break }
                heap.swapAt(parent, child)
                parent = child
            }
            return parent > start
        }
        for member in members {
            if heap.count < k {
                heap.append(member)
                up(heap.count - 1)
                continue
            }
            let root = heap[0].value
            let better = top ? root < member.value : root > member.value
            if better || (root.isNaN && !member.value.isNaN) {
                heap[0] = member
                if !down(0) { up(0) }
            }
        }
        return heap.sorted { less($1, $0) }
    }

    // MARK: Binary operators

    private func binary(_ op: BinaryOperator, _ leftExpr: Expr, _ rightExpr: Expr, returnBool: Bool, matching: VectorMatching?, at time: Int64) throws(PromQLError) -> PromValue {
        let left = try evaluate(leftExpr, at: time)
        let right = try evaluate(rightExpr, at: time)
        switch (left, right) {
        case (.scalar(let a, _), .scalar(let b, _)):
            let (value, keep) = Self.apply(op, a, b)
            return .scalar(op.isComparison ? (keep ? 1 : 0) : value, time: time)
        case (.vector(let elements), .scalar(let b, _)):
            return .vector(try unique(elements.compactMap { element in
                let (value, keep) = Self.apply(op, element.value, b)
                return Self.result(op, element, value: value, keep: keep, returnBool: returnBool, time: time)
            }))
        case (.scalar(let a, _), .vector(let elements)):
            return .vector(try unique(elements.compactMap { element in
                let (value, keep) = Self.apply(op, a, element.value)
                // A comparison keeps the vector element's value, whichever side it is on.
                return Self.result(op, element, value: op.isComparison ? element.value : value, keep: keep, returnBool: returnBool, time: time)
            }))
        case (.vector(let lhs), .vector(let rhs)):
            let matching = matching ?? VectorMatching()
            if op.isSetOperator { return .vector(Self.setOperation(op, lhs, rhs, matching)) }
            return .vector(try vectorBinary(op, lhs, rhs, matching: matching, returnBool: returnBool, time: time))
        default:
            throw PromQLError("binary expression must contain only scalar and instant vector types")
        }
    }

    private static func result(_ op: BinaryOperator, _ element: VectorElement, value: Double, keep: Bool, returnBool: Bool, time: Int64) -> VectorElement? {
        if op.isComparison {
            if returnBool { return VectorElement(labels: element.labels.droppingName, value: keep ? 1 : 0, time: time) }
            return keep ? VectorElement(labels: element.labels, value: value, time: time) : nil
        }
        return VectorElement(labels: element.labels.droppingName, value: value, time: time)
    }

    /// The arithmetic result, and for comparisons whether it holds (the value is then the left operand).
    static func apply(_ op: BinaryOperator, _ a: Double, _ b: Double) -> (Double, Bool) {
        switch op {
        case .add: return (a + b, true)
        case .sub: return (a - b, true)
        case .mul: return (a * b, true)
        case .div: return (a / b, true)
        case .mod: return (fmod(a, b), true)
        case .pow: return (pow(a, b), true)
        case .atan2: return (atan2(a, b), true)
        case .eql: return (a, a == b)
        case .neq: return (a, a != b)
        case .gtr: return (a, a > b)
        case .lss: return (a, a < b)
        case .gte: return (a, a >= b)
        case .lte: return (a, a <= b)
        case .and, .or, .unless: return (a, true)
        }
    }

    static func signature(_ labels: Labels, _ matching: VectorMatching) -> Labels {
        matching.on ? labels.keeping(matching.labels) : labels.removing(matching.labels + [Labels.metricNameLabel])
    }

    static func setOperation(_ op: BinaryOperator, _ lhs: [VectorElement], _ rhs: [VectorElement], _ matching: VectorMatching) -> [VectorElement] {
        let rightSignatures = Set(rhs.map { signature($0.labels, matching) })
        switch op {
        case .and: return lhs.filter { rightSignatures.contains(signature($0.labels, matching)) }
        case .unless: return lhs.filter { !rightSignatures.contains(signature($0.labels, matching)) }
        default:
            let leftSignatures = Set(lhs.map { signature($0.labels, matching) })
            return lhs + rhs.filter { !leftSignatures.contains(signature($0.labels, matching)) }
        }
    }

    private func vectorBinary(_ op: BinaryOperator, _ lhs: [VectorElement], _ rhs: [VectorElement], matching: VectorMatching, returnBool: Bool, time: Int64) throws(PromQLError) -> [VectorElement] {
        // The "one" side is indexed; for group_right the sides swap, and swap back for the operation.
        let swapped = matching.cardinality == .oneToMany
        let many = swapped ? rhs : lhs
        let one = swapped ? lhs : rhs
        var oneBySignature: [Labels: VectorElement] = [:]
        for element in one {
            let signature = Self.signature(element.labels, matching)
            if let existing = oneBySignature[signature] {
                let side = swapped ? "left" : "right"
                let pair = [existing.labels, element.labels].sorted().map(\.braced).joined(separator: ", ")
                throw PromQLError("found duplicate series for the match group \(signature.braced) on the \(side) hand-side of the operation: [\(pair)];many-to-many matching not allowed: matching labels must be unique on one side")
            }
            oneBySignature[signature] = element
        }
        var out: [VectorElement] = []
        var seenOneToOne = Set<Labels>()
        var seenResults = Set<Labels>()
        for element in many {
            let signature = Self.signature(element.labels, matching)
            guard let partner = oneBySignature[signature] else { continue }
            if matching.cardinality == .oneToOne {
                guard seenOneToOne.insert(signature).inserted else {
                    throw PromQLError("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                }
            }
            let (a, b) = swapped ? (partner.value, element.value) : (element.value, partner.value)
            let (value, keep) = Self.apply(op, a, b)
            if op.isComparison && !returnBool && !keep { continue }
            var labels = element.labels
            if !op.isComparison || returnBool { labels = labels.droppingName }
            if matching.cardinality == .oneToOne {
                labels = matching.on ? labels.keeping(matching.labels) : labels.removing(matching.labels)
            }
            for name in matching.include {
                labels = labels.setting(name, partner.labels[name] ?? "")
            }
            guard seenResults.insert(labels).inserted else {
                if matching.cardinality == .oneToOne { throw PromQLError("vector cannot contain metrics with the same labelset") }
                throw PromQLError("multiple matches for labels: grouping labels must ensure unique matches")
            }
            let resultValue = returnBool ? (keep ? 1.0 : 0.0) : value
            out.append(VectorElement(labels: labels, value: resultValue, time: time))
        }
        return out
    }
}

/// Instant values at successive times gathered into series, by labels, in order of first appearance.
struct SeriesGatherer {
    private var byLabels: [Labels: Int] = [:]
    private(set) var series: [RangeElement] = []

    /// Adds a scalar (as the series `{}`) or a vector's elements as points at `time`.
    mutating func add(_ value: PromValue, at time: Int64) {
        switch value {
        case .scalar(let number, _): append(Labels([]), Sample(timestamp: time, value: number))
        case .vector(let elements): for element in elements { append(element.labels, Sample(timestamp: time, value: element.value)) }
        default: break
        }
    }

    /// Adds a series' points after those already gathered for its labels.
    mutating func add(_ one: RangeElement) {
        for sample in one.samples { append(one.labels, sample) }
    }

    private mutating func append(_ labels: Labels, _ sample: Sample) {
        if let position = byLabels[labels] {
            series[position].samples.append(sample)
        } else {
            byLabels[labels] = series.count
            series.append(RangeElement(labels: labels, samples: [sample]))
        }
    }
}

/// The results of a range query's chunks, filled from several threads.
private final class ChunkResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<[RangeElement], PromQLError>]

    init(count: Int) { results = Array(repeating: .success([]), count: count) }

    func set(_ index: Int, _ result: Result<[RangeElement], PromQLError>) { lock.withLock { results[index] = result } }

    var all: [Result<[RangeElement], PromQLError>] { lock.withLock { results } }
}

#if canImport(Glibc)
import Glibc
#endif
