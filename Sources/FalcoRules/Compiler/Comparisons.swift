import TraceModel

/// Builds the closure of one check from an extractor, an operator and parsed right-hand values.
enum Comparisons {
    typealias StringTest = @Sendable (String) -> Bool

    // MARK: Single value

    static func single(_ extractor: Extractor, type: FieldType, op: String, value: String,
                       position: ConditionPosition) throws(ConditionCompileError) -> EventPredicate {
        switch extractor {
        case .string(let get):
            if op == "!=" {
                let test = try stringTest("=", value, position: position)
                return { event in get(event).map { !test($0) } ?? false }
            }
            let test = try stringTest(op, value, position: position)
            return { event in get(event).map(test) ?? false }
        case .anyString(let get), .list(let get):
            if op == "!=" {
                let test = try stringTest("=", value, position: position)
                return { event in get(event).map { !$0.contains(where: test) } ?? false }
            }
            let test = try stringTest(op, value, position: position)
            return { event in get(event).map { $0.contains(where: test) } ?? false }
        case .number(let get):
            let test = try numberTest(op, try parseNumber(value, type: type, position: position))
            return { event in get(event).map(test) ?? false }
        case .anyNumber(let get):
            let rhs = try parseNumber(value, type: type, position: position)
            if op == "!=" { return { event in get(event).map { !$0.contains(rhs) } ?? false } }
            let test = try numberTest(op, rhs)
            return { event in get(event).map { $0.contains(where: test) } ?? false }
        case .bool(let get):
            let rhs = try parseBool(value, position: position)
            if op == "!=" { return { event in get(event).map { $0 != rhs } ?? false } }
            return { event in get(event).map { $0 == rhs } ?? false }
        case .ip(let get):
            let test = try ipTest(type, value, position: position)
            if op == "!=" { return { event in get(event).map { !test($0) } ?? false } }
            return { event in get(event).map(test) ?? false }
        case .anyIP(let get):
            let test = try ipTest(type, value, position: position)
            if op == "!=" { return { event in get(event).map { !$0.contains(where: test) } ?? false } }
            return { event in get(event).map { $0.contains(where: test) } ?? false }
        case .bytes(let get):
            let test = try bytesTest(op, value, position: position)
            if op == "!=" { return { event in get(event).map { !test($0) } ?? false } }
            return { event in get(event).map(test) ?? false }
        }
    }

    // MARK: Lists (`in`, `intersects`, `pmatch`)

    static func list(_ extractor: Extractor, type: FieldType, op: String, values: [String],
                     position: ConditionPosition) throws(ConditionCompileError) -> EventPredicate {
        switch extractor {
        case .string(let get):
            if op == "pmatch" {
                let set = PathPrefixSet(values)
                return { event in get(event).map { set.matches($0) } ?? false }
            }
            let set = ByteStringSet(values)
            return { event in get(event).map { set.contains($0) } ?? false }
        case .anyString(let get):
            if op == "pmatch" {
                let set = PathPrefixSet(values)
                return { event in get(event).map { $0.contains { set.matches($0) } } ?? false }
            }
            let set = ByteStringSet(values)
            return { event in get(event).map { $0.contains { set.contains($0) } } ?? false }
        case .list(let get):
            let set = ByteStringSet(values)
            if op == "intersects" { return { event in get(event).map { $0.contains { set.contains($0) } } ?? false } }
            return { event in get(event).map { $0.allSatisfy { set.contains($0) } } ?? false }
        case .number(let get):
            let set = Set(try values.map { (value) throws(ConditionCompileError) in try parseNumber(value, type: type, position: position) })
            return { event in get(event).map { set.contains($0) } ?? false }
        case .anyNumber(let get):
            let set = Set(try values.map { (value) throws(ConditionCompileError) in try parseNumber(value, type: type, position: position) })
            return { event in get(event).map { $0.contains { set.contains($0) } } ?? false }
        case .bool(let get):
            let set = Set(try values.map { (value) throws(ConditionCompileError) in try parseBool(value, position: position) })
            return { event in get(event).map { set.contains($0) } ?? false }
        case .ip(let get):
            let tests = try values.map { (value) throws(ConditionCompileError) in try ipTest(type, value, position: position) }
            return { event in get(event).map { ip in tests.contains { $0(ip) } } ?? false }
        case .anyIP(let get):
            let tests = try values.map { (value) throws(ConditionCompileError) in try ipTest(type, value, position: position) }
            return { event in get(event).map { ips in ips.contains { ip in tests.contains { $0(ip) } } } ?? false }
        case .bytes(let get):
            let set = Set(values.map { Array($0.utf8) })
            return { event in get(event).map { set.contains($0) } ?? false }
        }
    }

