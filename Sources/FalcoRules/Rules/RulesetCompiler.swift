import TraceModel

/// A rule compiled and ready to evaluate.
public struct CompiledRule: Sendable {
    public var name: String
    public var description: String
    public var priority: Priority
    public var source: String
    public var tags: [String]
    public var enabled: Bool
    /// The condition after list substitution and exceptions, before macro expansion.
    public var conditionText: String
    /// The condition with appends, as written (before lists, exceptions and macros).
    public var rawCondition: String
    /// The output format text.
    public var outputText: String
    public var capture: Bool
    public var captureDuration: Int
    public var output: OutputFormat
    /// `append_output[].extra_fields` that match this rule: keys added to JSON `output_fields`, not to the message.
    public var extraFields: [ExtraField] = []
    public var predicate: EventPredicate
    public var eventTypes: EventTypeSet
    /// Load order.
    public var index: Int
}

/// Tracks macro compilation with Falco's visibility rule: a macro sees the macros defined before it;
/// rules see every macro. Each macro compiles once and is shared by every reference.
/// A key Falco's `append_output[].extra_fields` adds to a rule's JSON `output_fields`: a field's typed value
/// (`raw`, listed by name) or a format rendered to a string.
public struct ExtraField: Sendable {
    public var key: String
    public var format: OutputFormat
    public var raw: Bool
}

final class MacroTable {
    let loader: RulesLoader
    /// The lists with lists inside them expanded, computed once per compilation.
    let lists: [String: [String]]
    var parsed: [Int: ConditionNode] = [:]
    var compiled: [Int: EventPredicate] = [:]
    var types: [Int: EventTypeSet] = [:]
    var inProgress: Set<Int> = []
    var warnings: [ConditionCompileWarning] = []
    /// The innermost macro whose own condition failed to compile (its position is inside that macro).
    var failingMacro: Int?

    init(loader: RulesLoader, lists: [String: [String]]) {
        self.loader = loader
        self.lists = lists
    }

    func macro(_ name: String, visibleTo visibility: Int?, position: ConditionPosition) throws(ConditionCompileError) -> Int {
        guard let index = loader.macroIndex[name] else {
            throw ConditionCompileError(message: "Undefined macro '\(name)' used in filter.", position: position)
        }
        if let visibility, index > visibility {
            throw ConditionCompileError(message: "Undefined macro '\(name)' used in filter.", position: position)
        }
        return index
    }

    /// Macros nested inside one another (a macro using a macro using ...) past this depth are an error: each level is
    /// a level of recursion when compiling, typing and expanding, and 20,000 would overflow the stack.
    static let maximumNesting = 100

    func predicate(_ index: Int) throws(ConditionCompileError) -> EventPredicate {
        if let done = compiled[index] { return done }
        guard !inProgress.contains(index), let node = parsed[index] else {
            throw ConditionCompileError(message: "reference loop in macro '\(loader.macros[index].name)'", position: ConditionPosition())
        }
        guard inProgress.count < Self.maximumNesting else {
            if failingMacro == nil { failingMacro = index }
            throw ConditionCompileError(message: "macros nested more than \(Self.maximumNesting) deep (at macro '\(loader.macros[index].name)')", position: ConditionPosition())
        }
        inProgress.insert(index)
        defer { inProgress.remove(index) }
        var compiler = makeCompiler(visibility: index)
        let predicate: EventPredicate
        do {
            predicate = try compiler.compile(node)
        } catch {
            if failingMacro == nil { failingMacro = index }
            throw error
        }
        warnings += compiler.warnings
        compiled[index] = predicate
        return predicate
    }

    func eventTypes(_ index: Int, negated: Bool) -> EventTypeSet {
        if let done = types[index * 2 + (negated ? 1 : 0)] { return done }
        guard !inProgress.contains(index), inProgress.count < Self.maximumNesting, let node = parsed[index] else { return .all }
        inProgress.insert(index)
        defer { inProgress.remove(index) }
        let set = eventTypes(of: node, visibility: index, negated: negated)
        types[index * 2 + (negated ? 1 : 0)] = set
        return set
    }

