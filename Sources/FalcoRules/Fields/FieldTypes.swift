import TraceModel

/// Falco's field value types, which decide the operators a field accepts and how a value is parsed.
public enum FieldType: String, Sendable, CaseIterable {
    case string = "CHARBUF"
    case path = "FSPATH"
    case int64 = "INT64"
    case uint64 = "UINT64"
    case uint32 = "UINT32"
    case port = "PORT"
    case absTime = "ABSTIME"
    case relTime = "RELTIME"
    case bool = "BOOL"
    case ipAddress = "IPADDR"
    case ipNetwork = "IPNET"
    case byteBuffer = "BYTEBUF"

    var isNumeric: Bool {
        switch self {
        case .int64, .uint64, .uint32, .port, .absTime, .relTime: true
        default: false
        }
    }

    var isString: Bool { self == .string || self == .path }

    /// Operators Falco accepts on a field of this type (libsinsp `flt_is_comparable`).
    func accepts(_ op: String) -> Bool {
        switch op {
        case "exists", "=", "==", "!=", "in", "intersects": return true
        case "<", "<=", ">", ">=": return isNumeric || isString
        case "contains", "startswith", "endswith": return isString || self == .byteBuffer
        case "icontains", "glob", "iglob", "regex", "pmatch": return isString
        case "bcontains", "bstartswith": return self == .byteBuffer
        default: return false
        }
    }
}

/// How a field takes an argument in brackets.
public enum FieldArgument: Sendable {
    case none
    /// `[N]`, required.
    case index
    /// `[N]`, optional.
    case optionalIndex
    /// `[key]`, required.
    case key
    /// `[key]`, optional.
    case optionalKey
}

/// What a compiled field reads from an event. Each case is typed so comparisons need no conversion.
public enum Extractor: Sendable {
    case string(@Sendable (Event) -> String?)
    case number(@Sendable (Event) -> Int64?)
    case bool(@Sendable (Event) -> Bool?)
    case ip(@Sendable (Event) -> IPAddress?)
    case bytes(@Sendable (Event) -> [UInt8]?)
    /// Several values, any of which may satisfy a check (`proc.aname`, `fd.ip`): `=`, `in`, `contains`...
    /// hold when one value does; `!=` holds when no value is equal.
    case anyString(@Sendable (Event) -> [String]?)
    case anyNumber(@Sendable (Event) -> [Int64]?)
    case anyIP(@Sendable (Event) -> [IPAddress]?)
    /// A list value (`fd.types`): `in` is a subset test, `intersects` an overlap test.
    case list(@Sendable (Event) -> [String]?)

    /// The value rendered as Falco prints it in outputs.
    public func render(_ event: Event) -> String? {
        switch self {
        case .string(let get): return get(event)
        case .number(let get): return get(event).map { String($0) }
        case .bool(let get): return get(event).map { $0 ? "true" : "false" }
        case .ip(let get): return get(event).map(\.description)
        case .bytes(let get): return get(event).map { renderBuffer($0) }
        case .anyString(let get), .list(let get): return get(event).map { $0.joined(separator: " ") }
        case .anyNumber(let get): return get(event).map { $0.map(String.init).joined(separator: " ") }
        case .anyIP(let get): return get(event).map { $0.map(\.description).joined(separator: " ") }
        }
    }

    /// The value typed for JSON `output_fields`.
    public func outputValue(_ event: Event) -> OutputValue {
        switch self {
        case .number(let get): return get(event).map { .integer($0) } ?? .null
        case .bool(let get): return get(event).map { .bool($0) } ?? .null
        default: return render(event).map { .string($0) } ?? .null
        }
    }
}

/// Renders a buffer the way libsinsp prints data: printable ASCII kept, other bytes as `.`.
func renderBuffer(_ bytes: [UInt8]) -> String {
    String(decoding: bytes.map { $0 >= 0x20 && $0 < 0x7f || $0 == 0x0a ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
}

/// One field of the catalog: its name, class, type, documentation and how to build its extractor.
public struct FieldDefinition: Sendable {
    public var name: String
    public var fieldClass: String
    public var type: FieldType
    public var argument: FieldArgument
    public var description: String
    /// Builds the extractor for an argument (nil when none was given); throws a message on a bad argument.
    let make: @Sendable (String?) throws(FieldError) -> Extractor
}

/// Why a field reference could not be resolved.
public struct FieldError: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
