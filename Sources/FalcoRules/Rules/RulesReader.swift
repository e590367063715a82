import TraceModel
import Yams

/// An error or warning raised while reading one item, before it is attached to a file's result.
struct ItemProblem: Error {
    var code: LoadCode
    var message: String
    /// Innermost location first added by the reader; the loader adds the item context around it.
    var extra: [LoadLocation] = []
}

/// Helpers over Yams nodes that report Falco's validation messages.
enum YAMLValue {
    static func mappingValue(_ node: Node, _ key: String) -> Node? {
        guard case .mapping(let mapping) = node else { return nil }
        for (keyNode, value) in mapping where keyNode.string == key { return value }
        return nil
    }

    static func keys(_ node: Node) -> [String] {
        guard case .mapping(let mapping) = node else { return [] }
        return mapping.map { $0.key.string ?? "" }
    }

    static func isNull(_ node: Node) -> Bool {
        if case .scalar(let scalar) = node, scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) { return true }
        return false
    }

    /// A required scalar: missing, null, non-scalar and empty values get Falco's messages.
    static func requiredString(_ node: Node, _ key: String) throws(ItemProblem) -> String {
        guard let value = mappingValue(node, key) else {
            throw ItemProblem(code: .yamlValidate, message: "Item has no mapping for key '\(key)'")
        }
        return try scalar(value, key: key, allowEmpty: false)
    }

    static func optionalString(_ node: Node, _ key: String) throws(ItemProblem) -> String? {
        guard let value = mappingValue(node, key) else { return nil }
        return try scalar(value, key: key, allowEmpty: true)
    }

    static func scalar(_ value: Node, key: String, allowEmpty: Bool) throws(ItemProblem) -> String {
        if isNull(value) { throw ItemProblem(code: .yamlValidate, message: "Mapping for key '\(key)' is empty") }
        guard case .scalar(let scalar) = value else {
            throw ItemProblem(code: .yamlValidate, message: "Value is not a scalar value")
        }
        if !allowEmpty, scalar.string.isEmpty {
            throw ItemProblem(code: .yamlValidate, message: "Value must be non-empty")
        }
        return scalar.string
    }

    static func optionalBool(_ node: Node, _ key: String) throws(ItemProblem) -> Bool? {
        guard let text = try optionalString(node, key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on", "y": return true
        case "false", "no", "off", "n": return false
        default: throw ItemProblem(code: .yamlValidate, message: "Can't decode YAML scalar value")
        }
    }

    static func optionalInt(_ node: Node, _ key: String) throws(ItemProblem) -> Int? {
        guard let text = try optionalString(node, key) else { return nil }
        guard let value = Int(text) else { throw ItemProblem(code: .yamlValidate, message: "Can't decode YAML scalar value") }
        return value
    }

    static func stringSequence(_ node: Node, _ key: String, required: Bool) throws(ItemProblem) -> [String]? {
        guard let value = mappingValue(node, key) else {
            if required { throw ItemProblem(code: .yamlValidate, message: "Item has no mapping for key '\(key)'") }
            return nil
        }
        if isNull(value) { return [] }
        guard case .sequence(let sequence) = value else {
            throw ItemProblem(code: .yamlValidate, message: "Value is not a sequence")
        }
        var out: [String] = []
        for item in sequence {
            guard case .scalar(let scalar) = item else {
                throw ItemProblem(code: .yamlValidate, message: "sequence value is not scalar")
            }
            out.append(scalar.string)
        }
        return out
    }
}

/// Typed values of a YAML document TraceLab reads (scenarios, answer keys), with errors at the file,
/// line and column of the offending node.
public struct YAMLFields: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public func fail(_ message: String, _ node: Node?) -> TraceLabError {
        TraceLabError(message, at: SourceLocation(file: path, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1))
    }

    /// A string value; nil when absent and not required.
    public func string(_ node: Node?, _ key: String, required: Bool = true) throws(TraceLabError) -> String? {
        guard let value = node?[key] else {
            if required { throw fail("missing '\(key)'", node) }
            return nil
        }
        guard let text = value.string else { throw fail("'\(key)' must be a string", value) }
        return text
    }

    /// A list of strings; empty when absent.
    public func strings(_ node: Node?, _ key: String) throws(TraceLabError) -> [String] {
        guard let value = node?[key] else { return [] }
        guard case .sequence(let items) = value else { throw fail("'\(key)' must be a list", value) }
        var out: [String] = []
        for item in items {
            guard let text = item.string else { throw fail("'\(key)' must be a list of strings", item) }
            out.append(text)
        }
        return out
    }
}