    func makeCompiler(visibility: Int?) -> ConditionCompiler {
        var compiler = ConditionCompiler(catalog: .standard, lists: lists)
        compiler.resolveIdentifier = { [unowned self] (name, position) throws(ConditionCompileError) in
            let index = try self.macro(name, visibleTo: visibility, position: position)
            if index == visibility {
                throw ConditionCompileError(message: "reference loop in macro '\(name)'", position: position)
            }
            return try self.predicate(index)
        }
        return compiler
    }

    /// Event types of a condition, with macro references resolved to their own sets.
    func eventTypes(of node: ConditionNode, visibility: Int?, negated: Bool = false) -> EventTypeSet {
        EventTypeSet.of(node, negated: negated) { name, negated in
            guard let index = try? macro(name, visibleTo: visibility, position: ConditionPosition()), index != visibility else { return .all }
            return eventTypes(index, negated: negated)
        }
    }

    /// The condition with macros inlined, as Falco's `describe_rule` prints it; nil when the expansion
    /// would exceed `limit` nodes.
    func expand(_ node: ConditionNode, visibility: Int?, budget: inout Int) -> ConditionNode? {
        budget -= 1
        if budget < 0 { return nil }
        switch node {
        case .identifier(let name, let position):
            guard let index = try? macro(name, visibleTo: visibility, position: position), index != visibility,
                  let body = parsed[index], !inProgress.contains(index) else { return node }
            guard inProgress.count < Self.maximumNesting else { return nil }
            inProgress.insert(index)
            defer { inProgress.remove(index) }
            return expand(body, visibility: index, budget: &budget)
        case .and(let children, let position):
            var out: [ConditionNode] = []
            for child in children {
                guard let expanded = expand(child, visibility: visibility, budget: &budget) else { return nil }
                out.append(expanded)
            }
            return .and(out, position: position)
        case .or(let children, let position):
            var out: [ConditionNode] = []
            for child in children {
                guard let expanded = expand(child, visibility: visibility, budget: &budget) else { return nil }
                out.append(expanded)
            }
            return .or(out, position: position)
        case .not(let child, let position):
            return expand(child, visibility: visibility, budget: &budget).map { .not($0, position: position) }
        default:
            return node
        }
    }
}

extension RulesLoader {
    /// Items a list may expand to (its own and those of the lists inside it), and all lists together: lists that
    /// reference lists can double at each level, and a 1 kB file would otherwise expand to gigabytes.
    public static let maximumListItems = 1_000_000
    public static let maximumTotalListItems = 4_000_000

    /// Lists with list-in-list references expanded (a list sees lists defined before it).
    var expandedLists: [String: [String]] { expandLists().lists }

    /// The expanded lists, and the first list whose expansion passes `maximumListItems` (or takes the total past
    /// `maximumTotalListItems`); expansion stops there.
    func expandLists() -> (lists: [String: [String]], oversized: ListInfo?) {
        var expanded: [String: [String]] = [:]
        var total = 0
        for list in lists {
            var items: [String] = []
            for item in list.items {
                if let index = listIndex[item], index < list.index, let inner = expanded[item] {
                    guard items.count + inner.count <= Self.maximumListItems else { return (expanded, list) }
                    items += inner
                } else {
                    items.append(item)
                }
            }
            total += items.count
            guard items.count <= Self.maximumListItems, total <= Self.maximumTotalListItems else { return (expanded, list) }
            expanded[list.name] = items
        }
        return (expanded, nil)
    }

