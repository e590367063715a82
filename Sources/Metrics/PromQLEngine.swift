import Dispatch
import Foundation
import TraceModel

/// Evaluates PromQL over a `MetricStore` with Prometheus 3 semantics: instant queries, and range queries at
/// `start, start+step, ... <= end` (series sorted by labels), node by node over all steps where the expression
/// allows it (`PromQLSteps.swift`), else as an instant evaluation per step; contiguous runs of steps on each core.
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
    /// Inner steps all the subqueries of one query may evaluate together (every outer step's included): a 1 ms
    /// subquery step over 30 days, or a fine subquery inside a long range query, is refused before it runs.
    public var maximumSubquerySteps = 1_000_000
    private var subquerySteps = 0

    private var loaded = 0
    private var start: Int64 = 0
    private var end: Int64 = 0
    /// Per query: the series each selector selects, and each series' labels without the name.
    private var selections: [String: [Int]] = [:]
    private var nameless: [Labels?] = []
    /// Per query: grouping → (input labels → group labels).
    var groupKeys: [String: [Labels: Labels]] = [:]

    private func beginQuery(start: Int64, end: Int64) {
        loaded = 0
        subquerySteps = 0
        self.start = start
        self.end = end
        selections = [:]
        groupKeys = [:]
        nameless = Array(repeating: nil, count: store.series.count)
    }

    func selected(_ selector: VectorSelector) -> [Int] {
        let key = selector.matchers.map { "\($0.name)\u{0}\($0.kind.rawValue)\u{0}\($0.value)" }.joined(separator: "\u{1}")
        if let known = selections[key] { return known }
        let positions = store.select(selector.matchers)
        selections[key] = positions
        return positions
    }

    func namelessLabels(_ position: Int) -> Labels {
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
        let acrossSteps = evaluatesAcrossSteps, subqueryLimit = maximumSubquerySteps / chunks
        let limit = maximumSamples / chunks
        let results = ChunkResults(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { index in
            let engine = PromQLEngine(store: store)
            engine.semantics = semantics
            engine.lookbackDelta = lookback
            engine.defaultSubqueryStep = subqueryStep
            engine.maximumSamples = limit
            engine.evaluatesAcrossSteps = acrossSteps
            engine.maximumSubquerySteps = subqueryLimit
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

    /// Whether range queries of the shapes dashboards use are evaluated node by node over all steps at once
    /// (`PromQLSteps.swift`); when false, or for any other shape, each step is an instant evaluation.
    public var evaluatesAcrossSteps = true

    /// Threads a range query may use.
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    /// Evaluates the steps `from, from+step, ... <= to` of a range query spanning `queryStart...queryEnd`: all at once
    /// when the expression allows it, else one instant evaluation per step.
    func evaluateSteps(_ expr: Expr, from: Int64, to: Int64, step: Int64, queryStart: Int64, queryEnd: Int64) throws(PromQLError) -> [RangeElement] {
        beginQuery(start: queryStart, end: queryEnd)
        if evaluatesAcrossSteps, let result = evaluateAcrossSteps(expr, times: Array(stride(from: from, through: to, by: Int(step)))) {
            return result
        }
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
        switch expr.node {
        case .paren(let inner): return isOrdered(inner)
        case .call(let function, _): return function.ordersResult
        case .aggregate(let op, _, _, _, _): return op == "topk" || op == "bottomk"
        default: return false
        }
    }

    // MARK: Evaluation

    func evaluate(_ expr: Expr, at time: Int64) throws(PromQLError) -> PromValue {
        switch expr.node {
        case .number(let value): return .scalar(value, time: time)
        case .string(let text): return .string(text, time: time)
        case .paren(let inner): return try evaluate(inner, at: time)
        case .negate(let inner):
            switch try evaluate(inner, at: time) {
            case .scalar(let value, let at): return .scalar(-value, time: at)
            case .vector(let elements):
                return .vector(try Self.unique(elements.map { VectorElement(labels: $0.labels.droppingName, value: -$0.value, time: time) }))
            default: throw PromQLError("unary expression only allowed on expressions of type scalar or instant vector")
            }
        case .selector(let selector): return .vector(try select(selector, at: time))
        case .matrix(let selector, let range): return .matrix(try window(selector, range: range, at: time))
        case .subquery(let inner, let range, let step, let offset, let at):
            return .matrix(try subquery(inner, range: range, step: step ?? defaultSubqueryStep, offset: offset, at: at, time: time))
        case .call(let function, let arguments): return try call(function, arguments, at: time)
        case .aggregate(let op, let param, let inner, let grouping, let without):
            return .vector(try aggregate(op, param: param, inner, grouping: grouping, without: without, at: time))
        case .binary(let op, let left, let right, let returnBool, let matching, _):
            return try binary(op, left, right, returnBool: returnBool, matching: matching, at: time)
        }
    }

    func reference(_ at: AtModifier?, offset: Int64, time: Int64) -> Int64 {
        let base: Int64
        switch at {
        case .time(let pinned): base = pinned
        case .start: base = start
        case .end: base = end
        case nil: base = time
        }
        // Saturating: a hostile offset or @ time far out selects nothing rather than trapping.
        let (reference, overflow) = base.subtractingReportingOverflow(offset)
        return overflow ? (offset > 0 ? Int64.min / 2 : Int64.max / 2) : reference
    }

    func count(_ samples: Int) throws(PromQLError) {
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
            guard let (timestamp, value) = latest(series, at: ref) else { continue }
            out.append(VectorElement(labels: series.labels, value: value, time: timestamp))
        }
        try count(out.count)
        return out
    }

    /// A series' latest sample at `ref` within the lookback, unless it is a stale marker.
    func latest(_ series: MetricStore.StoredSeries, at ref: Int64) -> (Int64, Double)? {
        let index = Self.lastIndex(series.timestamps, atOrBefore: ref)
        guard index >= 0 else { return nil }
        let timestamp = series.timestamps[index]
        let value = series.values[index]
        let inLookback = semantics == .prometheus3 ? timestamp > ref - lookbackDelta : timestamp >= ref - lookbackDelta
        return inLookback && !value.isStaleMarker ? (timestamp, value) : nil
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
    func windowBounds(_ timestamps: [Int64], end: Int64, range: Int64) -> (Int, Int)? {
        let last = Self.lastIndex(timestamps, atOrBefore: end)
        let (start, overflow) = end.subtractingReportingOverflow(semantics == .prometheus3 ? range : range &+ 1)
        let first = Self.lastIndex(timestamps, atOrBefore: overflow ? Int64.min : start) + 1
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
        let (difference, below) = ref.subtractingReportingOverflow(range)
        let lower = below ? Int64.min + step : difference
        var current = (lower >= 0 ? lower / step : -((-lower + step - 1) / step)) * step
        if current < lower || (current == lower && semantics == .prometheus3) { current += step }
        if current <= ref {
            let (span, overflow) = ref.subtractingReportingOverflow(current)
            let steps = overflow ? Int64.max : span / step + 1
            subquerySteps += Int(min(steps, Int64(Int.max / 2)))
            guard subquerySteps <= maximumSubquerySteps else {
                throw PromQLError("subqueries of this query would evaluate more than \(maximumSubquerySteps) steps (this one: \(steps) steps of \(step) ms); use a coarser subquery step or a shorter range")
            }
        }
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
    static func unique(_ elements: [VectorElement]) throws(PromQLError) -> [VectorElement] {
        var seen = Set<Labels>()
        for element in elements where !seen.insert(element.labels).inserted {
            throw PromQLError("vector cannot contain metrics with the same labelset")
        }
        return elements
    }

    /// An instant-vector operand's elements (an empty vector for any other type, which the parser excludes).
    func vectorValue(_ expr: Expr, at time: Int64) throws(PromQLError) -> [VectorElement] {
        if case .vector(let elements) = try evaluate(expr, at: time) { return elements }
        return []
    }

    /// A scalar operand's value (NaN for any other type, which the parser excludes).
    func scalarValue(_ expr: Expr, at time: Int64) throws(PromQLError) -> Double {
        if case .scalar(let value, _) = try evaluate(expr, at: time) { return value }
        return .nan
    }

    /// A string operand's text (empty for any other type, which the parser excludes).
    func stringValue(_ expr: Expr, at time: Int64) throws(PromQLError) -> String {
        if case .string(let text, _) = try evaluate(expr, at: time) { return text }
        return ""
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
