import TraceModel

/// A syntax error in a condition, with the position where parsing stopped.
public struct ConditionSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var position: ConditionPosition

    public var description: String { "\(message) at \(position.line):\(position.column)" }
}

/// Character classes of libsinsp's condition grammar.
enum ConditionLexer {
    static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x08
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    static func isIdentifierBody(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) || byte == 0x5F }

    /// Bytes that end a bare string: blanks, `(`, `)`, `,`, `=`, quotes.
    static func breaksBareString(_ byte: UInt8) -> Bool {
        isBlank(byte) || byte == 0x28 || byte == 0x29 || byte == 0x2C || byte == 0x3D || byte == 0x22 || byte == 0x27
    }
}

/// A recursive-descent parser for Falco conditions, following libsinsp's grammar (`filter/parser.h`):
/// the same operators, keywords, blanks, string escapes, transformers and error cases.
public struct ConditionParser {
    /// Transformers that may appear on either side (`val` only on the right).
    public static let transformers: Set<String> = ["tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt"]
    /// Operators that take no value.
    public static let unaryOperators = ["exists"]
    /// Operators that take a number (or a transformer/`val`).
    public static let numericOperators = ["<=", "<", ">=", ">"]
    /// Operators that take a string (or a transformer/`val`), and accept a modifier.
    public static let stringOperators = ["==", "=", "!=", "glob", "iglob", "contains", "icontains", "bcontains",
                                         "startswith", "bstartswith", "endswith", "regex"]
    /// Operators that take a list (or a transformer/`val`).
    public static let listOperators = ["intersects", "in", "pmatch"]
    /// List modifiers of string operators (Falco 0.44).
    public static let modifiers = ["oneof", "anyof", "allof"]

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var column = 1
    private var depth = 0
    private var lastToken = ""
    /// Maximum nesting; libsinsp's default is 100, Falco raises it to 1000.
    public var maxDepth: Int

    public init(_ text: String, maxDepth: Int = 100) {
        self.bytes = Array(text.utf8)
        self.maxDepth = maxDepth
    }

    /// Where the parser stands now (after a successful `parse()`, the end of the input).
    public var position: ConditionPosition { ConditionPosition(index: index, line: line, column: column) }

    /// Parses a whole condition.
    public static func parse(_ text: String, maxDepth: Int = 100) throws(ConditionSyntaxError) -> ConditionNode {
        var parser = ConditionParser(text, maxDepth: maxDepth)
        return try parser.parse()
    }

    /// Parses the whole input; every byte must be consumed.
    public mutating func parse() throws(ConditionSyntaxError) -> ConditionNode {
        index = 0; line = 1; column = 1; depth = 0; lastToken = ""
        if bytes.allSatisfy(ConditionLexer.isBlank) { throw fail("filter input string is empty") }
        let result = try parseOr()
        skipBlanks()
        if index < bytes.count {
            throw fail("unexpected token after '\(lastToken)', expecting 'or', 'and'")
        }
        return result
    }

    // MARK: Boolean structure

    private mutating func enter() throws(ConditionSyntaxError) {
        depth += 1
        if depth > maxDepth { throw fail("exceeded max depth limit of \(maxDepth)") }
    }

    private mutating func parseOr() throws(ConditionSyntaxError) -> ConditionNode {
        try enter()
        defer { depth -= 1 }
        let start = position
        var children = [try parseAnd()]
        while true {
            let saved = save()
            skipBlanks()
            guard try keyword("or") else { restore(saved); break }
            children.append(try parseAnd())
        }
        return children.count == 1 ? children[0] : .or(children, position: start)
    }

    private mutating func parseAnd() throws(ConditionSyntaxError) -> ConditionNode {
        skipBlanks()
        let start = position
        var children = [try parseNot()]
        while true {
            let saved = save()
            skipBlanks()
            guard try keyword("and") else { restore(saved); break }
            children.append(try parseNot())
        }
        return children.count == 1 ? children[0] : .and(children, position: start)
    }

