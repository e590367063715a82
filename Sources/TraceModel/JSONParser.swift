/// A small JSON parser that keeps object member order and reports the column of an error.
/// Used for trace lines, where order matters (event parameters) and errors must say where.
public struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    /// Deeper nesting is rejected rather than risking the stack.
    public static let maximumDepth = 256

    /// A parser over bytes that must outlive it.
    public init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// An error with its 1-based column (byte position + 1).
    public struct Failure: Error, Sendable {
        public var message: String
        public var column: Int
        /// False for errors about a value's meaning (a wrong type for a key) rather than JSON syntax.
        public var isSyntax: Bool

        public init(message: String, column: Int, isSyntax: Bool = true) {
            self.message = message
            self.column = column
            self.isSyntax = isSyntax
        }
    }

    /// Parses one complete JSON value.
    public static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        let result: Result<JSONValue, Failure> = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(Failure) in try parse(buffer) }
        }
        return try result.get()
    }

    /// Parses one complete JSON value from a buffer.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> JSONValue {
        var parser = JSONParser(bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index < bytes.count { throw parser.fail("unexpected data after the JSON value") }
        return value
    }

    private var columnOffset = 0

    private func fail(_ message: String) -> Failure { Failure(message: message, column: columnOffset + index + 1) }

    /// Parses one value at the start of the buffer (which may continue); `offset` is the buffer's
    /// position in the line, for error columns. `consumed` then tells how far it read.
    mutating func parseOneValue(offset: Int) throws(Failure) -> JSONValue {
        columnOffset = offset
        return try parseValue()
    }

    /// Bytes read so far.
    var consumed: Int { index }

    private mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D { index += 1 }
    }

    private mutating func parseValue() throws(Failure) -> JSONValue {
        guard index < bytes.count else { throw fail("unexpected end of line, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try parseNumber()
        }
    }

    private mutating func literal(_ word: String) throws(Failure) {
        for byte in word.utf8 {
            guard index < bytes.count, bytes[index] == byte else { throw fail("invalid literal, expected '\(word)'") }
            index += 1
        }
    }

    private mutating func parseObject() throws(Failure) -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        if depth > JSONParser.maximumDepth { throw fail("JSON nesting deeper than \(JSONParser.maximumDepth)") }
        index += 1
        var members: [(String, JSONValue)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':' after key") }
            index += 1
            skipWhitespace()
            members.append((key, try parseValue()))
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of line in object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw fail("expected ',' or '}' in object")
        }
    }

    private mutating func parseArray() throws(Failure) -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        if depth > JSONParser.maximumDepth { throw fail("JSON nesting deeper than \(JSONParser.maximumDepth)") }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of line in array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw fail("expected ',' or ']' in array")
        }
    }

    private mutating func parseString() throws(Failure) -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
            if bytes[index] < 0x20 { throw fail("control character in string") }
            index += 1
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            index += 1
            return text
        }
        var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { index += 1; break }
            if byte < 0x20 { throw fail("control character in string") }
            if byte != UInt8(ascii: "\\") { out.append(byte); index += 1; continue }
            index += 1
            guard index < bytes.count else { throw fail("unterminated escape") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                // A high surrogate joins the low one that follows; alone (or before anything else, another high one
                // included) it is U+FFFD, and what follows is read on its own.
                if code >= 0xD800 && code < 0xDC00, index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    let next = index
                    index += 2
                    let low = try hex4()
                    if low >= 0xDC00 && low < 0xE000 { code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) } else { index = next }
                }
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                out += Array(String(Character(scalar)).utf8)
            default: throw fail("invalid escape sequence")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Hex.digitValue(bytes[index]) else { throw fail("invalid hex digit in \\u escape") }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(Failure) -> JSONValue {
        let start = index
        // Fast path: a plain integer that fits in Int64.
        var negative = false
        var cursor = index
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "-") { negative = true; cursor += 1 }
        let digitsStart = cursor
        var magnitude: UInt64 = 0
        var overflow = false
        while cursor < bytes.count, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39 {
            let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(bytes[cursor] - 0x30))
            overflow = overflow || o1 || o2
            magnitude = sum
            cursor += 1
        }
        if cursor > digitsStart, !overflow,
           cursor == bytes.count || !(bytes[cursor] == UInt8(ascii: ".") || bytes[cursor] | 0x20 == UInt8(ascii: "e")) {
            if !negative {
                index = cursor
                return magnitude <= UInt64(Int64.max) ? .integer(Int64(magnitude)) : .unsigned(magnitude)
            }
            if magnitude <= UInt64(Int64.max) + 1 {
                index = cursor
                return .integer(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
            }
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        var isInteger = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x30 && byte <= 0x39 { index += 1; continue }
            if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                isInteger = false
                index += 1
                continue
            }
            break
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard !text.isEmpty, text != "-" else { index = start; throw fail("unexpected character, expected a value") }
        if isInteger {
            if let value = Int64(text) { return .integer(value) }
            if let value = UInt64(text) { return .unsigned(value) }
        }
        guard let value = Double(text) else { index = start; throw fail("invalid number '\(text)'") }
        return .double(value)
    }
}

extension JSONValue {
    /// Member of an object by key.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for (name, value) in members where name == key { return value }
        return nil
    }
}
