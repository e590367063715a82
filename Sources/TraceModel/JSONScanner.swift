/// A pull parser over one JSON text that reads values in place: objects are walked member by member
/// and scalars are read as the type the caller expects, without building a tree. The JSON Lines
/// reader uses it for event records, the bulk of every trace.
public struct JSONScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    public init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// 1-based column of the next byte.
    public var column: Int { index + 1 }

    /// 0-based offset of the next value (blanks skipped).
    public var offset: Int {
        var cursor = index
        while cursor < bytes.count, isWhitespace(bytes[cursor]) { cursor += 1 }
        return cursor
    }

    /// The input bytes from `start` to the current position.
    public func slice(from start: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[start..<index])
    }

    /// The kinds of value, from the next byte.
    public enum Kind { case object, array, string, number, bool, null, end }

    public var nextKind: Kind {
        var cursor = index
        while cursor < bytes.count, isWhitespace(bytes[cursor]) { cursor += 1 }
        guard cursor < bytes.count else { return .end }
        switch bytes[cursor] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: return .number
        }
    }

    private func fail(_ message: String) -> JSONParser.Failure { JSONParser.Failure(message: message, column: index + 1) }

    @inline(__always) private func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    @inline(__always) private mutating func skipWhitespace() {
        while index < bytes.count, isWhitespace(bytes[index]) { index += 1 }
    }

    /// Requires the end of the input (after trailing blanks).
    public mutating func expectEnd() throws(JSONParser.Failure) {
        skipWhitespace()
        if index < bytes.count { throw fail("unexpected data after the JSON value") }
    }

    /// Walks an object: `body` gets each key (as bytes valid during the call) and must consume its value.
    public mutating func readObject(_ body: (inout JSONScanner, UnsafeBufferPointer<UInt8>) throws(JSONParser.Failure) -> Void) throws(JSONParser.Failure) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { throw fail("expected an object") }
        depth += 1
        defer { depth -= 1 }
        if depth > JSONParser.maximumDepth { throw fail("JSON nesting deeper than \(JSONParser.maximumDepth)") }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try rawString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':' after key") }
            index += 1
            skipWhitespace()
            if let plain = key.plain {
                try body(&self, plain)
            } else {
                let decoded = key.decoded
                try decoded.withUnsafeBufferPointer { (buffer) throws(JSONParser.Failure) in try body(&self, buffer) }
            }
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of line in object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return }
            throw fail("expected ',' or '}' in object")
        }
    }

    /// A string, or nil for `null`; throws for other types.
    public mutating func readString() throws(JSONParser.Failure) -> String? {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of line, expected a value") }
        if bytes[index] == UInt8(ascii: "n") { try literal("null"); return nil }
        guard bytes[index] == UInt8(ascii: "\"") else { throw TypeMismatch.failure(column: index + 1) }
        let raw = try rawString()
        if let plain = raw.plain { return String(decoding: plain, as: UTF8.self) }
        return String(decoding: raw.decoded, as: UTF8.self)
    }

    /// An integer (signed or, above Int64.max, as its bit pattern), or nil for `null`.
    public mutating func readInteger() throws(JSONParser.Failure) -> Int64? {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of line, expected a value") }
        if bytes[index] == UInt8(ascii: "n") { try literal("null"); return nil }
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        var magnitude: UInt64 = 0
        let digits = index
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(bytes[index] - 0x30))
            if o1 || o2 { index = start; throw fail("integer out of range") }
            magnitude = sum
            index += 1
        }
        if index == digits || (index < bytes.count && (bytes[index] == UInt8(ascii: ".") || bytes[index] | 0x20 == UInt8(ascii: "e"))) {
            index = start
            throw TypeMismatch.failure(column: start + 1)
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { index = start; throw fail("integer out of range") }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        return Int64(bitPattern: magnitude)
    }

    /// `true`/`false`, or nil for `null`.
    public mutating func readBool() throws(JSONParser.Failure) -> Bool? {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of line, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        case UInt8(ascii: "n"): try literal("null"); return nil
        default: throw TypeMismatch.failure(column: index + 1)
        }
    }

    /// Skips the next value, checked as JSON but not built (objects, strings and literals walked in place;
    /// numbers and arrays through the tree parser).
    public mutating func skipValue() throws(JSONParser.Failure) {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of line, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try readObject { (scanner, _) throws(JSONParser.Failure) in try scanner.skipValue() }
        case UInt8(ascii: "\""): _ = try rawString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try readValue()
        }
    }

    /// Any value, as a tree (for the rare members a fast path does not know).
    public mutating func readValue() throws(JSONParser.Failure) -> JSONValue {
        skipWhitespace()
        var parser = JSONParser(UnsafeBufferPointer(rebasing: bytes[index...]))
        let value = try parser.parseOneValue(offset: index)
        index += parser.consumed
        return value
    }

    private mutating func literal(_ word: StaticString) throws(JSONParser.Failure) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail("invalid literal, expected '\(word)'") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw fail("invalid literal, expected '\(word)'")
        }
        index += count
    }

    /// A string's bytes: the slice of the input when it has no escapes, else the decoded bytes.
    private struct RawString {
        var plain: UnsafeBufferPointer<UInt8>?
        var decoded: [UInt8] = []
    }

    private mutating func rawString() throws(JSONParser.Failure) -> RawString {
        index += 1
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
            if bytes[index] < 0x20 { throw fail("control character in string") }
            index += 1
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            let plain = UnsafeBufferPointer(rebasing: bytes[start..<index])
            index += 1
            return RawString(plain: plain)
        }
        // Escapes: let the tree parser decode from the opening quote.
        index = start - 1
        var parser = JSONParser(UnsafeBufferPointer(rebasing: bytes[index...]))
        let value = try parser.parseOneValue(offset: index)
        index += parser.consumed
        guard case .string(let text) = value else { throw fail("expected a string") }
        return RawString(plain: nil, decoded: Array(text.utf8))
    }

    /// Thrown when a value has another type than the caller asked for; the caller names the key.
    public enum TypeMismatch {
        public static let marker = "type mismatch"
        static func failure(column: Int) -> JSONParser.Failure { JSONParser.Failure(message: marker, column: column) }
    }
}

/// Compares key bytes with a literal.
@inline(__always)
public func keyIs(_ key: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
    let count = literal.utf8CodeUnitCount
    guard key.count == count else { return false }
    let start = literal.utf8Start
    for offset in 0..<count where key[offset] != start[offset] { return false }
    return true
}