    /// Matches a boolean keyword followed by a blank or `(`; throws when the keyword is glued to a word.
    private mutating func keyword(_ word: String) throws(ConditionSyntaxError) -> Bool {
        let saved = save()
        guard matchLiteral(word) else { return false }
        if index < bytes.count, ConditionLexer.isBlank(bytes[index]) || bytes[index] == UInt8(ascii: "(") {
            lastToken = word
            return true
        }
        restore(saved)
        return false
    }

    private mutating func parseNot() throws(ConditionSyntaxError) -> ConditionNode {
        skipBlanks()
        var negations: [ConditionPosition] = []
        while true {
            let start = position
            guard matchLiteral("not") else { break }
            if index < bytes.count, ConditionLexer.isBlank(bytes[index]) || bytes[index] == UInt8(ascii: "(") {
                lastToken = "not"
                negations.append(start)
                skipBlanks()
                continue
            }
            // `not` is the start of an identifier such as `not_macro`.
            restore((start.index, start.line, start.column))
            break
        }
        // Each `not` is a level of nesting for every recursive walk of the tree, as each paren is.
        depth += negations.count
        defer { depth -= negations.count }
        if depth > maxDepth { throw fail("exceeded max depth limit of \(maxDepth)") }
        var node = try parseCheck()
        for start in negations.reversed() { node = .not(node, position: start) }
        return node
    }

    private mutating func parseCheck() throws(ConditionSyntaxError) -> ConditionNode {
        skipBlanks()
        let start = position
        if peek(UInt8(ascii: "(")) {
            advance()
            let inner = try parseOr()
            skipBlanks()
            guard peek(UInt8(ascii: ")")) else { throw fail("expected a ')' token") }
            advance()
            lastToken = ")"
            return inner
        }
        if let fieldName = scanFieldName() {
            var argument: String?
            if peek(UInt8(ascii: "[")) { argument = try parseFieldArgument() }
            let operand = ConditionOperand.field(name: fieldName, argument: argument, position: start)
            lastToken = operand.text
            return try parseCondition(operand, start: start)
        }
        if let identifier = scanIdentifier() {
            if peek(UInt8(ascii: "(")) {
                guard ConditionParser.transformers.contains(identifier) else {
                    throw fail("unknown transformer '\(identifier)'", at: start)
                }
                let operand = try parseTransformer(identifier, start: start)
                lastToken = operand.text
                return try parseCondition(operand, start: start)
            }
            lastToken = identifier
            return .identifier(identifier, position: start)
        }
        throw fail("expected a field, a macro, 'not' or '('")
    }

    // MARK: Checks

    private mutating func parseCondition(_ operand: ConditionOperand, start: ConditionPosition) throws(ConditionSyntaxError) -> ConditionNode {
        skipBlanks()
        if matchLiteral("exists") {
            lastToken = "exists"
            return .unary(operand, op: "exists", position: start)
        }
        for op in ConditionParser.numericOperators where matchOperator(op, wordLike: false) {
            lastToken = op
            skipBlanks()
            if let value = try parseTransformerOrVal() { return .binary(operand, op: op, modifier: nil, value: value, position: start) }
            let valueStart = position
            guard let number = scanNumber() else { throw fail("expected a number value") }
            lastToken = number
            return .binary(operand, op: op, modifier: nil, value: .literal(number, quoted: false, position: valueStart), position: start)
        }
        for op in ConditionParser.listOperators where matchOperator(op, wordLike: true, allowParenthesis: true) {
            lastToken = op
            skipBlanks()
            if let value = try parseTransformerOrVal() { return .binary(operand, op: op, modifier: nil, value: value, position: start) }
            return .binary(operand, op: op, modifier: nil, value: try parseListValue(), position: start)
        }
        for op in ConditionParser.stringOperators where matchOperator(op, wordLike: ConditionLexer.isLetter(op.utf8.first ?? 0)) {
            lastToken = op
            let beforeBlanks = index
            skipBlanks()
            if index > beforeBlanks, let modifier = matchModifier() {
                return .binary(operand, op: op, modifier: modifier, value: try parseListValue(), position: start)
            }
            if let value = try parseTransformerOrVal() { return .binary(operand, op: op, modifier: nil, value: value, position: start) }
            let valueStart = position
            let (text, quoted) = try parseStringValue()
            lastToken = text
            return .binary(operand, op: op, modifier: nil, value: .literal(text, quoted: quoted, position: valueStart), position: start)
        }
        throw fail("expected a valid operator after '\(lastToken)'")
    }

