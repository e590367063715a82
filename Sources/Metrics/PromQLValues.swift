import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// One element of an instant vector: labels, value, and the time of the sample it came from (for
/// `timestamp()`; the evaluation time for computed elements).
public struct VectorElement: Sendable {
    public var labels: Labels
    public var value: Double
    public var time: Int64

    public init(labels: Labels, value: Double, time: Int64) {
        self.labels = labels
        self.value = value
        self.time = time
    }
}

/// One series of a range vector or of a range query's result.
public struct RangeElement: Sendable {
    public var labels: Labels
    public var samples: [Sample]

    public init(labels: Labels, samples: [Sample]) {
        self.labels = labels
        self.samples = samples
    }
}

/// A PromQL value.
public enum PromValue: Sendable {
    case scalar(Double, time: Int64)
    case string(String, time: Int64)
    case vector([VectorElement])
    case matrix([RangeElement])

    public var type: ValueType {
        switch self {
        case .scalar: return .scalar
        case .string: return .string
        case .vector: return .vector
        case .matrix: return .matrix
        }
    }
}

/// Prometheus's stale marker: a NaN with this bit pattern, never returned as a value.
public let staleNaN = Double(bitPattern: 0x7FF0_0000_0000_0002)

extension Double {
    var isStaleMarker: Bool { bitPattern == 0x7FF0_0000_0000_0002 }

    /// Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest decimal that reads back exactly, never in
    /// exponent form; `NaN`, `+Inf`, `-Inf`.
    public var goText: String {
        if isNaN { return "NaN" }
        if self == .infinity { return "+Inf" }
        if self == -.infinity { return "-Inf" }
        if self == 0 { return sign == .minus ? "-0" : "0" }
        let text = "\(self)"
        guard let exponentIndex = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
            return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        }
        var mantissa = String(text[..<exponentIndex])
        guard let exponent = Int(text[text.index(after: exponentIndex)...]) else { return text }
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
        let point = parts[0].count + exponent
        if digits.hasSuffix("0"), parts.count > 1, parts[1] == "0" { digits.removeLast() }
        var out: String
        if point <= 0 {
            out = "0." + String(repeating: "0", count: -point) + digits
        } else if point >= digits.count {
            out = digits + String(repeating: "0", count: point - digits.count)
        } else {
            out = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
        }
        while out.contains("."), out.hasSuffix("0") { out.removeLast() }
        if out.hasSuffix(".") { out.removeLast() }
        return (negative ? "-" : "") + out
    }
}

extension Labels {
    /// The labels without `__name__`.
    var droppingName: Labels { filter { $0.name != Labels.metricNameLabel } }

    /// Only the given label names.
    func keeping(_ names: [String]) -> Labels { filter { names.contains($0.name) } }

    /// Without the given label names.
    func removing(_ names: [String]) -> Labels { filter { !names.contains($0.name) } }

    /// With one label set (or removed when the value is empty).
    func setting(_ name: String, _ value: String) -> Labels {
        Labels(labels.filter { $0.name != name } + (value.isEmpty ? [] : [Label(name, value)]))
    }

    /// Prometheus's text form for messages: `{__name__="x", a="b"}`.
    var braced: String { "{" + labels.map { "\($0.name)=\"\(Labels.escape($0.value))\"" }.joined(separator: ", ") + "}" }
}

/// Kahan–Babuška summation, as Prometheus sums floats (`kahansum.Inc`).
struct KahanSum {
    var sum = 0.0
    var compensation = 0.0

    mutating func add(_ value: Double) {
        let total = sum + value
        if total.isInfinite {
            compensation = 0
        } else if abs(sum) >= abs(value) {
            compensation += (sum - total) + value
        } else {
            compensation += (value - total) + sum
        }
        sum = total
    }

    var value: Double { sum.isInfinite ? sum : sum + compensation }
}
