import Foundation
import TraceModel
import Yams

/// Loads Falco rules files into one rule set, in order, with Falco's semantics: lists, macros and rules
/// with append and override, exceptions, version requirements, and Falco's load results (error and
/// warning codes with locations). After the files are loaded, `compile()` builds the engine.
public final class RulesLoader {
    /// The rule-language version this engine implements (Falco's engine version of 0.44).
    public static let engineVersion = SemanticVersion(major: 0, minor: 63, patch: 0)
    /// Plugins whose fields are built in, with the version they stand for.
    public static let builtinPlugins: [String: SemanticVersion] = ["container": SemanticVersion(major: 0, minor: 6, patch: 0)]
    /// The sources TraceLab evaluates.
    public static let knownSources: Set<String> = ["syscall"]

    var lists: [ListInfo] = []
    var listIndex: [String: Int] = [:]
    var macros: [MacroInfo] = []
    var macroIndex: [String: Int] = [:]
    var rules: [RuleInfo] = []
    var ruleIndex: [String: Int] = [:]
    /// Exceptions appended without values during the current item (reported as LOAD_APPEND_NO_VALUES).
    var appendWarnings: [String] = []
    var requiredPlugins: [(name: String, version: SemanticVersion, alternatives: [(String, SemanticVersion)], origin: ItemOrigin)] = []
    /// The text of every loaded file, for snippets.
    var sources: [String: [Substring]] = [:]
    /// The rules compiled after the last file, in load order (empty after a failed load).
    public internal(set) var compiledRules: [CompiledRule] = []
    var macroTable: MacroTable?
    /// Results of the files loaded so far.
    public private(set) var results: [LoadResult] = []
    /// Every list, macro and rule item in load order and what it did to its name.
    public internal(set) var itemLog: [ItemChange] = []

    /// Plugins the rules may require, with their versions; the container plugin's fields are built in.
    public let availablePlugins: [String: SemanticVersion]
    /// Whether `required_plugin_versions` is checked after loading (Falco checks it at startup and in -V).
    public let checkPluginRequirements: Bool
    /// Report every error of a file instead of stopping at the first, as Falco does (`tracelab validate`): later
    /// items are still read and every rule still compiled, a macro that does not parse standing in as never true
    /// so the rules using it add no error of their own. A file with errors still loads no rule.
    public var reportsEveryError = false

    public init(availablePlugins: [String: SemanticVersion] = RulesLoader.builtinPlugins, checkPluginRequirements: Bool = true) {
        self.availablePlugins = availablePlugins
        self.checkPluginRequirements = checkPluginRequirements
    }

    /// A loader holding everything this one has loaded (items, results, compiled rules), to load more files
    /// on top without reading the first ones again: the default rules once per grader, then each submission.
    public func copy() -> RulesLoader {
        let other = RulesLoader(availablePlugins: availablePlugins, checkPluginRequirements: checkPluginRequirements)
        other.lists = lists
        other.listIndex = listIndex
        other.macros = macros
        other.macroIndex = macroIndex
        other.rules = rules
        other.ruleIndex = ruleIndex
        other.requiredPlugins = requiredPlugins
        other.sources = sources
        other.compiledRules = compiledRules
        other.results = results
        other.itemLog = itemLog
        other.macroTable = macroTable
        return other
    }

    /// Loads a rules file from disk.
    @discardableResult
    public func load(path: String) -> LoadResult {
        guard let bytes = FileBytes.read(path) else {
            var result = LoadResult(name: path)
            result.errors.append(LoadMessage(code: .fileRead, message: "Could not read file '\(path)'",
                                             locations: [], snippet: ""))
            results.append(result)
            return result
        }
        return load(bytes: bytes, name: path)
    }

    /// Loads rules from bytes; `name` names them in diagnostics.
    @discardableResult
    public func load(bytes: [UInt8], name: String) -> LoadResult {
        var result = loadItems(bytes: bytes, name: name)
        result.errors = result.errors.map(hinted)
        result.warnings = result.warnings.map(hinted)
        results.append(result)
        return result
    }