    /// Matches an operator token. Word operators must be followed by a blank (list operators also by `(`).
    private mutating func matchOperator(_ op: String, wordLike: Bool, allowParenthesis: Bool = false) -> Bool {
        let saved = save()
        guard matchLiteral(op) else { return false }
        if wordLike {
            guard index < bytes.count,
                  ConditionLexer.isBlank(bytes[index]) || (allowParenthesis && bytes[index] == UInt8(ascii: "(")) else {
                restore(saved)
                return false
            }
        } else if op == "=" || op == "==" || op == "!=" || op == "<" || op == ">" {
            // `===`, `!==` are not operators.
            if peek(UInt8(ascii: "=")) { restore(saved); return false }
        }
        return true
    }

    /// `oneof|anyof|allof` followed by a blank and then a list or a list name (not a boolean keyword).
    private mutating func matchModifier() -> String? {
        let saved = save()
        for modifier in ConditionParser.modifiers where matchLiteral(modifier) {
            guard index < bytes.count, ConditionLexer.isBlank(bytes[index]) else { restore(saved); return nil }
            skipBlanks()
            if peek(UInt8(ascii: "(")) { return modifier }
            let afterBlanks = save()
            if let word = scanIdentifier() {
                let next = index < bytes.count ? bytes[index] : 0x20
                let isKeyword = (word == "and" || word == "or" || word == "not")
                    && (ConditionLexer.isBlank(next) || next == UInt8(ascii: "("))
                restore(afterBlanks)
                if !isKeyword { return modifier }
            }
            restore(saved)
            return nil
        }
        return nil
    }

    private mutating func parseListValue() throws(ConditionSyntaxError) -> ConditionValue {
        let start = position
        if peek(UInt8(ascii: "(")) {
            advance()
            var items: [ConditionValue.ListItem] = []
            skipBlanks()
            if peek(UInt8(ascii: ")")) {
                advance()
                lastToken = ")"
                return .list(items, position: start)
            }
            while true {
                skipBlanks()
                let itemStart = position
                let (text, quoted) = try parseStringValue()
                items.append(.init(text: text, quoted: quoted, position: itemStart))
                skipBlanks()
                if peek(UInt8(ascii: ",")) { advance(); continue }
                if peek(UInt8(ascii: ")")) { advance(); lastToken = ")"; break }
                throw fail("expected a ',' or ')' token in list")
            }
            return .list(items, position: start)
        }
        if let name = scanIdentifier() {
            lastToken = name
            return .listReference(name, position: start)
        }
        throw fail("expected a list or a list name")
    }

    /// `val(field)` or a transformer, when the input has one here.
    private mutating func parseTransformerOrVal() throws(ConditionSyntaxError) -> ConditionValue? {
        let start = position
        let saved = save()
        guard let name = scanIdentifier() else { return nil }
        guard peek(UInt8(ascii: "(")) else { restore(saved); return nil }
        if name == "val" {
            advance()
            skipBlanks()
            let fieldStart = position
            guard let field = scanFieldName() else { throw fail("expected a field in val()") }
            var argument: String?
            if peek(UInt8(ascii: "[")) { argument = try parseFieldArgument() }
            skipBlanks()
            guard peek(UInt8(ascii: ")")) else { throw fail("expected a ')' token") }
            advance()
            lastToken = ")"
            return .fieldValue(.field(name: field, argument: argument, position: fieldStart), position: start)
        }
        guard ConditionParser.transformers.contains(name) else { restore(saved); return nil }
        return .transformed(try parseTransformer(name, start: start), position: start)
    }

