import TraceModel

extension RulesLoader {
    /// The names of the macros loaded so far, in definition order.
    public var macroNames: [String] { macros.map(\.name) }

    /// The names of the lists loaded so far, in definition order.
    public var listNames: [String] { lists.map(\.name) }

    /// A list's items with the lists it names expanded, as conditions see them; nil for an unknown list.
    public func expandedItems(ofList name: String) -> [String]? { expandedLists[name] }

    /// Where an item was defined last (`file:line`), for messages; nil for an unknown name.
    public func definitionSite(macro name: String) -> SourceLocation? {
        macroIndex[name].map { macros[$0].origin }.map { SourceLocation(file: $0.file, line: $0.line, column: $0.column) }
    }

    /// Where a list was defined last; nil for an unknown name.
    public func definitionSite(list name: String) -> SourceLocation? {
        listIndex[name].map { lists[$0].origin }.map { SourceLocation(file: $0.file, line: $0.line, column: $0.column) }
    }

    /// A macro compiled as a filter of its own, as a rule whose condition is just its name would be.
    /// Nil when no such macro was loaded or the last load failed before macros were parsed.
    public func predicate(ofMacro name: String) throws(ConditionCompileError) -> EventPredicate? {
        guard let index = macroIndex[name], let table = macroTable, table.parsed[index] != nil else { return nil }
        return try table.predicate(index)
    }
}

/// Compares a rule set with a reference one name by name (Falco's default rules and TraceLab's stand-in,
/// say): every list by its expanded items, and every macro by the events it selects when evaluated as a
/// filter on the same events. Feed events with `add`; read `macros`, `lists` and `markdown()`.
public struct RuleSetComparison {
    /// One macro: how many events each side selected and where they first disagreed.
    public struct MacroRow: Sendable {
        public var name: String
        /// Nil when the side does not define the name; otherwise why it could not be evaluated, if it could not.
        public var reference: Side
        public var candidate: Side
        /// Events both sides were evaluated on.
        public var events = 0
        public var selectedByReference = 0
        public var selectedByCandidate = 0
        /// Events on which the two sides gave different answers.
        public var disagreements = 0
        /// The first disagreement: the event and which side selected it.
        public var firstDisagreement: String?

        /// Whether a side defines the macro, and whether it compiles.
        public enum Side: Sendable, Equatable {
            case undefined
            case failed(String)
            case compiled
        }

        /// The share of events where both sides agree (1 when both are compiled and never disagree).
        public var agreement: Double { events == 0 ? (reference == candidate ? 1 : 0) : Double(events - disagreements) / Double(events) }
        /// True when both sides define the macro and select exactly the same events.
        public var identical: Bool { reference == .compiled && candidate == .compiled && disagreements == 0 }
    }

    /// One list: the items one side has and the other lacks (after list expansion).
    public struct ListRow: Sendable {
        public var name: String
        public var inReference: Bool
        public var inCandidate: Bool
        public var onlyInReference: [String]
        public var onlyInCandidate: [String]
        public var identical: Bool { inReference && inCandidate && onlyInReference.isEmpty && onlyInCandidate.isEmpty }
    }

    public private(set) var macros: [MacroRow]
    public let lists: [ListRow]
    /// Events fed per source (a recording's name), in the order they were first fed.
    public private(set) var sources: [(name: String, events: Int)] = []
    private var predicates: [(reference: EventPredicate?, candidate: EventPredicate?)]

    /// Prepares the comparison of every macro and list name either loader defines (sorted by name).
    /// True when a macro or list the reference defines is missing from the candidate or differs there.
    public var differs: Bool {
        macros.contains { !$0.identical && $0.reference != .undefined } || lists.contains { !$0.identical && $0.inReference }
    }