    /// A message with TraceLab's "did you mean" beside Falco's text: the closest field, macro (this rule set's or
    /// Falco's default ones) or priority to the unknown one, and the valid priorities.
    func hinted(_ message: LoadMessage) -> LoadMessage {
        var message = message
        func unknown(after marker: String) -> String? {
            guard let range = message.message.range(of: marker) else { return nil }
            let word = message.message[range.upperBound...].prefix { !$0.isWhitespace && $0 != "'" && $0 != "," }
            return word.isEmpty ? nil : String(word)
        }
        if message.message == "Invalid priority" {
            let valid = Priority.allCases.map { $0.name.uppercased() }
            var given: String?
            if let location = message.locations.last, location.itemType == "rule priority", let lines = sources[location.positionName],
               location.line >= 1, location.line <= lines.count {
                given = lines[location.line - 1].split(separator: ":", maxSplits: 1).last
                    .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
            }
            let guess = given.flatMap { Suggestion.closest(to: $0, among: valid) }.map { "did you mean '\($0)'? " } ?? ""
            message.hint = guess + "Priorities: " + valid.joined(separator: ", ") + " (case does not matter; INFO for INFORMATIONAL)."
        } else if let name = unknown(after: "Undefined macro '") {
            let known = macros.map(\.name) + FalcoDefaultNames.macros.sorted()
            if let guess = Suggestion.closest(to: name, among: known) {
                message.hint = "did you mean '\(guess)'?" + (macroIndex[guess] == nil ? " (a macro of Falco's default rules, which load before your files)" : "")
            }
        } else if let field = unknown(after: "nonexistent field ") ?? unknown(after: "invalid formatting token ") {
            let base = field.split(separator: "[").first.map(String.init) ?? field
            if let guess = Suggestion.closest(to: base.hasPrefix("%") ? String(base.dropFirst()) : base, among: FieldCatalog.standard.definitions.map(\.name)) {
                message.hint = "did you mean '\(guess)'? (tracelab fields lists them)"
            }
        }
        return message
    }

    private func loadItems(bytes original: [UInt8], name: String) -> LoadResult {
        var result = LoadResult(name: name)
        // yaml-cpp reads UTF-16 with a byte order mark too (offsets below are then into its UTF-8 form).
        let bytes = TextEncoding.utf8(original)
        if let offset = YAMLGuard.firstInvalidUTF8(bytes) {
            let (line, column) = YAMLGuard.lineAndColumn(bytes, offset: offset)
            result.errors.append(fileMessage(.yamlParse, "invalid UTF-8 byte 0x\(String(bytes[offset], radix: 16)) at byte offset \(offset)",
                                             name: name, line: line, column: column, offset: offset))
            return result
        }
        if let problem = YAMLGuard.check(bytes) {
            let (line, column) = YAMLGuard.lineAndColumn(bytes, offset: problem.offset)
            result.errors.append(fileMessage(.yamlParse, problem.message, name: name, line: line, column: column, offset: problem.offset))
            return result
        }
        let text = String(decoding: bytes, as: UTF8.self)
        sources[name] = text.split(separator: "\n", omittingEmptySubsequences: false)
        let documents: [Node]
        do {
            var collected: [Node] = []
            var sequence = try Yams.compose_all(yaml: text)
            while let node = sequence.next() { collected.append(node) }
            if let error = sequence.error { throw error }
            documents = collected
        } catch {
            let (message, line, column) = describeYAMLError(error)
            result.errors.append(fileMessage(.yamlParse, message, name: name, line: line, column: column, offset: 0))
            return result
        }
        for document in documents {
            if YAMLValue.isNull(document) { continue }
            guard case .sequence(let items) = document else {
                let mark = document.mark
                let message = { if case .scalar = document { return "Rules content is not yaml" } else { return "Rules content is not yaml array of objects" } }()
                result.errors.append(fileMessage(.yamlValidate, message, name: name, line: mark?.line ?? 1, column: mark?.column ?? 1, offset: 0))
                return result
            }
            for item in items {
                if YAMLValue.isNull(item) { continue }
                let origin = ItemOrigin(file: name, line: item.mark?.line ?? 1, column: item.mark?.column ?? 1, offset: 0)
                guard case .mapping = item else {
                    result.errors.append(message(.yamlValidate, "Unexpected element type. Each element should be a yaml associative array.",
                                                 itemType: "rules content item", itemName: "", origin: origin))
                    if reportsEveryError { continue }
                    return result
                }
                if !collect(item, origin: origin, into: &result) && !reportsEveryError { return result }
            }
        }
        compile(into: &result)
        return result
    }