/// Guards against YAML that would exhaust the stack or memory before it reaches the YAML parser:
/// nesting deeper than `maximumDepth`, and inputs that are not UTF-8.
public enum YAMLGuard {
    static let maximumDepth = 512
    /// More alias uses than this are refused: a few aliases that each repeat the last ("billion laughs")
    /// expand exponentially when a tree is walked.
    static let maximumAliases = 64

    /// Parses YAML that may be hostile: checked for UTF-8, nesting depth and alias count first, then
    /// composed. Errors carry the file, line and column.
    public static func compose(_ bytes: [UInt8], name: String) throws(TraceLabError) -> Node? {
        if let offset = firstInvalidUTF8(bytes) {
            let (line, column) = lineAndColumn(bytes, offset: offset)
            throw TraceLabError("invalid UTF-8 at byte offset \(offset)", at: SourceLocation(file: name, line: line, column: column, offset: offset))
        }
        if let problem = check(bytes) {
            let (line, column) = lineAndColumn(bytes, offset: problem.offset)
            throw TraceLabError(problem.message, at: SourceLocation(file: name, line: line, column: column, offset: problem.offset))
        }
        do {
            return try Yams.compose(yaml: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw TraceLabError("not valid YAML: \(error)", at: SourceLocation(file: name, line: 1, column: 1))
        }
    }

    /// Returns a problem with its byte offset, or nil when the text is safe to parse.
    static func check(_ bytes: [UInt8]) -> (message: String, offset: Int)? {
        var depth = 0
        var aliases = 0
        var previous: UInt8 = 0x0A
        var quote: UInt8 = 0
        var lineStart = true
        var indentation = 0
        var inComment = false
        for (offset, byte) in bytes.enumerated() {
            if byte == 0x0A {
                previous = byte
                lineStart = true
                indentation = 0
                inComment = false
                quote = 0
                continue
            }
            if inComment { continue }
            if lineStart {
                if byte == 0x20 || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: ":") {
                    indentation += 1
                    previous = byte
                    if indentation > maximumDepth * 4 {
                        return ("YAML nesting is deeper than \(maximumDepth) levels", offset)
                    }
                    continue
                }
                lineStart = false
            }
            if quote != 0 {
                if byte == quote { quote = 0 }
                continue
            }
            defer { previous = byte }
            switch byte {
            case UInt8(ascii: "*") where [0x20, 0x0A, 0x09, UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: "-"), UInt8(ascii: ":")].contains(previous):
                aliases += 1
                if aliases > maximumAliases { return ("more than \(maximumAliases) YAML aliases (an alias bomb?)", offset) }
            case UInt8(ascii: "#"): inComment = true
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximumDepth { return ("YAML nesting is deeper than \(maximumDepth) levels", offset) }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default: break
            }
        }
        return nil
    }

    /// The byte offset of the first invalid UTF-8 sequence, if any.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var decoder = UTF8()
        var index = 0
        while index < bytes.count {
            let length: Int
            switch bytes[index] {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return index
            }
            guard index + length <= bytes.count else { return index }
            var scalarBytes = bytes[index..<(index + length)].makeIterator()
            guard case .scalarValue = decoder.decode(&scalarBytes) else { return index }
            index += length
        }
        return nil
    }

    /// 1-based line and column of a byte offset.
    static func lineAndColumn(_ bytes: [UInt8], offset: Int) -> (Int, Int) {
        var line = 1, column = 1
        for byte in bytes.prefix(offset) {
            if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }
}
