import TraceModel

/// A compiled condition: a closure over pre-resolved field extractors.
public typealias EventPredicate = @Sendable (Event) -> Bool

/// A compile error, with the position in the condition it concerns.
public struct ConditionCompileError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var position: ConditionPosition
    public var description: String { message }
}

/// A warning from the compiler, such as a constant string that looks like a field.
public struct ConditionCompileWarning: Sendable, Equatable {
    public var message: String
    public var position: ConditionPosition
}

/// Compiles condition ASTs into predicates, checking fields, operators and value types as libsinsp's
/// filter compiler does. Macros must already be expanded; list names not substituted by the rules
/// loader are looked up in `lists`.
public struct ConditionCompiler {
    public let catalog: FieldCatalog
    public var lists: [String: [String]]
    public private(set) var warnings: [ConditionCompileWarning] = []
    /// Resolves a bare identifier (a macro reference) to its compiled predicate; without it identifiers
    /// are errors, as in a plain libsinsp filter.
    public var resolveIdentifier: ((String, ConditionPosition) throws(ConditionCompileError) -> EventPredicate)?

    public init(catalog: FieldCatalog = .standard, lists: [String: [String]] = [:]) {
        self.catalog = catalog
        self.lists = lists
    }

    /// Compiles a whole condition.
    public mutating func compile(_ node: ConditionNode) throws(ConditionCompileError) -> EventPredicate {
        switch node {
        case .and(let children, _):
            let compiled = try children.map { (child) throws(ConditionCompileError) in try compile(child) }
            if compiled.count == 2 {
                let first = compiled[0], second = compiled[1]
                return { first($0) && second($0) }
            }
            return { event in
                for predicate in compiled where !predicate(event) { return false }
                return true
            }
        case .or(let children, _):
            let compiled = try children.map { (child) throws(ConditionCompileError) in try compile(child) }
            if compiled.count == 2 {
                let first = compiled[0], second = compiled[1]
                return { first($0) || second($0) }
            }
            return { event in
                for predicate in compiled where predicate(event) { return true }
                return false
            }
        case .not(let child, _):
            let compiled = try compile(child)
            return { !compiled($0) }
        case .identifier(let name, let position):
            if let resolveIdentifier { return try resolveIdentifier(name, position) }
            throw ConditionCompileError(message: "filter error: unexpected identifier '\(name)'", position: position)
        case .unary(let operand, _, _):
            let (_, extractor) = try resolve(operand)
            return existence(extractor)
        case .binary(let operand, let op, let modifier, let value, let position):
            return try compileCheck(operand, op: op, modifier: modifier, value: value, position: position)
        }
    }

    // MARK: Operands

    /// Resolves a field or transformer to its type and extractor.
    public func resolve(_ operand: ConditionOperand) throws(ConditionCompileError) -> (FieldType, Extractor) {
        switch operand {
        case .field(let name, let argument, let position):
            do {
                return try catalog.resolve(name, argument: argument)
            } catch {
                throw ConditionCompileError(message: error.message, position: position)
            }
        case .transformer(let name, let arguments, let argument, let position):
            return try Transformers.apply(name, arguments: arguments, argument: argument, position: position, compiler: self)
        }
    }

    private func existence(_ extractor: Extractor) -> EventPredicate {
        switch extractor {
        case .string(let get): { get($0) != nil }
        case .number(let get): { get($0) != nil }
        case .bool(let get): { get($0) != nil }
        case .ip(let get): { get($0) != nil }
        case .bytes(let get): { get($0) != nil }
        case .anyString(let get), .list(let get): { get($0) != nil }
        case .anyNumber(let get): { get($0) != nil }
        case .anyIP(let get): { get($0) != nil }
        }
    }

    // MARK: Checks

