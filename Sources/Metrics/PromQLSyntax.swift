import TraceModel

/// A label matcher of a selector: `l="v"`, `l!="v"`, `l=~"re"`, `l!~"re"` (regexes fully anchored, `.`
/// matching newlines, as Prometheus 3).
public struct LabelMatcher: Sendable {
    public enum Kind: String, Sendable { case equal = "=", notEqual = "!=", regexMatch = "=~", regexNoMatch = "!~" }
    public var name: String
    public var kind: Kind
    public var value: String
    let regex: PromRegex?

    public init(_ name: String, _ kind: Kind, _ value: String) throws(PromQLError) {
        self.name = name
        self.kind = kind
        self.value = value
        regex = kind == .regexMatch || kind == .regexNoMatch ? try PromRegex(value) : nil
    }

    public func matches(_ candidate: String) -> Bool {
        switch kind {
        case .equal: return candidate == value
        case .notEqual: return candidate != value
        case .regexMatch: return regex?.matches(candidate) ?? false
        case .regexNoMatch: return !(regex?.matches(candidate) ?? false)
        }
    }
}

/// An anchored regular expression, as Prometheus 3 compiles label regexes (`^(?s:re)$`): RE2, so matching is linear
/// in the label's length whatever the pattern.
struct PromRegex: Sendable {
    let pattern: String
    private let regex: RE2Pattern

    init(_ pattern: String) throws(PromQLError) {
        self.pattern = pattern
        do { regex = try RE2Pattern(pattern, dotMatchesNewline: true) } catch {
            throw PromQLError("invalid regular expression \"\(pattern)\": \(error.message)")
        }
    }

    func matches(_ text: String) -> Bool { regex.fullMatch(text) }

    /// The whole match's capture groups (index 0 the whole text), or nil.
    func groups(_ text: String) -> [String?]? { regex.groups(text) }
}

/// A PromQL error: Prometheus's message, with the position (`1:14: parse error: ...`) for parse errors.
public struct PromQLError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The four value types of PromQL.
public enum ValueType: String, Sendable {
    case scalar, string, vector = "instant vector", matrix = "range vector"

    /// The short name some of Prometheus's messages use (`matrix`, `vector`).
    var prometheusName: String {
        switch self {
        case .vector: return "vector"
        case .matrix: return "matrix"
        default: return rawValue
        }
    }
}

/// `@ <time>`, `@ start()`, `@ end()`.
public enum AtModifier: Sendable, Equatable {
    case time(Int64)
    case start
    case end
}

/// A vector selector: name and matchers, offset and `@` (times in ms).
public struct VectorSelector: Sendable {
    public var name: String?
    public var matchers: [LabelMatcher]
    public var offset: Int64 = 0
    public var at: AtModifier?
}

/// Binary operators, by precedence groups.
public enum BinaryOperator: String, Sendable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "^", atan2
    case eql = "==", neq = "!=", gtr = ">", lss = "<", gte = ">=", lte = "<="
    case and, or, unless

    var precedence: Int {
        switch self {
        case .or: return 1
        case .and, .unless: return 2
        case .eql, .neq, .gtr, .lss, .gte, .lte: return 3
        case .add, .sub: return 4
        case .mul, .div, .mod, .atan2: return 5
        case .pow: return 6
        }
    }
    var isComparison: Bool { [.eql, .neq, .gtr, .lss, .gte, .lte].contains(self) }
    var isSetOperator: Bool { [.and, .or, .unless].contains(self) }
    var rightAssociative: Bool { self == .pow }
}

/// How the two sides of a vector binary operation match.
public struct VectorMatching: Sendable {
    public enum Cardinality: Sendable { case oneToOne, manyToOne, oneToMany, manyToMany }
    public var cardinality: Cardinality = .oneToOne
    /// `on(labels)` when true, else `ignoring(labels)` (empty ignoring: the default).
    public var on = false
    public var labels: [String] = []
    /// `group_left(include)` / `group_right(include)`.
    public var include: [String] = []
}

/// Where a node is in the query text: byte offsets `start..<end`.
public struct PositionRange: Sendable, Equatable {
    public var start: Int
    public var end: Int

    public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = end
    }

    /// The range from this one's start to `other`'s end.
    func through(_ other: PositionRange) -> PositionRange { PositionRange(start, max(end, other.end)) }
}

/// A parsed PromQL expression: what it is and where it is in the query (as Prometheus's AST nodes carry their
/// position range, so type errors point at the node at fault).
public struct Expr: Sendable {
    /// The kinds of expression.
    public indirect enum Node: Sendable {
        case number(Double)
        case string(String)
        case selector(VectorSelector)
        case matrix(VectorSelector, range: Int64)
        case subquery(Expr, range: Int64, step: Int64?, offset: Int64, at: AtModifier?)
        /// A function call, its function resolved by the parser.
        case call(PromQLFunction, [Expr])
        case aggregate(op: String, param: Expr?, Expr, grouping: [String], without: Bool)
        /// `operatorAt`: the operator's offset (where a comparison of scalars without `bool` is reported).
        case binary(BinaryOperator, Expr, Expr, returnBool: Bool, matching: VectorMatching?, operatorAt: Int)
        case negate(Expr)
        case paren(Expr)
    }

    public var node: Node
    public var position: PositionRange

    public init(_ node: Node, _ position: PositionRange) {
        self.node = node
        self.position = position
    }

    /// Every selector in the expression (instant and range), in the order they are written.
    public var selectors: [VectorSelector] {
        switch node {
        case .number, .string: return []
        case .selector(let selector), .matrix(let selector, _): return [selector]
        case .subquery(let inner, _, _, _, _), .negate(let inner), .paren(let inner): return inner.selectors
        case .call(_, let arguments): return arguments.flatMap(\.selectors)
        case .aggregate(_, let parameter, let inner, _, _): return (parameter?.selectors ?? []) + inner.selectors
        case .binary(_, let left, let right, _, _, _): return left.selectors + right.selectors
        }
    }

    /// The type the expression evaluates to.
    public var type: ValueType {
        switch node {
        case .number: return .scalar
        case .string: return .string
        case .selector: return .vector
        case .matrix, .subquery: return .matrix
        case .call(let function, _): return function.returns
        case .aggregate: return .vector
        case .binary(_, let left, let right, _, _, _): return left.type == .scalar && right.type == .scalar ? .scalar : .vector
        case .negate(let inner), .paren(let inner): return inner.type
        }
    }
}

/// One token of a PromQL expression, with its byte offset.
struct PromToken: Equatable {
    enum Kind: Equatable {
        case number(Double), duration(Int64), string(String), identifier(String)
        case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket, comma, colon, at
        case assign, notEqual, regexMatch, regexNoMatch
        case op(BinaryOperator)
        case end
    }
    var kind: Kind
    var offset: Int
    var text: String
}
