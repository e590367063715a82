/// One label: a name and its value.
public struct Label: Sendable, Hashable, Comparable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public static func < (lhs: Label, rhs: Label) -> Bool { (lhs.name, lhs.value) < (rhs.name, rhs.value) }
}

/// A series' identity in Prometheus's model: labels sorted by name, the metric name held as `__name__`,
/// and no label with an empty value (an empty value is the same as an absent label).
public struct Labels: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let metricNameLabel = "__name__"
    /// Sorted by name; names are unique.
    public let labels: [Label]
    /// A hash of every name and value, computed once: label sets are dictionary keys in every query step.
    private let fingerprint: Int

    /// Sorts the labels, drops empty values, and keeps the last value given for a repeated name.
    public init(_ labels: [Label]) {
        // Stable sort by name, then keep the last of each name.
        let ordered = labels.enumerated().sorted { ($0.element.name, $0.offset) < ($1.element.name, $1.offset) }.map(\.element)
        var unique: [Label] = []
        unique.reserveCapacity(ordered.count)
        for label in ordered {
            if let last = unique.last, last.name == label.name { unique[unique.count - 1] = label } else { unique.append(label) }
        }
        self.init(sorted: unique.filter { !$0.value.isEmpty })
    }

    /// Labels already sorted by name, unique, without empty values.
    private init(sorted labels: [Label]) {
        self.labels = labels
        var hasher = Hasher()
        for label in labels {
            hasher.combine(label.name)
            hasher.combine(label.value)
        }
        fingerprint = hasher.finalize()
    }

    public static func == (lhs: Labels, rhs: Labels) -> Bool { lhs.fingerprint == rhs.fingerprint && lhs.labels == rhs.labels }

    public func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }

    /// The labels for which `keep` is true (already sorted: no re-sorting).
    public func filter(_ keep: (Label) -> Bool) -> Labels {
        let kept = labels.filter(keep)
        return kept.count == labels.count ? self : Labels(sorted: kept)
    }

    /// A metric name and its labels.
    public init(name: String, _ labels: [(String, String)]) {
        self.init([Label(Self.metricNameLabel, name)] + labels.map { Label($0.0, $0.1) })
    }

    public subscript(name: String) -> String? { labels.first { $0.name == name }?.value }

    public var metricName: String? { self[Self.metricNameLabel] }

    public static func < (lhs: Labels, rhs: Labels) -> Bool { lhs.labels.lexicographicallyPrecedes(rhs.labels) }

    /// Prometheus's text form: `name{a="x",b="y"}`, values escaped as in the exposition format.
    public var description: String {
        let rest = labels.filter { $0.name != Self.metricNameLabel }
        let inner = rest.map { "\($0.name)=\"\(Self.escape($0.value))\"" }.joined(separator: ",")
        let name = metricName ?? ""
        return rest.isEmpty && !name.isEmpty ? name : name + "{" + inner + "}"
    }

    /// Escapes a label value: backslash, double quote and line feed.
    public static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}

/// One sample: a time in milliseconds since the epoch and a value.
public struct Sample: Sendable, Equatable {
    public var timestamp: Int64
    public var value: Double

    public init(timestamp: Int64, value: Double) {
        self.timestamp = timestamp
        self.value = value
    }
}

/// A time series: its labels and its samples in time order.
public struct Series: Sendable {
    public var labels: Labels
    public var samples: [Sample]

    public init(labels: Labels, samples: [Sample]) {
        self.labels = labels
        self.samples = samples
    }
}