    private mutating func parseTransformer(_ name: String, start: ConditionPosition) throws(ConditionSyntaxError) -> ConditionOperand {
        try enter()
        defer { depth -= 1 }
        advance() // (
        var arguments: [TransformerArgument] = []
        skipBlanks()
        if !peek(UInt8(ascii: ")")) {
            while true {
                skipBlanks()
                arguments.append(try parseTransformerArgument(allowList: true))
                skipBlanks()
                if peek(UInt8(ascii: ",")) { advance(); continue }
                break
            }
        }
        skipBlanks()
        guard peek(UInt8(ascii: ")")) else { throw fail("expected a ')' token") }
        advance()
        lastToken = ")"
        var argument: String?
        if peek(UInt8(ascii: "[")) { argument = try parseFieldArgument() }
        return .transformer(name: name, arguments: arguments, argument: argument, position: start)
    }

    private mutating func parseTransformerArgument(allowList: Bool) throws(ConditionSyntaxError) -> TransformerArgument {
        let start = position
        if peek(UInt8(ascii: "\"")) || peek(UInt8(ascii: "'")) {
            return .literal(try parseQuotedString(), position: start)
        }
        if allowList, peek(UInt8(ascii: "(")) {
            advance()
            var items: [TransformerArgument] = []
            skipBlanks()
            if !peek(UInt8(ascii: ")")) {
                while true {
                    skipBlanks()
                    items.append(try parseTransformerArgument(allowList: false))
                    skipBlanks()
                    if peek(UInt8(ascii: ",")) { advance(); continue }
                    break
                }
            }
            guard peek(UInt8(ascii: ")")) else { throw fail("expected a ')' token") }
            advance()
            return .list(items, position: start)
        }
        if let field = scanFieldName() {
            var argument: String?
            if peek(UInt8(ascii: "[")) { argument = try parseFieldArgument() }
            return .operand(.field(name: field, argument: argument, position: start))
        }
        let saved = save()
        if let name = scanIdentifier(), peek(UInt8(ascii: "(")), ConditionParser.transformers.contains(name) {
            return .operand(try parseTransformer(name, start: start))
        }
        restore(saved)
        throw fail("expected a field, a transformer or a quoted string")
    }

    // MARK: Values

    private mutating func parseStringValue() throws(ConditionSyntaxError) -> (String, Bool) {
        if peek(UInt8(ascii: "\"")) || peek(UInt8(ascii: "'")) { return (try parseQuotedString(), true) }
        let begin = index
        while index < bytes.count, !ConditionLexer.breaksBareString(bytes[index]) { advance() }
        guard index > begin else { throw fail("expected a string value") }
        return (String(decoding: bytes[begin..<index], as: UTF8.self), false)
    }

    /// A quoted string, unescaped as libsinsp's `unescape_str` does.
    private mutating func parseQuotedString() throws(ConditionSyntaxError) -> String {
        let start = position
        let quote = bytes[index]
        advance()
        var raw: [UInt8] = []
        while true {
            guard index < bytes.count else { throw fail("unterminated quoted string", at: start) }
            let byte = bytes[index]
            if byte == quote { advance(); break }
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == quote {
                raw += [byte, quote]
                advance(); advance()
                continue
            }
            raw.append(byte)
            advance()
        }
        lastToken = String(decoding: raw, as: UTF8.self)
        guard let value = ConditionParser.unescape(raw, quote: quote) else {
            throw fail("unsupported string escape sequence", at: start)
        }
        return value
    }

