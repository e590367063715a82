import TraceModel

/// The event types a condition can match, computed the way libsinsp's `ppm_codes` resolver does:
/// `and` intersects, `or` unites, `not` complements (De Morgan), an `evt.type` check names types,
/// every other check is neutral (all types).
public struct EventTypeSet: Sendable, Equatable {
    /// When `complement` is true the set is every type except `names`.
    public var names: Set<String>
    public var complement: Bool

    public static let all = EventTypeSet(names: [], complement: true)
    public static let none = EventTypeSet(names: [], complement: false)

    public init(names: Set<String>, complement: Bool) {
        self.names = names
        self.complement = complement
    }

    public func contains(_ name: String) -> Bool { complement != names.contains(name) }

    public var isAll: Bool { complement && names.isEmpty }
    public var isEmpty: Bool { !complement && names.isEmpty }

    public func intersection(_ other: EventTypeSet) -> EventTypeSet {
        switch (complement, other.complement) {
        case (false, false): EventTypeSet(names: names.intersection(other.names), complement: false)
        case (false, true): EventTypeSet(names: names.subtracting(other.names), complement: false)
        case (true, false): EventTypeSet(names: other.names.subtracting(names), complement: false)
        case (true, true): EventTypeSet(names: names.union(other.names), complement: true)
        }
    }

    public func union(_ other: EventTypeSet) -> EventTypeSet {
        inverted.intersection(other.inverted).inverted
    }

    public var inverted: EventTypeSet { EventTypeSet(names: names, complement: !complement) }

    /// The known type names in the set, sorted (the universe is `EventTypes.known`).
    public var knownNames: [String] {
        EventTypes.known.filter(contains).sorted()
    }

    /// How many libsinsp event codes the set stands for: each syscall has an enter and an exit event.
    /// Falco warns (LOAD_NO_EVTTYPE) above 100 codes.
    public var codeCount: Int { knownNames.count * 2 }

    /// Computes the set of a condition whose macros are expanded.
    public static func of(_ node: ConditionNode) -> EventTypeSet {
        of(node, negated: false) { _, _ in .all }
    }

    /// Computes the set with `not` pushed to the leaves (De Morgan): only `evt.type` checks restrict,
    /// and they flip when negated; every other check is neutral under either polarity.
    /// `identifier` gives the set of a macro reference for a polarity.
    static func of(_ node: ConditionNode, negated: Bool,
                   identifier: (String, Bool) -> EventTypeSet) -> EventTypeSet {
        switch node {
        case .and(let children, _), .or(let children, _):
            var isAnd = true
            if case .or = node { isAnd = false }
            let intersect = isAnd != negated
            return children.reduce(intersect ? EventTypeSet.all : EventTypeSet.none) { partial, child in
                let set = of(child, negated: negated, identifier: identifier)
                return intersect ? partial.intersection(set) : partial.union(set)
            }
        case .not(let child, _):
            return of(child, negated: !negated, identifier: identifier)
        case .identifier(let name, _):
            return identifier(name, negated)
        case .unary:
            return .all
        case .binary(let operand, let op, let modifier, let value, _):
            if modifier == nil, case .field("evt.num", nil, _) = operand, let constant = eventNumberInvariant(op: op, value: value) {
                // `evt.num` starts at 1: `evt.num = 0` (Falco's never_true) can match no event.
                return constant != negated ? .all : .none
            }
            guard modifier == nil, case .field(let name, nil, _) = operand, name == "evt.type" || name == "syscall.type" else {
                return .all
            }
            var names: Set<String>
            switch value {
            case .literal(let text, _, _): names = [text]
            case .list(let items, _): names = Set(items.map(\.text))
            default: return .all
            }
            let set: EventTypeSet
            switch op {
            case "=", "==", "in": set = EventTypeSet(names: names, complement: false)
            case "!=": set = EventTypeSet(names: names, complement: true)
            default: return .all
            }
            return negated ? set.inverted : set
        }
    }

    /// The constant truth value of an `evt.num` check that cannot depend on the event (event numbers
    /// start at 1), or nil when it depends on the event. Only plain decimal values count, as in libsinsp.
    private static func eventNumberInvariant(op: String, value: ConditionValue) -> Bool? {
        func isDecimal(_ text: String) -> Bool { !text.isEmpty && text.utf8.allSatisfy(ConditionLexer.isDigit) }
        switch value {
        case .literal(let text, _, _):
            guard isDecimal(text), let number = UInt64(text) else { return nil }
            switch op {
            case "=", "==": return number == 0 ? false : nil
            case "!=": return number == 0 ? true : nil
            case ">=": return number <= 1 ? true : nil
            case ">": return number == 0 ? true : nil
            case "<=": return number == 0 ? false : nil
            case "<": return number <= 1 ? false : nil
            default: return nil
            }
        case .list(let items, _):
            guard op == "in" || op == "intersects" else { return nil }
            return items.allSatisfy { $0.text == "0" } ? false : nil
        default:
            return nil
        }
    }
}
