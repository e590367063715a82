import TraceModel

/// How many rules may fire on one event: Falco's `rule_matching` setting.
public enum RuleMatching: String, Sendable {
    /// Stop at the first matching rule in load order (Falco's default).
    case first
    /// Every matching rule raises an alert.
    case all
}

/// The rule engine: compiled rules indexed by event type, evaluated in load order.
public final class RuleEngine {
    public private(set) var rules: [CompiledRule]
    public var minimumPriority: Priority { didSet { invalidate() } }
    public var matching: RuleMatching
    public var hostname: String
    /// Buckets of rule indices per event-type code, built on first use.
    private var buckets: [[Int]?] = []
    public private(set) var eventsProcessed: UInt64 = 0

    public init(rules: [CompiledRule], minimumPriority: Priority = .debug, matching: RuleMatching = .first, hostname: String = "tracelab") {
        self.rules = rules
        self.minimumPriority = minimumPriority
        self.matching = matching
        self.hostname = hostname
    }

    /// Builds an engine from the rules a loader compiled.
    public convenience init(loader: RulesLoader, minimumPriority: Priority = .debug, matching: RuleMatching = .first) {
        self.init(rules: loader.compiledRules, minimumPriority: minimumPriority, matching: matching)
    }

    private func invalidate() { buckets = [] }

    /// Enables or disables rules whose name matches a glob (Falco's `rules[].enable.rule` / `-D`).
    public func setEnabled(_ enabled: Bool, ruleNamePattern pattern: String) {
        for index in rules.indices where Glob.matches(pattern: pattern, rules[index].name) { rules[index].enabled = enabled }
        invalidate()
    }

    /// Enables or disables rules that carry a tag (`-t`, `-T`, `rules[].enable.tag`).
    public func setEnabled(_ enabled: Bool, tag: String) {
        for index in rules.indices where rules[index].tags.contains(tag) { rules[index].enabled = enabled }
        invalidate()
    }

    /// The rules that can match an event type, in load order (enabled and at or above the minimum priority).
    public func candidates(forTypeCode code: Int) -> [Int] {
        if code < buckets.count, let bucket = buckets[code] { return bucket }
        if code >= buckets.count { buckets += Array(repeating: nil, count: code - buckets.count + 1) }
        let name = EventTypes.name(of: code)
        let bucket = rules.indices.filter { index in
            let rule = rules[index]
            return rule.enabled && rule.priority <= minimumPriority && rule.eventTypes.contains(name)
        }
        buckets[code] = bucket
        return bucket
    }

    /// Evaluates an event and returns the alerts it raises.
    public func process(_ event: Event) -> [Alert] {
        eventsProcessed += 1
        var alerts: [Alert] = []
        for index in candidates(forTypeCode: event.typeCode) where rules[index].predicate(event) {
            alerts.append(makeAlert(rules[index], event))
            if matching == .first { break }
        }
        return alerts
    }

    /// Evaluates an event and returns the indices of matching rules only (no alert rendering).
    @inline(__always)
    public func matches(_ event: Event) -> Int {
        var count = 0
        for index in candidates(forTypeCode: event.typeCode) where rules[index].predicate(event) {
            count += 1
            if matching == .first { break }
        }
        return count
    }

    private func makeAlert(_ rule: CompiledRule, _ event: Event) -> Alert {
        Alert(rule: rule.name, priority: rule.priority, source: rule.source, tags: rule.tags.sorted(),
              time: event.timestamp, hostname: event.hostname ?? hostname, message: rule.output.render(event),
              outputFields: rule.output.fields(event), eventNumber: event.number)
    }
}