    // MARK: Modifiers (`oneof`, `anyof`, `allof`)

    static func modified(_ extractor: Extractor, type: FieldType, op: String, modifier: String, values: [String],
                         position: ConditionPosition) throws(ConditionCompileError) -> EventPredicate {
        let perValue = try values.map { (value) throws(ConditionCompileError) in
            try single(extractor, type: type, op: op, value: value, position: position)
        }
        switch modifier {
        case "oneof":
            return { event in
                var count = 0
                for test in perValue where test(event) {
                    count += 1
                    if count > 1 { return false }
                }
                return count == 1
            }
        case "anyof":
            return { event in perValue.contains { $0(event) } }
        default:
            return { event in !perValue.isEmpty && perValue.allSatisfy { $0(event) } }
        }
    }

    // MARK: Field against field (`val()` and transformers on the right)

    static func dynamic(_ extractor: Extractor, type: FieldType, op: String, other: Extractor, otherType: FieldType,
                        position: ConditionPosition) throws(ConditionCompileError) -> EventPredicate {
        switch (extractor, other) {
        case (.string(let get), .string(let getOther)):
            return { event in
                guard let lhs = get(event), let rhs = getOther(event) else { return false }
                return dynamicStringTest(op, lhs, rhs)
            }
        case (.number(let get), .number(let getOther)):
            return { event in
                guard let lhs = get(event), let rhs = getOther(event) else { return false }
                switch op {
                case "=", "in", "intersects": return lhs == rhs
                case "!=": return lhs != rhs
                case "<": return lhs < rhs
                case "<=": return lhs <= rhs
                case ">": return lhs > rhs
                default: return lhs >= rhs
                }
            }
        case (.bool(let get), .bool(let getOther)):
            return { event in
                guard let lhs = get(event), let rhs = getOther(event) else { return false }
                return op == "!=" ? lhs != rhs : lhs == rhs
            }
        case (.ip(let get), .ip(let getOther)):
            return { event in
                guard let lhs = get(event), let rhs = getOther(event) else { return false }
                return op == "!=" ? lhs != rhs : lhs == rhs
            }
        default:
            // Compare rendered values, as libsinsp does for mixed string-like types.
            guard type.isString || otherType.isString else {
                throw ConditionCompileError(message: "filter error: field types \(type.rawValue) and \(otherType.rawValue) cannot be compared", position: position)
            }
            return { event in
                guard let lhs = extractor.render(event), let rhs = other.render(event) else { return false }
                return dynamicStringTest(op, lhs, rhs)
            }
        }
    }

    private static func dynamicStringTest(_ op: String, _ lhs: String, _ rhs: String) -> Bool {
        switch op {
        case "=", "in", "intersects": return lhs == rhs
        case "!=": return lhs != rhs
        case "contains": return Bytes.contains(lhs, Array(rhs.utf8))
        case "icontains": return Bytes.containsIgnoringCase(lhs, rhs.utf8.map(Bytes.lower))
        case "startswith", "bstartswith": return Bytes.hasPrefix(lhs, Array(rhs.utf8))
        case "endswith": return Bytes.hasSuffix(lhs, Array(rhs.utf8))
        case "bcontains": return Bytes.contains(lhs, Array(rhs.utf8))
        case "glob": return Glob.matches(pattern: rhs, lhs)
        case "iglob": return Glob.matches(pattern: rhs, lhs, caseInsensitive: true)
        case "pmatch": return PathPrefixSet([rhs]).matches(lhs)
        case "<": return Bytes.compare(lhs, rhs) < 0
        case "<=": return Bytes.compare(lhs, rhs) <= 0
        case ">": return Bytes.compare(lhs, rhs) > 0
        default: return Bytes.compare(lhs, rhs) >= 0
        }
    }

    // MARK: Typed tests

    static func stringTest(_ op: String, _ value: String, position: ConditionPosition) throws(ConditionCompileError) -> StringTest {
        let bytes = Array(value.utf8)
        switch op {
        case "=", "in", "intersects":
            return { candidate in
                Bytes.withBytes(candidate) { candidateBytes in
                    guard candidateBytes.count == bytes.count else { return false }
                    guard let candidateBase = candidateBytes.baseAddress else { return bytes.isEmpty }
                    return bytes.withUnsafeBufferPointer { pattern in
                        guard let patternBase = pattern.baseAddress else { return true }
                        return memcmp(candidateBase, patternBase, pattern.count) == 0
                    }
                }
            }
        case "contains": return { Bytes.contains($0, bytes) }
        case "icontains":
            let lowered = bytes.map(Bytes.lower)
            return { Bytes.containsIgnoringCase($0, lowered) }
        case "startswith": return { Bytes.hasPrefix($0, bytes) }
        case "endswith": return { Bytes.hasSuffix($0, bytes) }
        case "glob": return { Glob.matches(pattern: value, $0) }
        case "iglob": return { Glob.matches(pattern: value, $0, caseInsensitive: true) }
        case "pmatch":
            let set = PathPrefixSet([value])
            return { set.matches($0) }
        case "regex":
            let regex = try FullMatchRegex(value, position: position)
            return { regex.matches($0) }
        case "<": return { Bytes.compare($0, value) < 0 }
        case "<=": return { Bytes.compare($0, value) <= 0 }
        case ">": return { Bytes.compare($0, value) > 0 }
        case ">=": return { Bytes.compare($0, value) >= 0 }
        default:
            throw ConditionCompileError(message: "filter error: '\(op)' operator not supported on strings", position: position)
        }
    }