    /// Replaces list names in a condition with their items, as Falco does before parsing: a name
    /// delimited by the start or end, blanks, `(`, `)`, `,` or `=`. Marks the lists it uses.
    func substituteLists(_ text: String, lists expanded: [String: [String]], used: inout Set<String>) -> String {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        func isDelimiter(_ byte: UInt8) -> Bool {
            ConditionLexer.isBlank(byte) || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")")
                || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "=")
        }
        var index = 0
        while index < bytes.count {
            if isDelimiter(bytes[index]) {
                output.append(bytes[index])
                index += 1
                continue
            }
            let start = index
            while index < bytes.count, !isDelimiter(bytes[index]) { index += 1 }
            let word = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let items = expanded[word] else {
                output += bytes[start..<index]
                continue
            }
            used.insert(word)
            if items.isEmpty {
                // Drop the comma that separated the empty list from its neighbour.
                var lookahead = index
                while lookahead < bytes.count, ConditionLexer.isBlank(bytes[lookahead]) { lookahead += 1 }
                if lookahead < bytes.count, bytes[lookahead] == UInt8(ascii: ",") {
                    index = lookahead + 1
                } else {
                    var back = output.count
                    while back > 0, ConditionLexer.isBlank(output[back - 1]) { back -= 1 }
                    if back > 0, output[back - 1] == UInt8(ascii: ",") { output.removeSubrange((back - 1)...) }
                }
                continue
            }
            let rendered = items.map { item -> String in
                item.contains(" ") && !item.hasPrefix("\"") && !item.hasPrefix("'") ? "\"" + item + "\"" : item
            }.joined(separator: ", ")
            output += Array(rendered.utf8)
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The condition text of a rule with its exceptions, exactly as Falco builds it.
    func conditionWithExceptions(_ rule: RuleInfo, catalog: FieldCatalog) throws(ItemProblem) -> String {
        let withValues = rule.exceptions.filter { !$0.values.isEmpty }
        guard !rule.exceptions.isEmpty else { return rule.condition }
        var text = "(" + rule.condition + ")"
        for exception in rule.exceptions {
            try validate(exception, catalog: catalog)
        }
        for exception in withValues {
            switch exception.fields {
            case .single(let field):
                let comp: String
                if case .single(let single) = exception.comps { comp = single } else { comp = "in" }
                var values: [String] = []
                for row in exception.values {
                    guard row.count == 1, case .scalar(let value) = row[0] else {
                        throw ItemProblem(code: .validate, message: "Expected values array to contain a list of strings")
                    }
                    values.append(quoteExceptionValue(value))
                }
                text += " and not \(field) \(comp) (\(values.joined(separator: ", ")))"
            case .multiple(let fields):
                let comps: [String]
                if case .multiple(let list) = exception.comps { comps = list } else { comps = Array(repeating: "=", count: fields.count) }
                var clauses: [String] = []
                for row in exception.values {
                    guard row.count == fields.count else {
                        throw ItemProblem(code: .validate, message: "Fields and values lists must have equal length",
                                          extra: [location(itemType: "exception", itemName: exception.name, origin: exception.origin)])
                    }
                    let parts = (0..<fields.count).map { index -> String in
                        "\(fields[index]) \(comps[index]) \(exceptionValue(row[index], comp: comps[index]))"
                    }
                    clauses.append("(" + parts.joined(separator: " and ") + ")")
                }
                text += " and not (" + clauses.joined(separator: " or ") + ")"
            case nil:
                throw ItemProblem(code: .validate, message: "Rule exception item must have fields property with a list of fields")
            }
        }
        return text
    }

    private func validate(_ exception: ExceptionInfo, catalog: FieldCatalog) throws(ItemProblem) {
        do {
            try validateExceptionItems(exception, catalog: catalog)
        } catch {
            var located = error
            located.extra = [location(itemType: "exception", itemName: exception.name, origin: exception.origin)]
            throw located
        }
    }

    private func validateExceptionItems(_ exception: ExceptionInfo, catalog: FieldCatalog) throws(ItemProblem) {
        func checkField(_ field: String) throws(ItemProblem) {
            var parser = ConditionParser(field + " exists")
            guard let node = try? parser.parse(), case .unary(let operand, _, _) = node,
                  (try? ConditionCompiler(catalog: catalog).resolve(operand)) != nil else {
                throw ItemProblem(code: .validate, message: "'\(field)' is not a supported filter field")
            }
        }
        func checkOperator(_ comp: String, listOnly: Bool) throws(ItemProblem) {
            let parts = comp.split(separator: " ").map(String.init)
            let base = parts.first ?? ""
            let valid: Bool
            if parts.count == 2 {
                valid = ConditionParser.stringOperators.contains(base) && ConditionParser.modifiers.contains(parts[1])
            } else if listOnly {
                valid = ConditionParser.listOperators.contains(base)
            } else {
                valid = parts.count == 1 && (ConditionParser.stringOperators + ConditionParser.numericOperators + ConditionParser.listOperators).contains(base)
            }
            guard valid else { throw ItemProblem(code: .validate, message: "'\(comp)' is not a supported comparison operator") }
        }
        switch exception.fields {
        case .single(let field):
            try checkField(field)
            if case .single(let comp) = exception.comps { try checkOperator(comp, listOnly: true) }
            if case .multiple = exception.comps {
                throw ItemProblem(code: .validate, message: "Fields and comps lists must have equal length")
            }
        case .multiple(let fields):
            for field in fields { try checkField(field) }
            switch exception.comps {
            case .multiple(let comps):
                guard comps.count == fields.count else {
                    throw ItemProblem(code: .validate, message: "Fields and comps lists must have equal length")
                }
                for comp in comps { try checkOperator(comp, listOnly: false) }
            case .single:
                throw ItemProblem(code: .validate, message: "Fields and comps lists must have equal length")
            case nil: break
            }
        case nil:
            throw ItemProblem(code: .validate, message: "Rule exception item must have fields property with a list of fields")
        }
    }

    private func quoteExceptionValue(_ value: String) -> String {
        value.contains(" ") && !value.hasPrefix("\"") && !value.hasPrefix("'") ? "\"" + value + "\"" : value
    }

    private func exceptionValue(_ value: ExceptionInfo.Value, comp: String) -> String {
        switch value {
        case .list(let items): return "(" + items.map(quoteExceptionValue).joined(separator: ", ") + ")"
        case .scalar(let text):
            let base = comp.split(separator: " ").first.map(String.init) ?? comp
            if ConditionParser.listOperators.contains(base) || comp.contains(" ") {
                return text.hasPrefix("(") ? text : "(" + text + ")"
            }
            return quoteExceptionValue(text)
        }
    }

    /// Stands in for a macro that does not parse when every error is reported: true of no event, so the rules
    /// using it compile and add no error of their own.
    static let neverTrue = try? ConditionParser.parse("evt.num < 0")

    /// Compiles everything collected so far, reporting into the result of the file just loaded.
    func compile(into result: inout LoadResult) {
        let (expanded, oversized) = expandLists()
        if let oversized {
            result.errors.append(message(.validate, "list '\(oversized.name)' expands to more than \(Self.maximumListItems) items, or all lists to more than \(Self.maximumTotalListItems) (lists inside lists multiply at each level)",
                                         itemType: "list", itemName: oversized.name, origin: oversized.origin))
            compiledRules = []
            return
        }
        var usedLists: Set<String> = []
        for list in lists {
            for item in list.items where listIndex[item].map({ $0 < list.index }) == true { usedLists.insert(item) }
        }
        let table = MacroTable(loader: self, lists: expanded)
        // Falco stops at the first error; with reportsEveryError the others are reported too, and nothing compiles.
        func stops() -> Bool {
            guard reportsEveryError else {
                compiledRules = []
                return true
            }
            return false
        }
        var referencedMacros: Set<String> = []
        for macro in macros {
            let text = substituteLists(macro.condition, lists: expanded, used: &usedLists)
            do {
                let node = try ConditionParser.parse(text, maxDepth: 1000)
                table.parsed[macro.index] = node
                collectIdentifiers(node, into: &referencedMacros)
            } catch {
                result.errors.append(conditionError(.compileCondition, error.message, itemType: "macro", name: macro.name,
                                                    origin: macro.origin, condition: text, position: error.position))
                if stops() { return }
                table.parsed[macro.index] = Self.neverTrue
                continue
            }
        }
        // Every macro reference must name a macro defined before it (macros) or anywhere (rules).
        for macro in macros {
            guard let node = table.parsed[macro.index] else { continue }
            if let undefined = undefinedMacro(in: node, visibility: macro.index) {
                let text = undefined == macro.name ? "reference loop in macro '\(undefined)'" : "Undefined macro '\(undefined)' used in filter."
                result.errors.append(message(.validate, text, itemType: "macro", itemName: macro.name, origin: macro.origin))
                if stops() { return }
                table.parsed[macro.index] = Self.neverTrue
                continue
            }
        }
        var compiled: [CompiledRule] = []
        for rule in rules {
            guard RulesLoader.knownSources.contains(rule.source) else {
                result.warnings.append(message(.unknownSource, "Unknown source \(rule.source), skipping", itemType: "rule", itemName: rule.name, origin: rule.origin))
                continue
            }
            let conditionText: String
            do {
                conditionText = substituteLists(try conditionWithExceptions(rule, catalog: .standard), lists: expanded, used: &usedLists)
            } catch {
                result.errors.append(message(error.code, error.message, itemType: "rule", itemName: rule.name, origin: rule.origin, extra: error.extra))
                if stops() { return }
                continue
            }
            let node: ConditionNode
            do {
                node = try ConditionParser.parse(conditionText, maxDepth: 1000)
            } catch {
                result.errors.append(conditionError(.compileCondition, error.message, itemType: "rule", name: rule.name,
                                                    origin: rule.origin, condition: conditionText, position: error.position))
                if stops() { return }
                continue
            }
            collectIdentifiers(node, into: &referencedMacros)
            if let undefined = undefinedMacro(in: node, visibility: nil) {
                result.errors.append(message(.validate, "Undefined macro '\(undefined)' used in filter.", itemType: "rule", itemName: rule.name, origin: rule.origin))
                if stops() { return }
                continue
            }
            var compiler = table.makeCompiler(visibility: nil)
            let predicate: EventPredicate
            let output: OutputFormat
            table.failingMacro = nil
            do {
                predicate = try compiler.compile(node)
            } catch {
                if rule.skipIfUnknownFilter, isUnknownFieldError(error.message) {
                    result.warnings.append(message(.unknownFilter, error.message, itemType: "rule", itemName: rule.name, origin: rule.origin))
                    continue
                }
                result.errors.append(ruleConditionError(error, rule: rule, conditionText: conditionText, failingMacro: table.failingMacro))
                if stops() { return }
                continue
            }
            do {
                output = try OutputFormat(rule.output)
            } catch {
                if rule.skipIfUnknownFilter, isUnknownFieldError(error.message) {
                    result.warnings.append(message(.unknownFilter, error.message, itemType: "rule", itemName: rule.name, origin: rule.origin))
                    continue
                }
                result.errors.append(message(.compileOutput, error.message, itemType: "rule", itemName: rule.name, origin: rule.outputOrigin,
                                             extra: [LoadLocation(itemType: "rule output", itemName: "", positionName: rule.outputOrigin.file,
                                                                  line: rule.outputOrigin.line, column: rule.outputOrigin.column, offset: 0)]))
                if stops() { return }
                continue
            }
            for warning in compiler.warnings {
                result.warnings.append(conditionError(.compileConditionWarning, warning.message, itemType: "rule", name: rule.name,
                                                      origin: rule.origin, condition: conditionText, position: warning.position))
            }
            var budget = 200_000
            var seenFindings: Set<String> = []
            for finding in table.expand(node, visibility: nil, budget: &budget).map(ConditionWarnings.findings) ?? []
            where seenFindings.insert(finding.message).inserted {
                result.warnings.append(message(finding.code, finding.message, itemType: "rule", itemName: rule.name, origin: rule.origin))
            }
            if rule.output.contains("%container.info") {
                result.warnings.append(message(.deprecatedItem, "%container.info is deprecated and not supported anymore: it is replaced by an empty string",
                                               itemType: "rule output", itemName: rule.name, origin: rule.outputOrigin))
            }
            let types = table.eventTypes(of: node, visibility: nil)
            if rule.warnEventTypes, types.codeCount > 100 {
                result.warnings.append(message(.noEventType, "Rule matches too many evt.type values. This has a significant performance penalty.",
                                               itemType: "rule", itemName: rule.name, origin: rule.origin))
            }
            compiled.append(CompiledRule(name: rule.name, description: rule.description, priority: rule.priority, source: rule.source,
                                         tags: rule.tags, enabled: rule.enabled, conditionText: conditionText,
                                         rawCondition: rule.condition, outputText: rule.output, capture: rule.capture,
                                         captureDuration: rule.captureDuration, output: output,
                                         predicate: predicate, eventTypes: types, index: rule.index))
        }
        for macro in macros where !referencedMacros.contains(macro.name) {
            result.warnings.append(message(.unusedMacro, "Macro not referred to by any other rule/macro", itemType: "macro", itemName: macro.name, origin: macro.origin))
        }
        for list in lists where !usedLists.contains(list.name) {
            result.warnings.append(message(.unusedList, "List not referred to by any other rule/macro", itemType: "list", itemName: list.name, origin: list.origin))
        }
        for plugin in requiredPlugins where checkPluginRequirements {
            let candidates = [(plugin.name, plugin.version)] + plugin.alternatives
            let satisfied = candidates.contains { name, version in
                availablePlugins[name].map { $0.major == version.major && $0 >= version } ?? false
            }
            if !satisfied {
                result.errors.append(message(.validate, "Plugin '\(plugin.name)' version '\(plugin.version)' is required by this rule set but is not available (available: \(availablePlugins.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", ")))",
                                             itemType: "required plugin versions", itemName: plugin.name, origin: plugin.origin))
            }
        }
        macroTable = table
        compiledRules = result.errors.isEmpty ? compiled : []
    }

    /// Falco's `describe_rule` condition: macros inlined, printed as libsinsp prints an AST.
    public func compiledCondition(ofRule name: String) -> String? {
        guard let rule = compiledRules.first(where: { $0.name == name }), let table = macroTable,
              let node = try? ConditionParser.parse(rule.conditionText, maxDepth: 1000) else { return nil }
        var budget = 200_000
        return table.expand(node, visibility: nil, budget: &budget)?.text
    }

    /// A rule's condition that does not compile, located as Falco locates it (the rule and a position in its
    /// condition), plus what caused it when that lies elsewhere: the macro whose own condition fails (a
    /// student's redefinition of a default macro, say), or the file that last appended to or overrode the rule.
    private func ruleConditionError(_ error: ConditionCompileError, rule: RuleInfo, conditionText: String, failingMacro: Int?) -> LoadMessage {
        guard let index = failingMacro else {
            var located = conditionError(.compileCondition, error.message, itemType: "rule", name: rule.name,
                                         origin: rule.origin, condition: conditionText, position: error.position)
            if rule.lastChange.file != rule.origin.file || rule.lastChange.line != rule.origin.line {
                located.locations.insert(location(itemType: "rule changed by", itemName: rule.name, origin: rule.lastChange), at: 1)
            }
            return located
        }
        let macro = macros[index]
        let preview = "\"" + String(macro.condition.prefix(17)) + (macro.condition.count > 17 ? "...\"" : "\"")
        return LoadMessage(code: .compileCondition, message: error.message,
                           locations: [location(itemType: "rule", itemName: rule.name, origin: rule.origin),
                                       location(itemType: "macro", itemName: macro.name, origin: macro.lastChange),
                                       LoadLocation(itemType: "condition expression", itemName: "", positionName: preview,
                                                    line: error.position.line, column: error.position.column, offset: error.position.index)],
                           snippet: snippet(macro.lastChange))
    }

    private func isUnknownFieldError(_ message: String) -> Bool {
        ["nonexistent field", "invalid formatting token", "unknown event type", "unknown filter:"].contains { message.contains($0) }
    }

    private func conditionError(_ code: LoadCode, _ text: String, itemType: String, name: String, origin: ItemOrigin,
                                condition: String, position: ConditionPosition) -> LoadMessage {
        let preview = "\"" + String(condition.prefix(17)) + (condition.count > 17 ? "...\"" : "\"")
        return message(code, text, itemType: itemType, itemName: name, origin: origin,
                       extra: [LoadLocation(itemType: "condition expression", itemName: "", positionName: preview,
                                            line: position.line, column: position.column, offset: position.index)])
    }

    /// The first macro reference in a condition that names no visible macro.
    private func undefinedMacro(in node: ConditionNode, visibility: Int?) -> String? {
        var names: Set<String> = []
        collectIdentifiers(node, into: &names)
        for name in names.sorted() {
            guard let index = macroIndex[name] else { return name }
            if let visibility, index >= visibility { return name }
        }
        return nil
    }

    private func collectIdentifiers(_ node: ConditionNode, into names: inout Set<String>) {
        switch node {
        case .identifier(let name, _): names.insert(name)
        case .and(let children, _), .or(let children, _): for child in children { collectIdentifiers(child, into: &names) }
        case .not(let child, _): collectIdentifiers(child, into: &names)
        default: break
        }
    }
}
