/// A position inside a condition string: 0-based byte index, 1-based line and column.
public struct ConditionPosition: Sendable, Hashable {
    public var index: Int
    public var line: Int
    public var column: Int

    public init(index: Int = 0, line: Int = 1, column: Int = 1) {
        self.index = index
        self.line = line
        self.column = column
    }
}

/// The left-hand side of a check, or a value computed from fields: a field (with an optional argument)
/// or a transformer applied to operands.
public indirect enum ConditionOperand: Sendable, Equatable {
    /// `proc.name`, `proc.aname[2]`, `evt.arg["key"]`.
    case field(name: String, argument: String?, position: ConditionPosition)
    /// `tolower(proc.name)`, `join("-", (a, b))`, `getopt(proc.args, "nt:")[t]`.
    case transformer(name: String, arguments: [TransformerArgument], argument: String?, position: ConditionPosition)

    public var position: ConditionPosition {
        switch self {
        case .field(_, _, let position), .transformer(_, _, _, let position): position
        }
    }
}

/// An argument of a transformer: an operand, a quoted string literal, or a parenthesised list of those.
public indirect enum TransformerArgument: Sendable, Equatable {
    case operand(ConditionOperand)
    case literal(String, position: ConditionPosition)
    case list([TransformerArgument], position: ConditionPosition)
}

/// The right-hand side of a binary check.
public enum ConditionValue: Sendable, Equatable {
    /// A string or number literal; `quoted` tells whether it was written in quotes.
    case literal(String, quoted: Bool, position: ConditionPosition)
    /// `(a, b, "c d")`.
    case list([ListItem], position: ConditionPosition)
    /// A bare identifier where a list is expected: a list name that was not substituted.
    case listReference(String, position: ConditionPosition)
    /// `val(field)`: the value of another field.
    case fieldValue(ConditionOperand, position: ConditionPosition)
    /// A transformer on the right-hand side, e.g. `toupper(proc.name)`.
    case transformed(ConditionOperand, position: ConditionPosition)

    public var position: ConditionPosition {
        switch self {
        case .literal(_, _, let position), .list(_, let position), .listReference(_, let position),
             .fieldValue(_, let position), .transformed(_, let position): position
        }
    }

    /// One element of a list value.
    public struct ListItem: Sendable, Equatable {
        public var text: String
        public var quoted: Bool
        public var position: ConditionPosition

        public init(text: String, quoted: Bool, position: ConditionPosition) {
            self.text = text
            self.quoted = quoted
            self.position = position
        }
    }
}

/// A parsed condition, with the shape libsinsp's parser gives it: n-ary `and`/`or`, `not`, checks and
/// identifiers (macro references).
public indirect enum ConditionNode: Sendable, Equatable {
    case and([ConditionNode], position: ConditionPosition)
    case or([ConditionNode], position: ConditionPosition)
    case not(ConditionNode, position: ConditionPosition)
    /// `field op value`; `modifier` is `oneof`, `anyof` or `allof` when present.
    case binary(ConditionOperand, op: String, modifier: String?, value: ConditionValue, position: ConditionPosition)
    /// `field exists`.
    case unary(ConditionOperand, op: String, position: ConditionPosition)
    /// A bare identifier: a macro reference.
    case identifier(String, position: ConditionPosition)

    public var position: ConditionPosition {
        switch self {
        case .and(_, let position), .or(_, let position), .not(_, let position), .binary(_, _, _, _, let position),
             .unary(_, _, let position), .identifier(_, let position): position
        }
    }
}

// MARK: - Printing (libsinsp's `ast::as_string`)

extension ConditionNode {
    /// The condition printed back the way libsinsp prints an AST: `and`/`or` nodes in parentheses,
    /// single checks bare, values quoted when needed.
    public var text: String {
        switch self {
        case .and(let children, _): "(" + children.map(\.text).joined(separator: " and ") + ")"
        case .or(let children, _): "(" + children.map(\.text).joined(separator: " or ") + ")"
        case .not(let child, _): "not " + child.text
        case .unary(let operand, let op, _): operand.text + " " + op
        case .identifier(let name, _): name
        case .binary(let operand, let op, let modifier, let value, _):
            operand.text + " " + op + (modifier.map { " " + $0 } ?? "") + " " + value.text
        }
    }
}

extension ConditionOperand {
    /// The operand printed as libsinsp prints it.
    public var text: String {
        switch self {
        case .field(let name, let argument, _):
            return name + (argument.map { "[" + quoteIfNeeded($0) + "]" } ?? "")
        case .transformer(let name, let arguments, let argument, _):
            return name + "(" + arguments.map(\.text).joined(separator: ",") + ")"
                + (argument.map { "[" + quoteIfNeeded($0) + "]" } ?? "")
        }
    }
}

extension TransformerArgument {
    var text: String {
        switch self {
        case .operand(let operand): operand.text
        case .literal(let text, _): quoteIfNeeded(text)
        case .list(let items, _): "(" + items.map(\.text).joined(separator: ", ") + ")"
        }
    }
}

extension ConditionValue {
    var text: String {
        switch self {
        case .literal(let text, _, _): quoteIfNeeded(text)
        case .list(let items, _): "(" + items.map { quoteIfNeeded($0.text) }.joined(separator: ", ") + ")"
        case .listReference(let name, _): name
        case .fieldValue(let operand, _): "val(" + operand.text + ")"
        case .transformed(let operand, _): operand.text
        }
    }
}

/// Quotes a value with double quotes when it would not read back as one bare string.
func quoteIfNeeded(_ text: String) -> String {
    if !text.isEmpty, !text.utf8.contains(where: { ConditionLexer.breaksBareString($0) }) { return text }
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