    /// Decodes `\b \f \n \r \t \\ \/ \xHH`, the quote's own escape, and `\ ` (backslash kept).
    static func unescape(_ raw: [UInt8], quote: UInt8) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else { out.append(byte); index += 1; continue }
            guard index + 1 < raw.count else { return nil }
            let next = raw[index + 1]
            index += 2
            switch next {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
            case UInt8(ascii: " "): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: " "))
            case quote: out.append(quote)
            case UInt8(ascii: "x"):
                guard index + 1 < raw.count, let high = Hex.digitValue(raw[index]), let low = Hex.digitValue(raw[index + 1]) else { return nil }
                out.append(high << 4 | low)
                index += 2
            default: return nil
            }
        }
        // Invalid UTF-8 (`\xff`) is repaired the same way trace readers repair it, so the two still compare equal.
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func parseFieldArgument() throws(ConditionSyntaxError) -> String {
        advance() // [
        let value: String
        if peek(UInt8(ascii: "\"")) || peek(UInt8(ascii: "'")) {
            value = try parseQuotedString()
        } else {
            let begin = index
            while index < bytes.count {
                let byte = bytes[index]
                if ConditionLexer.isBlank(byte) || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
                    || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") { break }
                advance()
            }
            guard index > begin else { throw fail("expected a field argument") }
            value = String(decoding: bytes[begin..<index], as: UTF8.self)
        }
        guard peek(UInt8(ascii: "]")) else { throw fail("expected a ']' token") }
        advance()
        return value
    }

    private mutating func scanNumber() -> String? {
        let begin = save()
        if peek(UInt8(ascii: "0")), index + 1 < bytes.count, bytes[index + 1] | 0x20 == UInt8(ascii: "x") {
            advance(); advance()
            let digits = index
            while index < bytes.count, Hex.digitValue(bytes[index]) != nil { advance() }
            if index > digits, !followsWord() { return String(decoding: bytes[begin.0..<index], as: UTF8.self) }
            restore(begin)
            return nil
        }
        if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { advance() }
        let digits = index
        while index < bytes.count, ConditionLexer.isDigit(bytes[index]) { advance() }
        guard index > digits else { restore(begin); return nil }
        if peek(UInt8(ascii: ".")) {
            advance()
            while index < bytes.count, ConditionLexer.isDigit(bytes[index]) { advance() }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            let exponent = save()
            advance()
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) {
                advance()
                let expDigits = index
                while index < bytes.count, ConditionLexer.isDigit(bytes[index]) { advance() }
                if index == expDigits { restore(exponent) }
            } else { restore(exponent) }
        }
        if followsWord() { restore(begin); return nil }
        return String(decoding: bytes[begin.0..<index], as: UTF8.self)
    }

    /// True when the next byte would glue onto a number (`0xAAA.1`, `1a`).
    private func followsWord() -> Bool {
        guard index < bytes.count else { return false }
        return !ConditionLexer.breaksBareString(bytes[index])
    }

    // MARK: Lexing helpers

    /// `[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+`
    private mutating func scanFieldName() -> String? {
        let saved = save()
        guard scanIdentifier() != nil else { return nil }
        var segments = 0
        while peek(UInt8(ascii: ".")) {
            let beforeDot = save()
            advance()
            guard scanIdentifier() != nil else { restore(beforeDot); break }
            segments += 1
        }
        guard segments > 0 else { restore(saved); return nil }
        return String(decoding: bytes[saved.0..<index], as: UTF8.self)
    }

    /// `[a-zA-Z]+[a-zA-Z0-9_]*`
    private mutating func scanIdentifier() -> String? {
        let begin = index
        guard index < bytes.count, ConditionLexer.isLetter(bytes[index]) else { return nil }
        while index < bytes.count, ConditionLexer.isLetter(bytes[index]) { advance() }
        while index < bytes.count, ConditionLexer.isIdentifierBody(bytes[index]) { advance() }
        return String(decoding: bytes[begin..<index], as: UTF8.self)
    }

    private mutating func matchLiteral(_ literal: String) -> Bool {
        let utf8 = Array(literal.utf8)
        guard index + utf8.count <= bytes.count else { return false }
        for offset in 0..<utf8.count where bytes[index + offset] != utf8[offset] { return false }
        for _ in 0..<utf8.count { advance() }
        return true
    }

    private func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

    private mutating func advance() {
        if bytes[index] == 0x0A { line += 1; column = 1 } else { column += 1 }
        index += 1
    }

    private mutating func skipBlanks() {
        while index < bytes.count, ConditionLexer.isBlank(bytes[index]) { advance() }
    }

    private func save() -> (Int, Int, Int) { (index, line, column) }

    private mutating func restore(_ saved: (Int, Int, Int)) {
        (index, line, column) = saved
    }

    private func fail(_ message: String, at where_: ConditionPosition? = nil) -> ConditionSyntaxError {
        ConditionSyntaxError(message: message, position: where_ ?? position)
    }
}
