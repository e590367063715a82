/// A JSON value with deterministic rendering: object keys keep the order they are given in, so callers
/// decide (Falco's alerts and load results use sorted keys).
public indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case unsigned(UInt64)
    case double(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.rendered == rhs.rendered }

    /// Compact JSON text.
    public var rendered: String {
        var out = ""
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        switch self {
        case .string(let text): JSONValue.writeString(text, to: &out)
        case .integer(let value): out += String(value)
        case .unsigned(let value): out += String(value)
        case .double(let value): out += value.isFinite ? String(value) : "null"
        case .bool(let value): out += value ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                JSONValue.writeString(member.0, to: &out)
                out += ":"
                member.1.write(to: &out)
            }
            out += "}"
        }
    }

    /// Writes a JSON string literal with the escapes RFC 8259 requires.
    public static func writeString(_ text: String, to out: inout String) {
        out += "\""
        var text = text
        // Runs of bytes that need no escape are copied whole; a UTF-8 multi-byte sequence never holds an ASCII
        // byte, so cutting at the escaped ones keeps every character intact.
        text.withUTF8 { bytes in
            var start = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
                if start < index { out += String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self) }
                switch byte {
                case 0x22: out += "\\\""
                case 0x5C: out += "\\\\"
                case 0x0A: out += "\\n"
                case 0x0D: out += "\\r"
                case 0x09: out += "\\t"
                default:
                    let hex = String(byte, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
                start = index + 1
            }
            if start < bytes.count { out += String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]), as: UTF8.self) }
        }
        out += "\""
    }
}

extension OutputValue {
    /// A value read back from JSON (anything but a string, integer or bool is null).
    public init(json: JSONValue) {
        switch json {
        case .string(let text): self = .string(text)
        case .integer(let value): self = .integer(value)
        case .unsigned(let value): self = .unsigned(value)
        case .bool(let value): self = .bool(value)
        default: self = .null
        }
    }

    /// The value as JSON.
    public var json: JSONValue {
        switch self {
        case .string(let text): .string(text)
        case .integer(let value): .integer(value)
        case .unsigned(let value): .unsigned(value)
        case .bool(let value): .bool(value)
        case .null: .null
        }
    }
}

extension Alert {
    /// The alert as one JSON object with every field, to carry it between processes (a grading child's replays).
    public var record: JSONValue {
        .object([("rule", .string(rule)), ("priority", .string(priority.name)), ("source", .string(source)),
                 ("tags", .array(tags.map { .string($0) })), ("time", .unsigned(time)), ("hostname", .string(hostname)),
                 ("message", .string(message)), ("output_fields", .object(outputFields.map { ($0.key, $0.value.json) })),
                 ("event_number", .unsigned(eventNumber))])
    }

    /// An alert read back from `record`; nil when the object lacks a field.
    public init?(record: JSONValue) {
        guard case .object(let members) = record else { return nil }
        func member(_ key: String) -> JSONValue? { members.first { $0.0 == key }?.1 }
        func text(_ key: String) -> String? { if case .string(let value)? = member(key) { return value } else { return nil } }
        func number(_ key: String) -> UInt64? {
            switch member(key) {
            case .unsigned(let value)?: return value
            case .integer(let value)? where value >= 0: return UInt64(value)
            default: return nil
            }
        }
        guard let rule = text("rule"), let priority = text("priority").flatMap(Priority.init(parsing:)), let source = text("source"),
              let time = number("time"), let hostname = text("hostname"), let message = text("message"), let eventNumber = number("event_number") else { return nil }
        var tags: [String] = []
        if case .array(let items)? = member("tags") { tags = items.compactMap { if case .string(let tag) = $0 { return tag } else { return nil } } }
        var fields: [(key: String, value: OutputValue)] = []
        if case .object(let pairs)? = member("output_fields") { fields = pairs.map { ($0.0, OutputValue(json: $0.1)) } }
        self.init(rule: rule, priority: priority, source: source, tags: tags, time: time, hostname: hostname, message: message,
                  outputFields: fields, eventNumber: eventNumber)
    }
}
