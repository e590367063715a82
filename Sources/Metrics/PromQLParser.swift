import TraceModel

/// PromQL's lexer and parser (`promql/parser` in Prometheus): precedence climbing over tokens, type
/// checks as Prometheus makes them, errors as `line:column: parse error: message`.
public struct PromQLParser {
    private let source: [UInt8]
    private var tokens: [PromToken] = []
    private var index = 0
    /// The end offset of the last token consumed (a node's end).
    private var lastEnd = 0
    /// Nesting allowed before a query is refused (deep nesting is an attack, not a dashboard).
    public static let maximumDepth = 200
    private var depth = 0

    /// Parses and type-checks an expression.
    public static func parse(_ text: String) throws(PromQLError) -> Expr {
        var parser = PromQLParser(source: Array(text.utf8))
        try parser.lex()
        let expr = try parser.expression(minimum: 0)
        guard parser.current.kind == .end else { throw parser.unexpected(parser.current) }
        try parser.check(expr)
        return expr
    }

    /// Parses a duration (`5m`, `1h30m`, `90s`) to milliseconds, as Prometheus's model.ParseDuration.
    public static func duration(_ text: String) -> Int64? {
        var lexer = PromQLParser(source: Array(text.utf8))
        guard (try? lexer.lex()) != nil, lexer.tokens.count == 2 else { return text == "0" ? 0 : nil }
        switch lexer.tokens[0].kind {
        case .duration(let ms): return ms
        case .number(let value) where value == 0: return 0
        default: return nil
        }
    }

    private init(source: [UInt8]) { self.source = source }

    // MARK: Errors