    // MARK: Collecting items

    /// Reads one item into the collector; false when loading must stop.
    private func collect(_ item: Node, origin: ItemOrigin, into result: inout LoadResult) -> Bool {
        let keys = YAMLValue.keys(item)
        let kinds = ["required_engine_version", "required_plugin_versions", "list", "macro", "rule"]
        guard let kind = kinds.first(where: keys.contains) else {
            result.warnings.append(message(.unknownItem, "Unknown top level item", itemType: "rules content item", itemName: "", origin: origin))
            return true
        }
        let itemName = (try? YAMLValue.optionalString(item, kind)) ?? nil
        let itemType: String = switch kind {
        case "required_engine_version": "required_engine_version"
        case "required_plugin_versions": "required plugin versions"
        default: kind
        }
        let allowed: Set<String> = switch kind {
        case "list": AllowedKeys.list
        case "macro": AllowedKeys.macro
        case "rule": AllowedKeys.rule
        default: [kind]
        }
        for key in keys where !allowed.contains(key) {
            result.warnings.append(message(.unknownKey, "Unknown key '\(key)'. The key will be ignored.",
                                           itemType: itemType, itemName: itemName ?? "", origin: origin))
        }
        do {
            switch kind {
            case "required_engine_version": try collectEngineVersion(item)
            case "required_plugin_versions": try collectPluginVersions(item, origin: origin)
            case "list": try collectList(item, origin: origin, result: &result)
            case "macro": try collectMacro(item, origin: origin, result: &result)
            default: try collectRule(item, origin: origin, result: &result)
            }
        } catch {
            result.errors.append(LoadMessage(code: error.code, message: error.message,
                                             locations: [location(itemType: itemType, itemName: itemName ?? "", origin: origin)] + error.extra,
                                             snippet: snippet(origin)))
            return false
        }
        return true
    }

    private func collectEngineVersion(_ item: Node) throws(ItemProblem) {
        let text = try YAMLValue.requiredString(item, "required_engine_version")
        let required: SemanticVersion
        if let number = Int(text) {
            required = SemanticVersion(major: 0, minor: number, patch: 0)
        } else if let parsed = SemanticVersion(text) {
            required = parsed
        } else {
            throw ItemProblem(code: .yamlValidate, message: "Unable to parse engine version '\(text)' as a semver string.Expected \"x.y.z\" semver format.")
        }
        let engine = RulesLoader.engineVersion
        guard required.major == engine.major, required <= engine else {
            throw ItemProblem(code: .validate, message: "Rules require engine version \(required), but engine version is \(engine)")
        }
    }

    private func collectPluginVersions(_ item: Node, origin: ItemOrigin) throws(ItemProblem) {
        guard let value = YAMLValue.mappingValue(item, "required_plugin_versions"), case .sequence(let entries) = value else {
            throw ItemProblem(code: .yamlValidate, message: "Value of required_plugin_versions must be a sequence")
        }
        for entry in entries {
            guard case .mapping = entry else { throw ItemProblem(code: .yamlValidate, message: "Plugin version must be a mapping") }
            let name = try YAMLValue.requiredString(entry, "name")
            let versionText = try YAMLValue.requiredString(entry, "version")
            guard let version = SemanticVersion(versionText) else {
                throw ItemProblem(code: .yamlValidate, message: "Invalid required version '\(versionText)' for plugin '\(name)'")
            }
            var alternatives: [(String, SemanticVersion)] = []
            if let alternativesNode = YAMLValue.mappingValue(entry, "alternatives") {
                guard case .sequence(let list) = alternativesNode else {
                    throw ItemProblem(code: .yamlValidate, message: "Value is not a sequence")
                }
                for alternative in list {
                    let alternativeName = try YAMLValue.requiredString(alternative, "name")
                    let alternativeText = try YAMLValue.requiredString(alternative, "version")
                    guard let alternativeVersion = SemanticVersion(alternativeText) else {
                        throw ItemProblem(code: .yamlValidate, message: "Invalid required version '\(alternativeText)' for plugin '\(alternativeName)'")
                    }
                    if alternativeName == name || alternatives.contains(where: { $0.0 == alternativeName }) {
                        throw ItemProblem(code: .yamlValidate, message: "Defined multiple alternative version requirements for plugin '\(alternativeName)'")
                    }
                    alternatives.append((alternativeName, alternativeVersion))
                }
            }
            requiredPlugins.append((name, version, alternatives, origin))
        }
    }

