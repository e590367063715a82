import TraceModel

/// Where an item came from, for diagnostics.
struct ItemOrigin: Sendable {
    var file: String
    var line: Int
    var column: Int
    var offset: Int
}

/// A list as collected (before list-in-list expansion).
struct ListInfo {
    var name: String
    var items: [String]
    var origin: ItemOrigin
    var index: Int
    var used = false
}

/// A macro as collected.
struct MacroInfo {
    var name: String
    var condition: String
    var origin: ItemOrigin
    /// Where the condition text starts in the file.
    var conditionOrigin: ItemOrigin
    var index: Int
    var used = false
    /// The item that last defined, appended to or replaced the condition (another file's, after an override).
    var lastChange: ItemOrigin
}

/// One exception of a rule.
struct ExceptionInfo {
    enum Fields { case single(String), multiple([String]) }
    enum Comparisons { case single(String), multiple([String]) }
    enum Value { case scalar(String), list([String]) }

    var name: String
    var fields: Fields?
    var comps: Comparisons?
    /// For a single field: a list of scalar values; for several fields: rows of values.
    var values: [[Value]]
    var origin: ItemOrigin
}

/// A rule as collected, with every key Falco reads.
struct RuleInfo {
    var name: String
    var condition: String
    var conditionOrigin: ItemOrigin
    /// The condition as last written in a rules file (Falco's `describe_rule` info.condition).
    var rawCondition: String
    var output: String
    var outputOrigin: ItemOrigin
    var description: String
    var priority: Priority
    var source: String
    var enabled: Bool
    var tags: [String]
    var exceptions: [ExceptionInfo]
    var warnEventTypes: Bool
    var skipIfUnknownFilter: Bool
    var capture: Bool
    var captureDuration: Int
    var origin: ItemOrigin
    var index: Int
    /// The item that last changed the rule (an append or override in a later file), or its definition.
    var lastChange: ItemOrigin
}

/// Keys each item kind may have (Falco 0.44's schema); others raise LOAD_UNKNOWN_KEY.
enum AllowedKeys {
    static let list: Set<String> = ["list", "items", "append", "override"]
    static let macro: Set<String> = ["macro", "condition", "append", "override"]
    static let rule: Set<String> = ["rule", "condition", "output", "desc", "priority", "source", "enabled", "capture",
                                    "capture_duration", "warn_evttypes", "skip-if-unknown-filter", "tags", "exceptions",
                                    "override", "append"]
    static let ruleAppendable: Set<String> = ["condition", "output", "desc", "tags", "exceptions"]
    static let ruleReplaceable: Set<String> = ["condition", "output", "desc", "priority", "capture", "capture_duration",
                                               "tags", "exceptions", "enabled", "warn_evttypes", "skip-if-unknown-filter"]
}

/// What one list, macro or rule item did to the rule set, in load order (`RulesLoader.itemLog`): the
/// grader reads it to tell a student which of Falco's default items their files replace or extend.
public struct ItemChange: Sendable, Equatable {
    public enum Kind: String, Sendable { case list, macro, rule }

    /// What the item did to its name.
    public enum Action: Sendable, Equatable {
        /// A new name.
        case define
        /// The name existed (defined in `previous`, a file name): the new definition replaces it whole.
        case redefine(previous: String)
        /// `append: true` or `override: {items|condition: append}`: added to the existing one.
        case append
        /// `override: {items|condition: replace}` on a list or macro.
        case replace
        /// A rule's `override:` keys (`condition: append`, `enabled: replace`...) or a bare `enabled:`.
        case override([String])
    }

    public var kind: Kind
    public var name: String
    public var action: Action
    public var location: SourceLocation
}

extension RulesLoader {
    func record(_ kind: ItemChange.Kind, _ name: String, _ action: ItemChange.Action, _ origin: ItemOrigin) {
        itemLog.append(ItemChange(kind: kind, name: name, action: action, location: SourceLocation(file: origin.file, line: origin.line, column: origin.column)))
    }

    /// The macros and lists a rule's condition reaches (through macros and lists of lists), by name.
    /// Names are matched as Falco substitutes lists: words delimited by blanks, `(`, `)`, `,` and `=`.
    public func dependencies(ofRule name: String) -> (macros: Set<String>, lists: Set<String>) {
        guard let index = ruleIndex[name] else { return ([], []) }
        var macrosSeen: Set<String> = [], listsSeen: Set<String> = []
        var pending = [rules[index].condition]
        while let text = pending.popLast() {
            for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "(" || $0 == ")" || $0 == "," || $0 == "=" }) {
                let word = String(word)
                if let list = listIndex[word], listsSeen.insert(word).inserted {
                    pending.append(lists[list].items.joined(separator: " "))
                } else if let macro = macroIndex[word], macrosSeen.insert(word).inserted {
                    pending.append(macros[macro].condition)
                }
            }
        }
        return (macrosSeen, listsSeen)
    }
}