    private static func numberTest(_ op: String, _ rhs: Int64) throws(ConditionCompileError) -> @Sendable (Int64) -> Bool {
        switch op {
        case "=", "in", "intersects": return { $0 == rhs }
        case "!=": return { $0 != rhs }
        case "<": return { $0 < rhs }
        case "<=": return { $0 <= rhs }
        case ">": return { $0 > rhs }
        case ">=": return { $0 >= rhs }
        default:
            throw ConditionCompileError(message: "filter error: '\(op)' operator not supported for numeric filters", position: ConditionPosition())
        }
    }

    static func parseNumber(_ text: String, type: FieldType, position: ConditionPosition) throws(ConditionCompileError) -> Int64 {
        let lower = text.lowercased()
        var value: Int64?
        if lower.hasPrefix("0x") {
            value = UInt64(lower.dropFirst(2), radix: 16).map { Int64(bitPattern: $0) }
        } else if let signed = Int64(text) {
            value = signed
        } else if let unsigned = UInt64(text) {
            value = Int64(bitPattern: unsigned)
        } else if text.hasPrefix("+"), let signed = Int64(text.dropFirst()) {
            value = signed
        }
        guard let value else {
            throw ConditionCompileError(message: "filter error: '\(text)' is not a valid number for a field of type \(type.rawValue)", position: position)
        }
        return value
    }

    static func parseBool(_ text: String, position: ConditionPosition) throws(ConditionCompileError) -> Bool {
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw ConditionCompileError(message: "filter error: '\(text)' is not a valid boolean (true or false)", position: position)
        }
    }

    private static func ipTest(_ type: FieldType, _ text: String, position: ConditionPosition) throws(ConditionCompileError) -> @Sendable (IPAddress) -> Bool {
        if type == .ipNetwork {
            guard let network = IPNetwork(text) else {
                throw ConditionCompileError(message: "filter error: '\(text)' is not a valid IP network", position: position)
            }
            return { network.contains($0) }
        }
        guard let address = IPAddress(text) else {
            throw ConditionCompileError(message: "filter error: '\(text)' is not a valid IP address", position: position)
        }
        return { $0 == address }
    }

    private static func bytesTest(_ op: String, _ text: String, position: ConditionPosition) throws(ConditionCompileError) -> @Sendable ([UInt8]) -> Bool {
        if op == "bcontains" || op == "bstartswith" {
            guard let pattern = Hex.decode(text, allowEmpty: false) else {
                throw ConditionCompileError(message: "filter error: bcontains and bstartswith operator support hex strings only", position: position)
            }
            if op == "bcontains" { return { Bytes.contains($0, pattern) } }
            return { $0.starts(with: pattern) }
        }
        let pattern = Array(text.utf8)
        switch op {
        case "=", "!=", "in", "intersects": return { $0 == pattern }
        case "contains": return { Bytes.contains($0, pattern) }
        case "startswith": return { $0.starts(with: pattern) }
        case "endswith": return { $0.count >= pattern.count && Array($0.suffix(pattern.count)) == pattern }
        default:
            throw ConditionCompileError(message: "filter error: '\(op)' operator not supported on buffers", position: position)
        }
    }

}

#if canImport(Glibc)
import Glibc
#endif

/// A regular expression that must match the whole value: RE2's FullMatch, as libsinsp's `regex` operator (linear
/// time; a pattern RE2 refuses is a compile error at the value's position).
struct FullMatchRegex: Sendable {
    private let regex: RE2Pattern

    init(_ pattern: String, position: ConditionPosition) throws(ConditionCompileError) {
        do {
            regex = try RE2Pattern(pattern)
        } catch {
            throw ConditionCompileError(message: "filter error: invalid regex pattern '\(pattern)': \(error.message)", position: position)
        }
    }

    func matches(_ value: String) -> Bool { regex.fullMatch(value) }
}
