import TraceModel

/// How many rules may fire on one event: Falco's `rule_matching` setting.
public enum RuleMatching: String, Sendable, CaseIterable {
    /// Stop at the first matching rule in load order (Falco's default).
    case first
    /// Every matching rule raises an alert.
    case all
}

/// The Falco release whose output rules apply where releases differ.
public enum FalcoRelease: String, Sendable, CaseIterable {
    /// Falco 0.40 (the lab's): `%container.info` in an output stands for `container_id=%container.id
    /// container_name=%container.name`, and `-pc`/`-pk` append container (and Kubernetes) fields, in place of
    /// `%container.info` where an output has it (its rule_loader_compiler.cpp and init_falco_engine.cpp).
    case falco040 = "0.40"
    /// Falco 0.41 and later (the container plugin): `%container.info` is replaced by nothing, `-pc`/`-pk` do nothing.
    case latest
}

/// The rule engine: compiled rules indexed by event type, evaluated in load order. An event meets only
/// the rules whose event-type set contains its type.
public final class RuleEngine {
    public private(set) var rules: [CompiledRule]
    public var minimumPriority: Priority { didSet { invalidate() } }
    public var matching: RuleMatching
    public var hostname: String
    /// Rules per event-type code, built on first use of each code.
    private var buckets: [Bucket?] = []

    /// The rules one event type can meet, in load order: their predicates, and their indices in `rules`.
    final class Bucket {
        let predicates: [EventPredicate]
        let indices: [Int]
        init(predicates: [EventPredicate], indices: [Int]) {
            self.predicates = predicates
            self.indices = indices
        }
    }

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

    /// Appends ` format` to the output of every rule that `rule` (a name), `source` and `tags` (all of them) select,
    /// as Falco's `append_output[].extra_output` and deprecated `-p FORMAT` do; nil selects every rule. The formats are
    /// compiled against the field catalog; an unknown field is an error.
    public func appendOutput(_ format: String, rule: String? = nil, source: String? = nil, tags: [String] = [],
                             replacingContainerInfo: Bool = false) throws(ConditionCompileError) {
        for index in selected(rule: rule, source: source, tags: tags) {
            let current = rules[index].outputText
            // Falco 0.40's -pc/-pk put their fields where the output names %container.info, else at the end.
            let text = replacingContainerInfo && current.contains(Self.containerInfo)
                ? current.replacingOccurrences(of: Self.containerInfo, with: format) : current + " " + format
            try setOutput(text, of: index)
        }
    }

    /// `%container.info`, which Falco 0.40 expanded in outputs and current Falco replaces by nothing.
    static let containerInfo = "%container.info"

    /// An output as Falco 0.40 compiled it: `%container.info` stands for `container_id=%container.id
    /// container_name=%container.name`; nil when the output does not name it.
    public static func falco040Output(_ text: String) -> String? {
        guard text.contains(containerInfo) else { return nil }
        return text.replacingOccurrences(of: containerInfo, with: "container_id=%container.id container_name=%container.name")
    }

    /// Expands `%container.info` in every rule's output as Falco 0.40 did, after any appended outputs.
    public func expandContainerInfo() throws(ConditionCompileError) {
        for index in rules.indices {
            if let expanded = Self.falco040Output(rules[index].outputText) { try setOutput(expanded, of: index) }
        }
    }

    private func setOutput(_ text: String, of index: Int) throws(ConditionCompileError) {
        rules[index].output = try OutputFormat(text)
        rules[index].outputText = text
    }

    /// Adds a key to the JSON `output_fields` of the rules selected as for `appendOutput`, as Falco's
    /// `append_output[].extra_fields` does: `raw`, the typed value of the field the key names; otherwise `format`
    /// rendered to a string.
    public func addExtraField(key: String, format: String, raw: Bool, rule: String? = nil, source: String? = nil, tags: [String] = []) throws(ConditionCompileError) {
        let compiled = try OutputFormat(raw ? "%" + key : format)
        for index in selected(rule: rule, source: source, tags: tags) {
            rules[index].extraFields.removeAll { $0.key == key }
            rules[index].extraFields.append(ExtraField(key: key, format: compiled, raw: raw))
        }
    }

    /// The rules a name (exact), a source and tags (all of them) select; nil and empty select every rule.
    private func selected(rule: String?, source: String?, tags: [String]) -> [Int] {
        rules.indices.filter { index in
            (rule.map { rules[index].name == $0 } ?? true) && (source.map { rules[index].source == $0 } ?? true)
                && tags.allSatisfy(rules[index].tags.contains)
        }
    }

    /// Enables or disables rules that carry a tag (`-t`, `-T`, `rules[].enable.tag`).
    public func setEnabled(_ enabled: Bool, tag: String) {
        for index in rules.indices where rules[index].tags.contains(tag) { rules[index].enabled = enabled }
        invalidate()
    }

    /// True when some enabled rule at or above the minimum priority can match events of this type (readers
    /// may skip building the others).
    public func handles(eventType name: String) -> Bool { !bucket(EventTypes.code(of: name)).indices.isEmpty }

    /// The rules that can match an event type: enabled, at or above the minimum priority, in load order.
    public func candidates(forTypeCode code: Int) -> [CompiledRule] { bucket(code).indices.map { rules[$0] } }

    @inline(__always)
    private func bucket(_ code: Int) -> Bucket {
        if code < buckets.count, let bucket = buckets[code] { return bucket }
        return makeBucket(code)
    }

    private func makeBucket(_ code: Int) -> Bucket {
        if code >= buckets.count { buckets += Array(repeating: nil, count: code - buckets.count + 1) }
        let name = EventTypes.name(of: code)
        let indices = rules.indices.filter { rules[$0].enabled && rules[$0].priority <= minimumPriority && rules[$0].eventTypes.contains(name) }
        let bucket = Bucket(predicates: indices.map { rules[$0].predicate }, indices: indices)
        buckets[code] = bucket
        return bucket
    }

    /// Evaluates an event and returns the alerts it raises.
    public func process(_ event: Event) -> [Alert] {
        let candidates = bucket(event.typeCode)
        var alerts: [Alert] = []
        candidates.predicates.withUnsafeBufferPointer { predicates in
            for position in 0..<predicates.count where predicates[position](event) {
                alerts.append(makeAlert(rules[candidates.indices[position]], event))
                if matching == .first { break }
            }
        }
        return alerts
    }

    private func makeAlert(_ rule: CompiledRule, _ event: Event) -> Alert {
        var fields = rule.output.fields(event)
        for extra in rule.extraFields {
            fields.removeAll { $0.key == extra.key }
            fields.append((extra.key, extra.raw ? extra.format.fields(event).first?.value ?? .null : .string(extra.format.render(event))))
        }
        return Alert(rule: rule.name, priority: rule.priority, source: rule.source, tags: rule.tags.sorted(),
                     time: event.timestamp, hostname: event.hostname ?? hostname, message: rule.output.render(event),
                     outputFields: fields, eventNumber: event.number)
    }
}