    /// Reads `override:` and `append:`; returns the override map.
    private func overrides(_ item: Node) throws(ItemProblem) -> [String: String] {
        guard let node = YAMLValue.mappingValue(item, "override") else { return [:] }
        guard case .mapping(let mapping) = node else { throw ItemProblem(code: .yamlValidate, message: "Value is not a map") }
        var result: [String: String] = [:]
        for (key, value) in mapping {
            guard let keyText = key.string, case .scalar(let scalar) = value else {
                throw ItemProblem(code: .yamlValidate, message: "Value is not a scalar value")
            }
            guard scalar.string == "append" || scalar.string == "replace" else {
                throw ItemProblem(code: .yamlValidate, message: "Invalid override operation for key '\(keyText)': '\(scalar.string)'. Allowed values are: append replace ")
            }
            result[keyText] = scalar.string
        }
        return result
    }

    /// How a list or macro item changes an existing one.
    private enum UpdateMode { case define, append, replace }

    /// Reads `append:` (deprecated) and `override: {key: append|replace}` of a list or macro, with
    /// Falco's errors for conflicting or unsupported keys and its deprecation warning.
    private func updateMode(_ item: Node, key: String, itemType: String, name: String, origin: ItemOrigin,
                            result: inout LoadResult) throws(ItemProblem) -> UpdateMode {
        let override = try overrides(item)
        let legacyAppend = try YAMLValue.optionalBool(item, "append") ?? false
        if legacyAppend && !override.isEmpty {
            throw ItemProblem(code: .validate, message: "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. '\(key): append') under 'override' instead.")
        }
        for other in override.keys where other != key {
            throw ItemProblem(code: .validate, message: "Key '\(other)' cannot be appended to or replaced")
        }
        if legacyAppend {
            result.warnings.append(message(.deprecatedItem, "'append' key is deprecated. Add an 'append' entry (e.g. '\(key): append') under 'override' instead.",
                                           itemType: itemType, itemName: name, origin: origin))
            return .append
        }
        switch override[key] {
        case "append": return .append
        case "replace": return .replace
        default: return .define
        }
    }

    private func collectList(_ item: Node, origin: ItemOrigin, result: inout LoadResult) throws(ItemProblem) {
        let name = try YAMLValue.requiredString(item, "list")
        if name.contains(where: { $0 == "(" || $0 == ")" || $0 == "\"" || $0 == "'" || $0 == "=" || $0 == "," || $0.isWhitespace }) {
            result.warnings.append(message(.invalidListName, "List has an invalid name. List names should match a regular expression: [^()\"'[:space:]=,]+",
                                           itemType: "list", itemName: name, origin: origin))
        }
        let items = try YAMLValue.stringSequence(item, "items", required: true) ?? []
        let mode = try updateMode(item, key: "items", itemType: "list", name: name, origin: origin, result: &result)
        if mode == .append {
            guard let index = listIndex[name] else {
                throw ItemProblem(code: .validate, message: "List uses 'append' or 'override.items: append' but no list by that name already exists")
            }
            if items.isEmpty {
                result.warnings.append(message(.appendNoValues, "Overriding/appending list with no values", itemType: "list", itemName: name, origin: origin))
            }
            lists[index].items += items
            record(.list, name, .append, origin)
            return
        }
        if mode == .replace {
            guard let index = listIndex[name] else {
                throw ItemProblem(code: .validate, message: "An 'override.items: replace' to a list was requested but no list by that name already exists")
            }
            lists[index].items = items
            record(.list, name, .replace, origin)
            return
        }
        if let index = listIndex[name] {
            record(.list, name, .redefine(previous: lists[index].origin.file), origin)
            lists[index].items = items
            lists[index].origin = origin
        } else {
            record(.list, name, .define, origin)
            listIndex[name] = lists.count
            lists.append(ListInfo(name: name, items: items, origin: origin, index: lists.count))
        }
    }

