/// Rule priorities in Falco's order: a lower raw value is more severe.
public enum Priority: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case emergency = 0, alert, critical, error, warning, notice, informational, debug

    /// Parses a priority the way Falco does: case-insensitive, `info` accepted for Informational.
    public init?(parsing text: String) {
        let lowered = text.lowercased()
        if lowered == "info" { self = .informational; return }
        guard let match = Priority.allCases.first(where: { $0.name.lowercased() == lowered }) else { return nil }
        self = match
    }

    /// The capitalized long name Falco prints (`Warning`, `Informational`).
    public var name: String {
        switch self {
        case .emergency: "Emergency"
        case .alert: "Alert"
        case .critical: "Critical"
        case .error: "Error"
        case .warning: "Warning"
        case .notice: "Notice"
        case .informational: "Informational"
        case .debug: "Debug"
        }
    }

    public var description: String { name }

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A typed value of an output field, as it goes into Falco's JSON `output_fields`.
public enum OutputValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case unsigned(UInt64)
    case bool(Bool)
    case null
}

/// An alert raised by a rule on an event.
public struct Alert: Sendable, Equatable {
    public var rule: String
    public var priority: Priority
    public var source: String
    public var tags: [String]
    /// Event time in ns since the epoch.
    public var time: UInt64
    public var hostname: String
    /// The rendered message, without the time and priority prefix.
    public var message: String
    /// Each `%field` of the output format with its typed value, keyed by the field text.
    public var outputFields: [(key: String, value: OutputValue)]
    /// The number of the event the alert fired on.
    public var eventNumber: UInt64

    public init(rule: String, priority: Priority, source: String, tags: [String], time: UInt64, hostname: String,
                message: String, outputFields: [(key: String, value: OutputValue)], eventNumber: UInt64) {
        self.rule = rule
        self.priority = priority
        self.source = source
        self.tags = tags
        self.time = time
        self.hostname = hostname
        self.message = message
        self.outputFields = outputFields
        self.eventNumber = eventNumber
    }

    public static func == (lhs: Alert, rhs: Alert) -> Bool {
        lhs.rule == rhs.rule && lhs.priority == rhs.priority && lhs.source == rhs.source && lhs.tags == rhs.tags
            && lhs.time == rhs.time && lhs.hostname == rhs.hostname && lhs.message == rhs.message
            && lhs.eventNumber == rhs.eventNumber
            && lhs.outputFields.map(\.key) == rhs.outputFields.map(\.key)
            && lhs.outputFields.map(\.value) == rhs.outputFields.map(\.value)
    }
}