    public init(reference: RulesLoader, candidate: RulesLoader) {
        let macroNames = Set(reference.macroNames).union(candidate.macroNames).sorted()
        var rows: [MacroRow] = []
        var predicates: [(EventPredicate?, EventPredicate?)] = []
        for name in macroNames {
            let (referenceSide, referencePredicate) = Self.compile(name, in: reference)
            let (candidateSide, candidatePredicate) = Self.compile(name, in: candidate)
            rows.append(MacroRow(name: name, reference: referenceSide, candidate: candidateSide))
            predicates.append((referencePredicate, candidatePredicate))
        }
        macros = rows
        self.predicates = predicates
        lists = Set(reference.listNames).union(candidate.listNames).sorted().map { name in
            let referenceItems = reference.expandedItems(ofList: name), candidateItems = candidate.expandedItems(ofList: name)
            let referenceSet = Set((referenceItems ?? []).map(Self.unquoted)), candidateSet = Set((candidateItems ?? []).map(Self.unquoted))
            return ListRow(name: name, inReference: referenceItems != nil, inCandidate: candidateItems != nil,
                           onlyInReference: referenceSet.subtracting(candidateSet).sorted(), onlyInCandidate: candidateSet.subtracting(referenceSet).sorted())
        }
    }

    private static func compile(_ name: String, in loader: RulesLoader) -> (MacroRow.Side, EventPredicate?) {
        guard loader.macroNames.contains(name) else { return (.undefined, nil) }
        do {
            guard let predicate = try loader.predicate(ofMacro: name) else { return (.failed("not compiled"), nil) }
            return (.compiled, predicate)
        } catch {
            return (.failed(error.message), nil)
        }
    }

    /// An item as a condition reads it: `"a b"` and `a b` are the same string.
    private static func unquoted(_ item: String) -> String {
        if item.count >= 2, let first = item.first, first == item.last, first == "\"" || first == "'" { return String(item.dropFirst().dropLast()) }
        return item
    }

    /// Evaluates every macro of both sides on one event of `source`.
    public mutating func add(_ event: Event, source: String) {
        if sources.last?.name == source { sources[sources.count - 1].events += 1 } else { sources.append((source, 1)) }
        for index in macros.indices {
            guard let reference = predicates[index].reference, let candidate = predicates[index].candidate else { continue }
            let byReference = reference(event), byCandidate = candidate(event)
            macros[index].events += 1
            if byReference { macros[index].selectedByReference += 1 }
            if byCandidate { macros[index].selectedByCandidate += 1 }
            if byReference != byCandidate {
                macros[index].disagreements += 1
                if macros[index].firstDisagreement == nil {
                    macros[index].firstDisagreement = "\(source) event \(event.number) (\(event.type)): selected by \(byReference ? "the reference" : "the candidate") only"
                }
            }
        }
    }

    /// The per-macro and per-list tables as Markdown.
    public func markdown(referenceName: String, candidateName: String) -> String {
        var out = "Events: \(sources.reduce(0) { $0 + $1.events }) from \(sources.count) source\(sources.count == 1 ? "" : "s") ("
            + sources.map { "\($0.name) \($0.events)" }.joined(separator: ", ") + ").\n\n"
        let same = macros.filter(\.identical).count
        out += "Macros: \(same) of \(macros.count) select exactly the same events.\n\n"
        out += "| macro | \(referenceName) selects | \(candidateName) selects | agreement | first difference |\n|---|---:|---:|---:|---|\n"
        for row in macros {
            func side(_ side: MacroRow.Side, _ count: Int) -> String {
                switch side {
                case .undefined: return "not defined"
                case .failed(let message): return "does not compile: \(message)"
                case .compiled: return String(count)
                }
            }
            let agreement = row.reference == .compiled && row.candidate == .compiled ? Self.percent(row.agreement) : "—"
            out += "| `\(row.name)` | \(side(row.reference, row.selectedByReference)) | \(side(row.candidate, row.selectedByCandidate)) | \(agreement) | \(row.firstDisagreement ?? "") |\n"
        }
        let sameLists = lists.filter(\.identical).count
        out += "\nLists: \(sameLists) of \(lists.count) have the same items.\n\n| list | items only in \(referenceName) | items only in \(candidateName) |\n|---|---|---|\n"
        for row in lists where !row.identical {
            let only = { (present: Bool, items: [String]) in present ? items.joined(separator: ", ") : "not defined" }
            out += "| `\(row.name)` | \(only(row.inReference, row.onlyInReference)) | \(only(row.inCandidate, row.onlyInCandidate)) |\n"
        }
        return out
    }

    private static func percent(_ value: Double) -> String {
        if value >= 1 { return "100%" }
        let tenths = (value * 1000).rounded(.down) / 10
        return "\(tenths)%"
    }
}