    private func collectMacro(_ item: Node, origin: ItemOrigin, result: inout LoadResult) throws(ItemProblem) {
        let name = try YAMLValue.requiredString(item, "macro")
        if !isIdentifier(name) {
            result.warnings.append(message(.invalidMacroName, "Macro has an invalid name. Macro names should match a regular expression: [a-zA-Z]+[a-zA-Z0-9_]*",
                                           itemType: "macro", itemName: name, origin: origin))
        }
        let condition = try YAMLValue.requiredString(item, "condition")
        let conditionOrigin = self.origin(of: YAMLValue.mappingValue(item, "condition"), fallback: origin)
        let mode = try updateMode(item, key: "condition", itemType: "macro", name: name, origin: origin, result: &result)
        if mode == .append {
            guard let index = macroIndex[name] else {
                throw ItemProblem(code: .validate, message: "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists")
            }
            macros[index].condition += " " + condition
            macros[index].lastChange = origin
            record(.macro, name, .append, origin)
            return
        }
        if mode == .replace {
            guard let index = macroIndex[name] else {
                throw ItemProblem(code: .validate, message: "An 'override.condition: replace' to a macro was requested but no macro by that name already exists")
            }
            macros[index].condition = condition
            macros[index].conditionOrigin = conditionOrigin
            macros[index].lastChange = origin
            record(.macro, name, .replace, origin)
            return
        }
        if let index = macroIndex[name] {
            record(.macro, name, .redefine(previous: macros[index].origin.file), origin)
            macros[index].condition = condition
            macros[index].origin = origin
            macros[index].conditionOrigin = conditionOrigin
            macros[index].lastChange = origin
        } else {
            record(.macro, name, .define, origin)
            macroIndex[name] = macros.count
            macros.append(MacroInfo(name: name, condition: condition, origin: origin, conditionOrigin: conditionOrigin, index: macros.count,
                                    lastChange: origin))
        }
    }