    private func position(_ offset: Int) -> String {
        var line = 1, column = 1
        for byte in source.prefix(offset) {
            if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        return "\(line):\(column)"
    }

    private func error(_ message: String, at offset: Int) -> PromQLError {
        PromQLError("\(position(offset)): parse error: \(message)")
    }

    private func unexpected(_ token: PromToken, _ context: String = "") -> PromQLError {
        if token.kind == .end { return error("unexpected end of input" + context, at: token.offset) }
        return error("unexpected \(Self.describe(token))" + context, at: token.offset)
    }

    private static func describe(_ token: PromToken) -> String {
        switch token.kind {
        case .number: return "number \"\(token.text)\""
        case .duration: return "duration \"\(token.text)\""
        case .string: return "string \(token.text)"
        case .identifier(let name):
            if PromQLParser.aggregators.contains(name) { return "<aggr:\(name)>" }
            if ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"].contains(name) { return "<\(name)>" }
            return "identifier \"\(name)\""
        case .leftParen: return "left parenthesis \"(\""
        case .rightParen: return "right parenthesis \")\""
        case .leftBrace: return "left brace \"{\""
        case .rightBrace: return "right brace \"}\""
        case .leftBracket: return "left bracket \"[\""
        case .rightBracket: return "right bracket \"]\""
        case .comma: return "\",\""
        case .colon: return "\":\""
        case .at: return "<@>"
        case .assign: return "\"=\""
        case .notEqual, .regexMatch, .regexNoMatch, .op: return "<op:\(token.text)>"
        case .end: return "end of input"
        }
    }

    // MARK: Lexer

    private mutating func lex() throws(PromQLError) {
        var offset = 0
        var parenDepth = 0
        func peek(_ ahead: Int = 0) -> UInt8? { offset + ahead < source.count ? source[offset + ahead] : nil }
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        func isAlpha(_ byte: UInt8?) -> Bool { byte.map { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) } ?? false }
        func isLetter(_ byte: UInt8?) -> Bool { byte.map { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || $0 == 0x3A } ?? false }
        while offset < source.count {
            let start = offset
            let byte = source[offset]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { offset += 1; continue }
            if byte == UInt8(ascii: "#") {
                while let next = peek(), next != 0x0A { _ = next; offset += 1 }
                continue
            }
            func add(_ kind: PromToken.Kind, _ length: Int) {
                tokens.append(PromToken(kind: kind, offset: start, text: String(decoding: source[start..<(start + length)], as: UTF8.self)))
                offset = start + length
            }
            switch byte {
            case UInt8(ascii: "("):
                parenDepth += 1
                add(.leftParen, 1)
            case UInt8(ascii: ")"):
                parenDepth -= 1
                // Prometheus's lexer reports it after the parenthesis (the token is already emitted).
                guard parenDepth >= 0 else { throw error("unexpected right parenthesis ')'", at: start + 1) }
                add(.rightParen, 1)
            case UInt8(ascii: "{"): add(.leftBrace, 1)
            case UInt8(ascii: "}"): add(.rightBrace, 1)
            case UInt8(ascii: "["): add(.leftBracket, 1)
            case UInt8(ascii: "]"): add(.rightBracket, 1)
            case UInt8(ascii: ","): add(.comma, 1)
            case UInt8(ascii: ":"):
                if isLetter(peek(1)) || peek(1) == UInt8(ascii: ":") { fallthrough } else { add(.colon, 1) }
            case _ where isLetter(byte):
                var end = offset
                while end < source.count, isLetter(source[end]) || isDigit(source[end]) { end += 1 }
                let word = String(decoding: source[offset..<end], as: UTF8.self)
                switch word.lowercased() {
                case "nan": add(.number(.nan), end - offset)
                case "inf": add(.number(.infinity), end - offset)
                default:
                    let lower = word.lowercased()
                    if ["and", "or", "unless", "atan2"].contains(lower), let op = BinaryOperator(rawValue: lower) {
                        add(.op(op), end - offset)
                    } else if Self.aggregators.contains(lower) || Self.keywords.contains(lower) {
                        // Keywords and aggregation operators are case-insensitive; functions are not.
                        add(.identifier(lower), end - offset)
                    } else {
                        add(.identifier(word), end - offset)
                    }
                }
            case UInt8(ascii: "@"): add(.at, 1)
            case UInt8(ascii: "="):
                if peek(1) == UInt8(ascii: "=") { add(.op(.eql), 2) } else if peek(1) == UInt8(ascii: "~") { add(.regexMatch, 2) } else { add(.assign, 1) }
            case UInt8(ascii: "!"):
                if peek(1) == UInt8(ascii: "=") { add(.notEqual, 2) } else if peek(1) == UInt8(ascii: "~") { add(.regexNoMatch, 2) } else {
                    throw error("unexpected character after '!': '\(peek(1).map { String(UnicodeScalar($0)) } ?? "")'", at: start)
                }
            case UInt8(ascii: ">"): if peek(1) == UInt8(ascii: "=") { add(.op(.gte), 2) } else { add(.op(.gtr), 1) }
            case UInt8(ascii: "<"): if peek(1) == UInt8(ascii: "=") { add(.op(.lte), 2) } else { add(.op(.lss), 1) }
            case UInt8(ascii: "+"): add(.op(.add), 1)
            case UInt8(ascii: "-"): add(.op(.sub), 1)
            case UInt8(ascii: "*"): add(.op(.mul), 1)
            case UInt8(ascii: "/"): add(.op(.div), 1)
            case UInt8(ascii: "%"): add(.op(.mod), 1)
            case UInt8(ascii: "^"): add(.op(.pow), 1)
            case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"):
                let quote = byte
                var bytes: [UInt8] = []
                var end = offset + 1
                var closed = false
                while end < source.count {
                    let current = source[end]
                    if current == quote { closed = true; end += 1; break }
                    if current == UInt8(ascii: "\\") && quote != UInt8(ascii: "`") {
                        guard end + 1 < source.count else { break }
                        let escaped = source[end + 1]
                        switch escaped {
                        case UInt8(ascii: "n"): bytes.append(0x0A)
                        case UInt8(ascii: "t"): bytes.append(0x09)
                        case UInt8(ascii: "r"): bytes.append(0x0D)
                        case UInt8(ascii: "a"): bytes.append(0x07)
                        case UInt8(ascii: "b"): bytes.append(0x08)
                        case UInt8(ascii: "f"): bytes.append(0x0C)
                        case UInt8(ascii: "v"): bytes.append(0x0B)
                        case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): bytes.append(escaped)
                        case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                            let length = escaped == UInt8(ascii: "x") ? 2 : (escaped == UInt8(ascii: "u") ? 4 : 8)
                            guard end + 2 + length <= source.count, let value = UInt32(String(decoding: source[(end + 2)..<(end + 2 + length)], as: UTF8.self), radix: 16) else {
                                throw error("invalid escape sequence in string", at: end)
                            }
                            if escaped == UInt8(ascii: "x") { bytes.append(UInt8(value)) } else if let scalar = UnicodeScalar(value) { bytes += Array(String(Character(scalar)).utf8) }
                            end += length
                        default:
                            throw error("unknown escape sequence '\\\(Character(UnicodeScalar(escaped)))'", at: end)
                        }
                        end += 2
                        continue
                    }
                    if current == 0x0A && quote != UInt8(ascii: "`") { break }
                    bytes.append(current)
                    end += 1
                }
                guard closed else { throw error("unterminated quoted string \(String(decoding: source[start..<min(end, source.count)], as: UTF8.self))", at: start) }
                add(.string(String(decoding: bytes, as: UTF8.self)), end - start)
            case _ where isDigit(byte) || (byte == UInt8(ascii: ".") && isDigit(peek(1))):
                // A number, or a duration: digits followed by units (ms s m h d w y), concatenated longest first.
                var end = offset
                if byte == UInt8(ascii: "0"), peek(1) == UInt8(ascii: "x") || peek(1) == UInt8(ascii: "X") {
                    end += 2
                    while end < source.count, source[end].isHexDigit { end += 1 }
                    let text = String(decoding: source[(offset + 2)..<end], as: UTF8.self)
                    guard let value = UInt64(text, radix: 16) else { throw error("bad number or duration syntax: \"\(String(decoding: source[start..<end], as: UTF8.self))\"", at: start) }
                    add(.number(Double(value)), end - offset)
                    continue
                }
                while end < source.count, isDigit(source[end]) || source[end] == UInt8(ascii: "_") { end += 1 }
                if end < source.count, Array("smhdwy".utf8).contains(source[end]) {
                    // Duration.
                    var total: Int64 = 0
                    var position = offset
                    var lastUnit = Int.max
                    let units: [(String, Int64)] = [("ms", 1), ("y", 365 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
                    let order = ["y", "w", "d", "h", "m", "s", "ms"]
                    while position < source.count, isDigit(source[position]) {
                        var digitsEnd = position
                        while digitsEnd < source.count, isDigit(source[digitsEnd]) { digitsEnd += 1 }
                        // More digits than 64 bits hold (found by fuzzing: the lexer used to stop here without moving on).
                        guard let amount = Int64(String(decoding: source[position..<digitsEnd], as: UTF8.self)) else {
                            throw error("duration out of range", at: start)
                        }
                        guard let unit = units.first(where: { unit in
                            let bytes = Array(unit.0.utf8)
                            guard digitsEnd + bytes.count <= source.count, Array(source[digitsEnd..<(digitsEnd + bytes.count)]) == bytes else { return false }
                            let after = digitsEnd + bytes.count
                            return after >= source.count || !isAlpha(source[after]) || isDigit(source[after]) || (unit.0 == "m" && source[after] != UInt8(ascii: "s"))
                        }) else {
                            var wordEnd = digitsEnd
                            while wordEnd < source.count, isAlpha(source[wordEnd]) || isDigit(source[wordEnd]) { wordEnd += 1 }
                            throw error("bad number or duration syntax: \"\(String(decoding: source[start..<wordEnd], as: UTF8.self))\"", at: start)
                        }
                        let rank = order.firstIndex(of: unit.0) ?? 0
                        guard lastUnit == Int.max || rank > lastUnit else {
                            throw error("bad number or duration syntax: \"\(String(decoding: source[start..<(digitsEnd + unit.0.count)], as: UTF8.self))\"", at: start)
                        }
                        lastUnit = rank
                        let (product, overflow) = amount.multipliedReportingOverflow(by: unit.1)
                        let (sum, carry) = total.addingReportingOverflow(product)
                        guard !overflow, !carry else { throw error("duration out of range", at: start) }
                        total = sum
                        position = digitsEnd + unit.0.count
                    }
                    guard position > offset else { throw error("bad number or duration syntax", at: start) }
                    add(.duration(total), position - offset)
                    continue
                }
                if end < source.count, source[end] == UInt8(ascii: ".") {
                    end += 1
                    while end < source.count, isDigit(source[end]) || source[end] == UInt8(ascii: "_") { end += 1 }
                }
                if end < source.count, source[end] == UInt8(ascii: "e") || source[end] == UInt8(ascii: "E") {
                    var exponent = end + 1
                    if exponent < source.count, source[exponent] == UInt8(ascii: "+") || source[exponent] == UInt8(ascii: "-") { exponent += 1 }
                    if exponent < source.count, isDigit(source[exponent]) {
                        end = exponent
                        while end < source.count, isDigit(source[end]) { end += 1 }
                    }
                }
                let text = String(decoding: source[offset..<end], as: UTF8.self).replacingOccurrences(of: "_", with: "")
                guard let value = Double(text) else { throw error("bad number or duration syntax: \"\(text)\"", at: start) }
                if end < source.count, isAlpha(source[end]) {
                    var wordEnd = end
                    while wordEnd < source.count, isAlpha(source[wordEnd]) || isDigit(source[wordEnd]) { wordEnd += 1 }
                    throw error("bad number or duration syntax: \"\(String(decoding: source[start..<wordEnd], as: UTF8.self))\"", at: start)
                }
                add(.number(value), end - offset)
            default:
                throw error("unexpected character: '\(String(decoding: [byte], as: UTF8.self))'", at: start)
            }
        }
        if parenDepth > 0 { throw error("unclosed left parenthesis", at: source.count) }
        tokens.append(PromToken(kind: .end, offset: source.count, text: ""))
    }

    // MARK: Parser

    static let keywords: Set<String> = ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"]
    static let aggregators: Set<String> = ["sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "limitk", "limit_ratio"]

    private var current: PromToken { tokens[index] }
    private func peekToken(_ ahead: Int = 1) -> PromToken { tokens[min(index + ahead, tokens.count - 1)] }

    private mutating func advance() -> PromToken {
        let token = tokens[index]
        if token.kind != .end { lastEnd = token.offset + token.text.utf8.count }
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private mutating func expect(_ kind: PromToken.Kind, _ context: String) throws(PromQLError) {
        guard current.kind == kind else { throw unexpected(current, context) }
        _ = advance()
    }

    private func binaryOperator(_ token: PromToken) -> BinaryOperator? {
        if case .op(let op) = token.kind { return op }
        if token.kind == .notEqual { return .neq }
        return nil
    }

    private mutating func expression(minimum: Int) throws(PromQLError) -> Expr {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw error("expression nested more than \(Self.maximumDepth) deep", at: current.offset) }
        var left = try unary()
        // Each operator of a left-associative chain (`a or b or c`) nests the tree one level deeper without
        // recursing here; the evaluator recurses on it, so the chain counts toward the same limit.
        var chained = 0
        while let op = binaryOperator(current), op.precedence >= minimum {
            chained += 1
            guard depth + chained <= Self.maximumDepth else {
                throw error("expression nested more than \(Self.maximumDepth) deep (counting each binary operator of a chain)", at: current.offset)
            }
            let operatorToken = advance()
            var returnBool = false
            if case .identifier("bool") = current.kind {
                guard op.isComparison else { throw error("bool modifier can only be used on comparison operators", at: current.offset) }
                returnBool = true
                _ = advance()
            }
            var matching: VectorMatching?
            if case .identifier(let word) = current.kind, word == "on" || word == "ignoring" {
                _ = advance()
                var spec = VectorMatching()
                spec.on = word == "on"
                spec.labels = try labelList()
                if case .identifier(let group) = current.kind, group == "group_left" || group == "group_right" {
                    _ = advance()
                    spec.cardinality = group == "group_left" ? .manyToOne : .oneToMany
                    if current.kind == .leftParen { spec.include = try labelList() }
                }
                matching = spec
            }
            if op.isSetOperator {
                if matching == nil { matching = VectorMatching() }
                matching?.cardinality = .manyToMany
            }
            let right = try expression(minimum: op.rightAssociative ? op.precedence : op.precedence + 1)
            left = Expr(.binary(op, left, right, returnBool: returnBool, matching: matching, operatorAt: operatorToken.offset),
                        left.position.through(right.position))
        }
        return left
    }

    private mutating func unary() throws(PromQLError) -> Expr {
        if let op = binaryOperator(current), op == .sub || op == .add {
            let sign = advance()
            // Unary minus binds looser than ^ and tighter than * (-2^2 == -4).
            let operand = try expression(minimum: BinaryOperator.pow.precedence)
            if op == .add { return operand }
            let position = PositionRange(sign.offset, operand.position.end)
            if case .number(let value) = operand.node { return Expr(.number(-value), position) }
            return Expr(.negate(operand), position)
        }
        return try postfix(try primary())
    }

    private mutating func postfix(_ base: Expr) throws(PromQLError) -> Expr {
        var expr = base
        while true {
            switch current.kind {
            case .leftBracket:
                let open = advance()
                let range = try durationValue()
                if current.kind == .colon {
                    _ = advance()
                    var step: Int64?
                    if current.kind != .rightBracket { step = try durationValue() }
                    try expect(.rightBracket, " in subquery")
                    guard expr.type == .vector else {
                        throw error("subquery is only allowed on instant vector, got \(expr.type.prometheusName) instead", at: expr.position.start)
                    }
                    expr = Expr(.subquery(expr, range: range, step: step, offset: 0, at: nil), PositionRange(expr.position.start, lastEnd))
                } else {
                    try expect(.rightBracket, " in range selector")
                    guard case .selector(let selector) = expr.node, selector.offset == 0, selector.at == nil else {
                        throw error("ranges only allowed for vector selectors", at: open.offset)
                    }
                    expr = Expr(.matrix(selector, range: range), PositionRange(expr.position.start, lastEnd))
                }
            case .identifier("offset"):
                _ = advance()
                var sign: Int64 = 1
                if let op = binaryOperator(current), op == .sub || op == .add {
                    if op == .sub { sign = -1 }
                    _ = advance()
                }
                let amount = try durationValue() * sign
                let start = expr.position.start
                expr = try modify(expr, modifier: "offset") { selector throws(PromQLError) in
                    guard selector.offset == 0 else { throw error("offset may not be set multiple times", at: start) }
                    selector.offset = amount
                } subquery: { offset, _ throws(PromQLError) in
                    guard offset == 0 else { throw error("offset may not be set multiple times", at: start) }
                    offset = amount
                }
            case .at:
                let token = advance()
                let at: AtModifier
                if case .identifier(let word) = current.kind, word == "start" || word == "end" {
                    _ = advance()
                    try expect(.leftParen, "")
                    try expect(.rightParen, "")
                    at = word == "start" ? .start : .end
                } else {
                    var sign = 1.0
                    if let op = binaryOperator(current), op == .sub || op == .add {
                        if op == .sub { sign = -1 }
                        _ = advance()
                    }
                    let value: Double
                    switch current.kind {
                    case .number(let number): value = number
                    case .duration(let ms): value = Double(ms) / 1000
                    default: throw unexpected(current, " in @; expected number, start() or end()")
                    }
                    _ = advance()
                    // Milliseconds in 64 bits: an @ time past that is refused, as Prometheus refuses it.
                    guard (value * sign).isFinite, abs(value * 1000) < 9.2e18 else { throw error("timestamp out of bounds for @ modifier: \(value * sign)", at: token.offset) }
                    at = .time(Int64((value * sign * 1000).rounded()))
                }
                let start = expr.position.start
                expr = try modify(expr, modifier: "@") { selector throws(PromQLError) in
                    guard selector.at == nil else { throw error("@ <timestamp> may not be set multiple times", at: start) }
                    selector.at = at
                } subquery: { _, existing throws(PromQLError) in
                    guard existing == nil else { throw error("@ <timestamp> may not be set multiple times", at: start) }
                    existing = at
                }
            default:
                return expr
            }
        }
    }

    /// Applies an offset or `@` (`modifier`) to a selector, a range selector or a subquery; the node then ends
    /// after the modifier.
    private func modify(_ expr: Expr, modifier: String, selector change: (inout VectorSelector) throws(PromQLError) -> Void,
                        subquery changeSubquery: (inout Int64, inout AtModifier?) throws(PromQLError) -> Void) throws(PromQLError) -> Expr {
        let position = PositionRange(expr.position.start, lastEnd)
        switch expr.node {
        case .selector(var selector):
            try change(&selector)
            return Expr(.selector(selector), position)
        case .matrix(var selector, let range):
            try change(&selector)
            return Expr(.matrix(selector, range: range), position)
        case .subquery(let inner, let range, let step, var subOffset, var at):
            try changeSubquery(&subOffset, &at)
            return Expr(.subquery(inner, range: range, step: step, offset: subOffset, at: at), position)
        default:
            throw error("\(modifier) modifier must be preceded by an instant vector selector or range vector selector or a subquery", at: expr.position.start)
        }
    }

    private mutating func durationValue() throws(PromQLError) -> Int64 {
        switch current.kind {
        case .duration(let ms):
            _ = advance()
            return ms
        case .number(let value) where value.isFinite:
            // A plain number is seconds (Prometheus 3); past 64-bit milliseconds it is refused (found by fuzzing:
            // `up[1001111111111111111111_00]` trapped on the conversion).
            guard let milliseconds = Int64(exactly: (value * 1000).rounded()) else { throw error("duration out of range", at: current.offset) }
            _ = advance()
            return milliseconds
        default:
            throw unexpected(current, "; expected duration")
        }
    }

    private mutating func labelList() throws(PromQLError) -> [String] {
        try expect(.leftParen, " in grouping opts, expected \"(\"")
        var labels: [String] = []
        while current.kind != .rightParen {
            switch current.kind {
            case .identifier(let name): labels.append(name)
            case .string(let name): labels.append(name)
            case .op(let op) where op.isSetOperator || op == .atan2: labels.append(op.rawValue)
            default: throw unexpected(current, " in grouping opts, expected label")
            }
            _ = advance()
            if current.kind == .comma { _ = advance() } else if current.kind != .rightParen {
                throw unexpected(current, " in grouping opts, expected \",\" or \")\"")
            }
        }
        _ = advance()
        return labels
    }

    private mutating func primary() throws(PromQLError) -> Expr {
        let token = current
        switch token.kind {
        case .number(let value):
            _ = advance()
            return Expr(.number(value), PositionRange(token.offset, lastEnd))
        case .duration(let ms):
            _ = advance()
            return Expr(.number(Double(ms) / 1000), PositionRange(token.offset, lastEnd))
        case .string(let text):
            _ = advance()
            return Expr(.string(text), PositionRange(token.offset, lastEnd))
        case .leftParen:
            _ = advance()
            let inner = try expression(minimum: 0)
            guard current.kind == .rightParen else {
                if current.kind == .end { throw error("unclosed left parenthesis", at: token.offset) }
                throw unexpected(current, "")
            }
            _ = advance()
            return Expr(.paren(inner), PositionRange(token.offset, lastEnd))
        case .leftBrace:
            let selector = try selector(name: nil, at: token.offset)
            return Expr(.selector(selector), PositionRange(token.offset, lastEnd))
        case .identifier(let name):
            if Self.aggregators.contains(name) {
                let next = peekToken().kind
                if next == .leftParen || next == .identifier("by") || next == .identifier("without") {
                    return try aggregate(name, at: token.offset)
                }
            }
            if peekToken().kind == .leftParen {
                guard let function = PromQLFunction.table[name] else { throw error("unknown function with name \"\(name)\"", at: token.offset) }
                _ = advance()
                _ = advance()
                var arguments: [Expr] = []
                while current.kind != .rightParen {
                    arguments.append(try expression(minimum: 0))
                    if current.kind == .comma {
                        _ = advance()
                        if current.kind == .rightParen { throw unexpected(current, "") }
                    } else if current.kind != .rightParen {
                        throw unexpected(current, " in call to function \"\(name)\"")
                    }
                }
                _ = advance()
                return Expr(.call(function, arguments), PositionRange(token.offset, lastEnd))
            }
            _ = advance()
            let selector = try selector(name: name, at: token.offset)
            return Expr(.selector(selector), PositionRange(token.offset, lastEnd))
        default:
            throw unexpected(token, "")
        }
    }

    private mutating func aggregate(_ op: String, at start: Int) throws(PromQLError) -> Expr {
        _ = advance()
        var grouping: [String] = []
        var without = false
        var hasGrouping = false
        if case .identifier(let word) = current.kind, word == "by" || word == "without" {
            _ = advance()
            without = word == "without"
            grouping = try labelList()
            hasGrouping = true
        }
        try expect(.leftParen, " in aggregation")
        var arguments: [Expr] = []
        while current.kind != .rightParen {
            arguments.append(try expression(minimum: 0))
            if current.kind == .comma { _ = advance() } else if current.kind != .rightParen { throw unexpected(current, " in aggregation") }
        }
        _ = advance()
        if !hasGrouping, case .identifier(let word) = current.kind, word == "by" || word == "without" {
            _ = advance()
            without = word == "without"
            grouping = try labelList()
        }
        let needsParameter = ["topk", "bottomk", "quantile", "count_values", "limitk", "limit_ratio"].contains(op)
        guard arguments.count == (needsParameter ? 2 : 1) else {
            if arguments.isEmpty { throw error("no arguments for aggregate expression provided", at: start) }
            throw error("wrong number of arguments for aggregate expression provided, expected \(needsParameter ? 2 : 1), got \(arguments.count)", at: start)
        }
        return Expr(.aggregate(op: op, param: needsParameter ? arguments[0] : nil, arguments[arguments.count - 1], grouping: grouping, without: without),
                    PositionRange(start, lastEnd))
    }

    private mutating func selector(name: String?, at offset: Int) throws(PromQLError) -> VectorSelector {
        var matchers: [LabelMatcher] = []
        var metricName = name
        if current.kind == .leftBrace {
            _ = advance()
            while current.kind != .rightBrace {
                let labelToken = advance()
                let label: String
                switch labelToken.kind {
                case .identifier(let text): label = text
                case .string(let text):
                    // A quoted name alone is the metric name (Prometheus 3 UTF-8 names).
                    if current.kind == .comma || current.kind == .rightBrace {
                        guard metricName == nil else { throw error("metric name must not be set twice: \"\(metricName ?? "")\" or \"\(text)\"", at: labelToken.offset) }
                        metricName = text
                        if current.kind == .comma { _ = advance() }
                        continue
                    }
                    label = text
                case .op(let op) where op.isSetOperator || op == .atan2: label = op.rawValue
                default: throw unexpected(labelToken, " in label matching, expected label")
                }
                let kind: LabelMatcher.Kind
                switch current.kind {
                case .assign: kind = .equal
                case .notEqual: kind = .notEqual
                case .regexMatch: kind = .regexMatch
                case .regexNoMatch: kind = .regexNoMatch
                default: throw unexpected(current, " in label matching, expected one of \"=\", \"!=\", \"=~\" or \"!~\"")
                }
                _ = advance()
                guard case .string(let value) = current.kind else { throw unexpected(current, " in label matching, expected string") }
                _ = advance()
                if label == Labels.metricNameLabel, kind == .equal, let existing = metricName {
                    throw error("metric name must not be set twice: \"\(existing)\" or \"\(value)\"", at: labelToken.offset)
                }
                matchers.append(try LabelMatcher(label, kind, value))
                if current.kind == .comma { _ = advance() } else if current.kind != .rightBrace {
                    throw unexpected(current, " in label matching, expected \",\" or \"}\"")
                }
            }
            _ = advance()
        }
        if let metricName { matchers.insert(try LabelMatcher(Labels.metricNameLabel, .equal, metricName), at: 0) }
        guard matchers.contains(where: { !$0.matches("") }) else {
            throw error("vector selector must contain at least one non-empty matcher", at: offset)
        }
        return VectorSelector(name: metricName, matchers: matchers)
    }

    // MARK: Type checks

    /// Prometheus's type checks (`checkAST`), children first; each error at the position Prometheus gives it: the
    /// argument or operand at fault, the operator of a scalar comparison, else the node's start.
    private func check(_ expr: Expr) throws(PromQLError) {
        let start = expr.position.start
        switch expr.node {
        case .number, .string, .selector, .matrix: return
        case .paren(let inner):
            try check(inner)
        case .negate(let inner):
            try check(inner)
            if inner.type != .scalar && inner.type != .vector {
                throw error("unary expression only allowed on expressions of type scalar or instant vector, got \"\(inner.type.rawValue)\"", at: start)
            }
        case .subquery(let inner, _, _, _, _):
            try check(inner)
        case .call(let function, let arguments):
            for argument in arguments { try check(argument) }
            let name = function.name
            let minimum = function.arguments.count - (function.variadic ? 1 : function.optionalArguments)
            if arguments.count < minimum {
                throw error("expected \(minimum == function.arguments.count ? "" : "at least ")\(minimum) argument(s) in call to \"\(name)\", got \(arguments.count)", at: start)
            }
            if !function.variadic && arguments.count > function.arguments.count {
                throw error("expected \(function.optionalArguments > 0 ? "at most " : "")\(function.arguments.count) argument(s) in call to \"\(name)\", got \(arguments.count)", at: start)
            }
            for (index, argument) in arguments.enumerated() {
                let wanted = function.arguments[min(index, function.arguments.count - 1)]
                guard argument.type == wanted else {
                    throw error("expected type \(wanted.rawValue) in call to function \"\(name)\", got \(argument.type.rawValue)", at: argument.position.start)
                }
            }
        case .aggregate(let op, let param, let inner, _, _):
            try check(inner)
            guard inner.type == .vector else {
                throw error("expected type instant vector in aggregation expression, got \(inner.type.rawValue)", at: inner.position.start)
            }
            if let param {
                try check(param)
                let wanted: ValueType = op == "count_values" ? .string : .scalar
                guard param.type == wanted else {
                    throw error("expected type \(wanted.rawValue) in aggregation parameter, got \(param.type.rawValue)", at: param.position.start)
                }
            }
        case .binary(let op, let left, let right, let returnBool, let matching, let operatorAt):
            try check(left)
            try check(right)
            for side in [left, right] where side.type != .scalar && side.type != .vector {
                throw error("binary expression must contain only scalar and instant vector types", at: side.position.start)
            }
            let bothScalar = left.type == .scalar && right.type == .scalar
            if op.isComparison && bothScalar && !returnBool { throw error("comparisons between scalars must use BOOL modifier", at: operatorAt) }
            if op.isSetOperator && (left.type == .scalar || right.type == .scalar) {
                throw error("set operator \"\(op.rawValue)\" not allowed in binary scalar expression", at: start)
            }
            if let matching, (left.type == .scalar || right.type == .scalar), matching.on || !matching.labels.isEmpty || matching.cardinality != .manyToMany && matching.cardinality != .oneToOne {
                throw error("vector matching only allowed between instant vectors", at: start)
            }
            if let matching, op.isSetOperator, !matching.include.isEmpty || (matching.cardinality != .manyToMany) {
                throw error("no grouping allowed for \"\(op.rawValue)\" operation", at: start)
            }
        }
    }
}

private extension UInt8 {
    var isHexDigit: Bool { (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x46) || (self >= 0x61 && self <= 0x66) }
}
