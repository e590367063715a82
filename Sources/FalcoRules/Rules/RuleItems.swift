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