    private func collectRule(_ item: Node, origin: ItemOrigin, result: inout LoadResult) throws(ItemProblem) {
        let name = try YAMLValue.requiredString(item, "rule")
        let keys = Set(YAMLValue.keys(item))
        let override = try overrides(item)
        let legacyAppend = try YAMLValue.optionalBool(item, "append") ?? false
        if legacyAppend && !override.isEmpty {
            throw ItemProblem(code: .validate, message: "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.")
        }
        var source = YAMLValue.mappingValue(item, "source").flatMap { YAMLValue.isNull($0) ? nil : $0.string }
        if source?.isEmpty == true { source = nil }
        let appending = legacyAppend || override["exceptions"] == "append"
        let exceptions = try readExceptions(item, origin: origin, result: &result, ruleName: name, appending: appending)

        if !override.isEmpty {
            for (key, operation) in override.sorted(by: { $0.key < $1.key }) {
                if operation == "append", !AllowedKeys.ruleAppendable.contains(key) {
                    throw ItemProblem(code: .validate, message: "Key '\(key)' cannot be appended to, use 'replace' instead")
                }
                if operation == "replace", !AllowedKeys.ruleReplaceable.contains(key) {
                    throw ItemProblem(code: .validate, message: "Key '\(key)' cannot be replaced")
                }
                if !keys.contains(key) {
                    throw ItemProblem(code: .validate, message: "An \(operation) override for '\(key)' was specified but '\(key)' is not defined")
                }
            }
            for key in keys.sorted() where AllowedKeys.ruleReplaceable.contains(key) && override[key] == nil {
                throw ItemProblem(code: .validate, message: "Unexpected key '\(key)': no corresponding entry under 'override' is defined.")
            }
            guard let index = ruleIndex[name] else {
                let operation = override.values.contains("append") ? "append" : "replace"
                if operation == "append" {
                    throw ItemProblem(code: .validate, message: "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists")
                }
                throw ItemProblem(code: .validate, message: "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists")
            }
            try applyOverrides(override, item: item, exceptions: exceptions, to: index)
            rules[index].lastChange = origin
            record(.rule, name, .override(override.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }), origin)
            reportAppendWarnings(name: name, origin: origin, result: &result)
            return
        }
        if legacyAppend {
            result.warnings.append(message(.deprecatedItem, "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
                                           itemType: "rule", itemName: name, origin: origin))
            guard let index = ruleIndex[name] else {
                throw ItemProblem(code: .validate, message: "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists")
            }
            guard keys.contains("condition") || keys.contains("exceptions") else {
                throw ItemProblem(code: .validate, message: "Appended rule must have exceptions or condition property")
            }
            if let condition = try YAMLValue.optionalString(item, "condition") { rules[index].condition += " " + condition }
            try appendExceptions(exceptions, to: index)
            rules[index].lastChange = origin
            record(.rule, name, .append, origin)
            reportAppendWarnings(name: name, origin: origin, result: &result)
            return
        }
        let definingKeys = ["condition", "output", "desc", "priority"]
        if !definingKeys.contains(where: keys.contains) {
            // Only `enabled`: toggles an existing rule (deprecated form).
            guard let enabled = try YAMLValue.optionalBool(item, "enabled") else {
                _ = try YAMLValue.requiredString(item, "condition")
                return
            }
            result.warnings.append(message(.deprecatedItem, "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').",
                                           itemType: "rule", itemName: name, origin: origin))
            guard let index = ruleIndex[name] else {
                throw ItemProblem(code: .validate, message: "Rule has 'enabled' key but no rule by that name already exists")
            }
            rules[index].enabled = enabled
            rules[index].lastChange = origin
            record(.rule, name, .override(["enabled: \(enabled)"]), origin)
            return
        }
        let condition = try YAMLValue.requiredString(item, "condition")
        let output = try YAMLValue.requiredString(item, "output")
        let description = try YAMLValue.requiredString(item, "desc")
        let priorityText = try YAMLValue.requiredString(item, "priority")
        guard let priority = Priority(parsing: priorityText) else {
            throw ItemProblem(code: .validate, message: "Invalid priority",
                              extra: [location(itemType: "rule priority", itemName: "", origin: self.origin(of: YAMLValue.mappingValue(item, "priority"), fallback: origin))])
        }
        if let index = ruleIndex[name], let source, rules[index].source != source {
            throw ItemProblem(code: .validate, message: "Rule has been re-defined with a different source")
        }
        if output.contains("%evt.dir") || output.contains("%evt.latency") || output.contains("%evt.wait_latency") {
            result.warnings.append(message(.deprecatedItem, "Output uses deprecated fields (evt.dir, evt.latency, evt.wait_latency): enter events are no longer captured",
                                           itemType: "rule output", itemName: name, origin: origin))
        }
        var rule = RuleInfo(
            name: name, condition: condition,
            conditionOrigin: self.origin(of: YAMLValue.mappingValue(item, "condition"), fallback: origin),
            rawCondition: condition, output: trimmed(output), outputOrigin: self.origin(of: YAMLValue.mappingValue(item, "output"), fallback: origin),
            description: description, priority: priority, source: source ?? "syscall",
            enabled: try YAMLValue.optionalBool(item, "enabled") ?? true,
            tags: try YAMLValue.stringSequence(item, "tags", required: false) ?? [],
            exceptions: exceptions,
            warnEventTypes: try YAMLValue.optionalBool(item, "warn_evttypes") ?? true,
            skipIfUnknownFilter: try YAMLValue.optionalBool(item, "skip-if-unknown-filter") ?? false,
            capture: try YAMLValue.optionalBool(item, "capture") ?? false,
            captureDuration: try YAMLValue.optionalInt(item, "capture_duration") ?? 0,
            origin: origin, index: rules.count, lastChange: origin)
        if let index = ruleIndex[name] {
            record(.rule, name, .redefine(previous: rules[index].origin.file), origin)
            rule.index = index
            rules[index] = rule
        } else {
            record(.rule, name, .define, origin)
            ruleIndex[name] = rules.count
            rules.append(rule)
        }
    }

    /// `startswith  oneof` and `startswith oneof` are the same comparison.
    private func normalizedComparison(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    private func reportAppendWarnings(name: String, origin: ItemOrigin, result: inout LoadResult) {
        for exception in appendWarnings {
            result.warnings.append(message(.appendNoValues, "Overriding/appending exception with no values",
                                           itemType: "exception", itemName: exception, origin: origin))
        }
        appendWarnings = []
    }

    private func applyOverrides(_ override: [String: String], item: Node, exceptions: [ExceptionInfo], to index: Int) throws(ItemProblem) {
        for (key, operation) in override {
            let append = operation == "append"
            switch key {
            case "condition":
                let value = try YAMLValue.requiredString(item, key)
                rules[index].condition = append ? rules[index].condition + " " + value : value
            case "output":
                let value = trimmed(try YAMLValue.requiredString(item, key))
                rules[index].output = append ? rules[index].output + " " + value : value
            case "desc":
                let value = try YAMLValue.requiredString(item, key)
                rules[index].description = append ? rules[index].description + " " + value : value
            case "tags":
                let value = try YAMLValue.stringSequence(item, key, required: true) ?? []
                rules[index].tags = append ? rules[index].tags + value.filter { !rules[index].tags.contains($0) } : value
            case "exceptions":
                if append { try appendExceptions(exceptions, to: index) } else { rules[index].exceptions = exceptions }
            case "priority":
                let text = try YAMLValue.requiredString(item, key)
                guard let priority = Priority(parsing: text) else { throw ItemProblem(code: .validate, message: "Invalid priority") }
                rules[index].priority = priority
            case "enabled": rules[index].enabled = try YAMLValue.optionalBool(item, key) ?? true
            case "warn_evttypes": rules[index].warnEventTypes = try YAMLValue.optionalBool(item, key) ?? true
            case "skip-if-unknown-filter": rules[index].skipIfUnknownFilter = try YAMLValue.optionalBool(item, key) ?? false
            case "capture": rules[index].capture = try YAMLValue.optionalBool(item, key) ?? false
            case "capture_duration": rules[index].captureDuration = try YAMLValue.optionalInt(item, key) ?? 0
            default: break
            }
        }
    }

    private func appendExceptions(_ exceptions: [ExceptionInfo], to index: Int) throws(ItemProblem) {
        for exception in exceptions {
            if let existing = rules[index].exceptions.firstIndex(where: { $0.name == exception.name }) {
                if exception.values.isEmpty { appendWarnings.append(exception.name) }
                if exception.fields != nil || exception.comps != nil {
                    throw ItemProblem(code: .validate, message: "Can not append exception fields/comps to existing exception, only values")
                }
                rules[index].exceptions[existing].values += exception.values
            } else {
                guard exception.fields != nil else {
                    throw ItemProblem(code: .validate, message: "Rule exception item must have fields property with a list of fields")
                }
                rules[index].exceptions.append(exception)
            }
        }
    }

    private func readExceptions(_ item: Node, origin: ItemOrigin, result: inout LoadResult, ruleName: String,
                                appending: Bool) throws(ItemProblem) -> [ExceptionInfo] {
        guard let node = YAMLValue.mappingValue(item, "exceptions") else { return [] }
        guard case .sequence(let entries) = node else { throw ItemProblem(code: .yamlValidate, message: "Value is not a sequence") }
        var exceptions: [ExceptionInfo] = []
        var names: Set<String> = []
        for entry in entries {
            let entryOrigin = self.origin(of: entry, fallback: origin)
            let name = try YAMLValue.requiredString(entry, "name")
            if !names.insert(name).inserted {
                result.warnings.append(message(.exceptionNameNotUnique, "Multiple definitions of exception '\(name)' in the same rule",
                                               itemType: "exception", itemName: name, origin: entryOrigin))
            }
            var fields: ExceptionInfo.Fields?
            let exceptionLocation = [location(itemType: "exception", itemName: name, origin: entryOrigin)]
            if !appending, YAMLValue.mappingValue(entry, "fields") == nil {
                throw ItemProblem(code: .yamlValidate, message: "Item has no mapping for key 'fields'", extra: exceptionLocation)
            }
            if let fieldsNode = YAMLValue.mappingValue(entry, "fields") {
                switch fieldsNode {
                case .scalar(let scalar): fields = .single(scalar.string)
                case .sequence:
                    fields = .multiple(try YAMLValue.stringSequence(entry, "fields", required: true) ?? [])
                default: throw ItemProblem(code: .yamlValidate, message: "Value is not a scalar value")
                }
            }
            var comps: ExceptionInfo.Comparisons?
            if let compsNode = YAMLValue.mappingValue(entry, "comps") {
                switch compsNode {
                case .scalar(let scalar): comps = .single(normalizedComparison(scalar.string))
                case .sequence: comps = .multiple((try YAMLValue.stringSequence(entry, "comps", required: true) ?? []).map(normalizedComparison))
                default: throw ItemProblem(code: .yamlValidate, message: "Value is not a scalar value")
                }
            }
            var values: [[ExceptionInfo.Value]] = []
            if let valuesNode = YAMLValue.mappingValue(entry, "values"), !YAMLValue.isNull(valuesNode) {
                guard case .sequence(let rows) = valuesNode else { throw ItemProblem(code: .yamlValidate, message: "Value is not a sequence") }
                for row in rows {
                    switch row {
                    case .scalar(let scalar): values.append([.scalar(scalar.string)])
                    case .sequence(let cells):
                        var parsed: [ExceptionInfo.Value] = []
                        for cell in cells {
                            switch cell {
                            case .scalar(let scalar): parsed.append(.scalar(scalar.string))
                            case .sequence(let inner):
                                var texts: [String] = []
                                for value in inner {
                                    guard case .scalar(let scalar) = value else {
                                        throw ItemProblem(code: .yamlValidate, message: "Expected values array to contain a list of strings")
                                    }
                                    texts.append(scalar.string)
                                }
                                parsed.append(.list(texts))
                            default:
                                throw ItemProblem(code: .yamlValidate, message: "Expected values array to contain a list of strings")
                            }
                        }
                        values.append(parsed)
                    default:
                        throw ItemProblem(code: .yamlValidate, message: "Expected values array to contain a list of strings")
                    }
                }
            }
            exceptions.append(ExceptionInfo(name: name, fields: fields, comps: comps, values: values, origin: entryOrigin))
        }
        return exceptions
    }

    // MARK: Diagnostics helpers

    func origin(of node: Node?, fallback: ItemOrigin) -> ItemOrigin {
        guard let mark = node?.mark else { return fallback }
        return ItemOrigin(file: fallback.file, line: mark.line, column: mark.column, offset: 0)
    }

    func location(itemType: String, itemName: String, origin: ItemOrigin) -> LoadLocation {
        LoadLocation(itemType: itemType, itemName: itemName, positionName: origin.file, line: origin.line, column: origin.column, offset: origin.offset)
    }

    func message(_ code: LoadCode, _ text: String, itemType: String, itemName: String, origin: ItemOrigin,
                 extra: [LoadLocation] = []) -> LoadMessage {
        LoadMessage(code: code, message: text, locations: [location(itemType: itemType, itemName: itemName, origin: origin)] + extra,
                    snippet: snippet(origin))
    }

    private func fileMessage(_ code: LoadCode, _ text: String, name: String, line: Int, column: Int, offset: Int) -> LoadMessage {
        let origin = ItemOrigin(file: name, line: line, column: column, offset: offset)
        return LoadMessage(code: code, message: text,
                           locations: [location(itemType: "rules content", itemName: "", origin: origin)], snippet: snippet(origin))
    }

    /// The source line of an origin with a caret under its column (at most 160 characters of the line).
    func snippet(_ origin: ItemOrigin) -> String {
        guard let lines = sources[origin.file], origin.line >= 1, origin.line <= lines.count else { return "" }
        let line = String(lines[origin.line - 1].prefix(160))
        return line + "\n" + String(repeating: " ", count: max(0, min(origin.column - 1, 160))) + "^"
    }

    private func describeYAMLError(_ error: Error) -> (String, Int, Int) {
        if let yaml = error as? YamlError {
            switch yaml {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                let prefix = context.map { "\($0.text) " } ?? ""
                return (prefix + problem, mark.line, mark.column)
            case .duplicatedKeysInMapping(let duplicates, let context):
                return ("duplicated key(s) in mapping: \(duplicates.joined(separator: ", "))", context.mark.line, context.mark.column)
            case .reader(let problem, let offset, _, _):
                return (problem + (offset.map { " at byte offset \($0)" } ?? ""), 1, 1)
            default:
                return ("\(yaml)", 1, 1)
            }
        }
        return ("\(error)", 1, 1)
    }

    private func trimmed(_ text: String) -> String {
        var slice = Substring(text)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }

    private func isIdentifier(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, ConditionLexer.isLetter(first) else { return false }
        return bytes.allSatisfy(ConditionLexer.isIdentifierBody)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `major.minor.patch` version.
public struct SemanticVersion: Sendable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(major: Int, minor: Int, patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let major = Int(parts[0]), let minor = Int(parts[1]),
              let patch = Int(parts[2].prefix { $0.isNumber }), !parts[2].isEmpty, parts[2].first?.isNumber == true else { return nil }
        self.init(major: major, minor: minor, patch: patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }
}