    private mutating func compileCheck(_ operand: ConditionOperand, op rawOp: String, modifier: String?,
                                       value: ConditionValue, position: ConditionPosition) throws(ConditionCompileError) -> EventPredicate {
        let op = rawOp == "==" ? "=" : rawOp
        let (type, extractor) = try resolve(operand)
        guard type.accepts(op) else {
            throw ConditionCompileError(message: "filter error: '\(rawOp)' operator not supported for field type \(type.rawValue)", position: position)
        }
        if modifier != nil, ["in", "intersects", "pmatch", "exists"].contains(op) || !type.accepts(op) {
            throw ConditionCompileError(message: "filter error: modifier not supported with operator '\(rawOp)'", position: position)
        }
        if op == "bcontains" || op == "bstartswith", case .literal = value {} else if op == "bcontains" || op == "bstartswith" {
            if case .list = value {} else {
                throw ConditionCompileError(message: "filter error: bcontains and bstartswith operator support hex strings only", position: value.position)
            }
        }
        let isListOp = op == "in" || op == "intersects" || op == "pmatch"

        // Right-hand side: another field or a transformer.
        switch value {
        case .fieldValue(let other, _), .transformed(let other, _):
            if op == "regex" {
                throw ConditionCompileError(message: "filter error: regex operator does not support field values", position: value.position)
            }
            let (otherType, otherExtractor) = try resolve(other)
            return try Comparisons.dynamic(extractor, type: type, op: op, other: otherExtractor, otherType: otherType, position: position)
        default:
            break
        }

        var items: [(text: String, quoted: Bool, position: ConditionPosition)]
        switch value {
        case .literal(let text, let quoted, let valuePosition):
            if isListOp {
                throw ConditionCompileError(message: "filter error: '\(rawOp)' operator requires a list", position: valuePosition)
            }
            items = [(text, quoted, valuePosition)]
        case .list(let listItems, _):
            items = listItems.map { ($0.text, $0.quoted, $0.position) }
        case .listReference(let name, let valuePosition):
            guard let list = lists[name] else {
                throw ConditionCompileError(message: "filter error: unknown list '\(name)'", position: valuePosition)
            }
            items = list.map { ($0, false, valuePosition) }
        default:
            items = []
        }
        for item in items { checkConstant(item.text, quoted: item.quoted, position: item.position) }
        if op == "regex", let pattern = items.first { checkRegex(pattern.text, position: pattern.position) }
        if type.isString || type.isNumeric || type == .bool || type == .ipAddress || type == .ipNetwork,
           let bad = items.first(where: { $0.text.utf8.contains(0) }) {
            throw ConditionCompileError(message: "filter error: string values cannot contain NUL bytes", position: bad.position)
        }
        let texts = items.map(\.text)
        if let modifier {
            return try Comparisons.modified(extractor, type: type, op: op, modifier: modifier, values: texts, position: position)
        }
        if isListOp {
            return try Comparisons.list(extractor, type: type, op: op, values: texts, position: position)
        }
        guard let single = texts.first else {
            throw ConditionCompileError(message: "filter error: missing value", position: position)
        }
        return try Comparisons.single(extractor, type: type, op: op, value: single, position: position)
    }

    /// Falco warns when a constant looks like a field or a transformer: `proc.name = proc.pname` compares
    /// with the string "proc.pname".
    private mutating func checkConstant(_ text: String, quoted: Bool, position: ConditionPosition) {
        var parser = ConditionParser(text + " exists")
        if let node = try? parser.parse(), case .unary(let operand, _, _) = node, (try? resolve(operand)) != nil {
            let kind: String
            if case .transformer = operand { kind = "field transformer" } else { kind = "field" }
            warnings.append(ConditionCompileWarning(
                message: "'\(text)' may be a valid \(kind) misused as a const string value", position: position))
        }
    }

    /// Falco suggests simpler operators for regexes that are plain equality or prefix/suffix/substring tests.
    private mutating func checkRegex(_ pattern: String, position: ConditionPosition) {
        var body = Substring(pattern)
        var anchoredStart = true, anchoredEnd = true
        if body.hasPrefix("^") { body = body.dropFirst() }
        if body.hasSuffix("$") { body = body.dropLast() }
        for wildcard in [".*", ".+"] {
            if body.hasPrefix(wildcard) { body = body.dropFirst(2); anchoredStart = false }
            if body.hasSuffix(wildcard) { body = body.dropLast(2); anchoredEnd = false }
        }
        if body.hasSuffix(".?") { body = body.dropLast(2); anchoredEnd = false }
        let meta: Set<Character> = [".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "\\", "^", "$"]
        guard !body.isEmpty, !body.contains(where: { meta.contains($0) }) else { return }
        let suggestion = anchoredStart && anchoredEnd ? "=" : anchoredStart ? "startswith" : anchoredEnd ? "endswith" : "contains"
        warnings.append(ConditionCompileWarning(
            message: "regex '\(pattern)' can be replaced by the faster '\(suggestion)' operator", position: position))
    }
}
