import Foundation
import TraceModel

/// Function calls: the parser resolved each call to a `PromQLFunction`; here its evaluation runs, element-wise,
/// over each series' window of a range vector (in place for a range selector), or as the function's own code.
extension PromQLEngine {
    func call(_ function: PromQLFunction, _ arguments: [Expr], at time: Int64) throws(PromQLError) -> PromValue {
        switch function.evaluation {
        case .elementwise(let operation):
            return .vector(try Self.unique(try vectorValue(arguments[0], at: time).map {
                VectorElement(labels: $0.labels.droppingName, value: operation($0.value), time: time)
            }))
        case .overRange(let matrixArgument, let scalarArgument, let keepsName, let compute):
            let parameter = try scalarArgument.map { index throws(PromQLError) in try scalarValue(arguments[index], at: time) } ?? 0
            return .vector(try Self.unique(try overRange(arguments[matrixArgument], parameter: parameter, keepsName: keepsName, at: time, compute)))
        case .general(let evaluate):
            return try evaluate(FunctionCall(engine: self, arguments: arguments, time: time))
        }
    }

    /// A range function over each series of a range-vector argument. A range selector is read in place (its
    /// windows are slices of the stored series, copied only to leave stale markers out); a subquery is
    /// evaluated first.
    private func overRange(_ argument: Expr, parameter: Double, keepsName: Bool, at time: Int64,
                           _ compute: (RangeWindow) -> Double?) throws(PromQLError) -> [VectorElement] {
        var out: [VectorElement] = []
        switch argument.node {
        case .matrix(let selector, let range):
            let ref = reference(selector.at, offset: selector.offset, time: time)
            for position in selected(selector) {
                let series = store.series[position]
                guard let (first, last) = windowBounds(series.timestamps, end: ref, range: range) else { continue }
                try count(last - first + 1)
                guard let window = rangeWindow(series, first: first, last: last, end: ref, range: range, at: time, parameter: parameter),
                      let value = compute(window) else { continue }
                out.append(VectorElement(labels: keepsName ? series.labels : namelessLabels(position), value: value, time: time))
            }
        case .subquery(_, let range, _, let offset, let at):
            let ref = reference(at, offset: offset, time: time)
            guard case .matrix(let series) = try evaluate(argument, at: time) else { return [] }
            for one in series where !one.samples.isEmpty {
                let window = RangeWindow(timestamps: one.samples.map(\.timestamp), values: one.samples.map(\.value), first: 0, last: one.samples.count - 1,
                                         start: ref - range, end: ref, evaluationTime: time, parameter: parameter, zeroPointFirst: semantics == .prometheus2)
                guard let value = compute(window) else { continue }
                out.append(VectorElement(labels: keepsName ? one.labels : one.labels.droppingName, value: value, time: time))
            }
        case .paren(let inner):
            return try overRange(inner, parameter: parameter, keepsName: keepsName, at: time, compute)
        default:
            break
        }
        return out
    }

    /// A stored series' window `first...last` ending at `end`, read in place; copied only to leave stale markers out
    /// (nil when nothing else is left).
    func rangeWindow(_ series: MetricStore.StoredSeries, first: Int, last: Int, end: Int64, range: Int64, at time: Int64, parameter: Double) -> RangeWindow? {
        let zeroPointFirst = semantics == .prometheus2
        guard series.hasStaleMarkers else {
            return RangeWindow(timestamps: series.timestamps, values: series.values, first: first, last: last,
                               start: end - range, end: end, evaluationTime: time, parameter: parameter, zeroPointFirst: zeroPointFirst)
        }
        let kept = (first...last).filter { !series.values[$0].isStaleMarker }
        guard !kept.isEmpty else { return nil }
        return RangeWindow(timestamps: kept.map { series.timestamps[$0] }, values: kept.map { series.values[$0] }, first: 0, last: kept.count - 1,
                           start: end - range, end: end, evaluationTime: time, parameter: parameter, zeroPointFirst: zeroPointFirst)
    }

    /// absent()'s labels: the equality matchers of a top-level selector (not the name), unless a label is
    /// matched twice.
    static func absentLabels(_ expr: Expr) -> Labels {
        let matchers: [LabelMatcher]
        switch expr.node {
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
}
