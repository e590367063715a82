import TraceModel
import Yams

/// The parts of Falco's configuration (`falco.yaml`, or the `falco:` section of the Helm chart's
/// `values.yaml`) that decide which rules load, which alerts are emitted and how they look.
/// Values and errors follow Falco's `configuration.cpp`; `-o key=value` overrides apply on top.
public struct FalcoConfig: Sendable, Equatable {
    public var rulesFiles: [String] = []
    /// Set when the file used the pre-0.38 singular key `rules_file`.
    public var usedDeprecatedRulesFile = false
    public var priority: Priority = .debug
    public var ruleMatching: RuleMatching = .first
    public var jsonOutput = false
    public var jsonIncludeOutput = true
    public var jsonIncludeTags = true
    public var jsonIncludeMessage = false
    public var jsonIncludeOutputFields = true
    public var timeFormatISO8601 = false
    /// `rules[]` selections, applied in order after loading.
    public var ruleSelections: [RuleSelection] = []
    public var syscallEventDrops = SyscallEventDrops()
    /// `append_output` entries with an `extra_output` (and Falco's deprecated `-p FORMAT`), in order.
    public var appendOutput: [AppendOutput] = []
    /// The Falco whose output rules apply (`%container.info`, `-pc`/`-pk`); not a falco.yaml key.
    public var release: FalcoRelease = .latest

    /// Text appended to the outputs of the rules an `append_output` entry's `match` selects (every rule without one).
    public struct AppendOutput: Sendable, Equatable {
        public var rule: String?
        public var source: String?
        public var tags: [String] = []
        /// Appended to the message ("" for none).
        public var extraOutput: String
        /// Keys added to JSON `output_fields`: a field by name (`raw`), or a key with a format.
        public var extraFields: [ExtraField] = []
        /// Where the entry is, for errors.
        public var location: SourceLocation?
        /// Falco 0.40's -pc/-pk: the text goes where an output names `%container.info`, appended elsewhere.
        public var replacesContainerInfo = false

        public struct ExtraField: Sendable, Equatable {
            public var key: String
            public var format: String
            public var raw: Bool
        }

        public init(rule: String? = nil, source: String? = nil, tags: [String] = [], extraOutput: String, extraFields: [ExtraField] = [],
                    location: SourceLocation? = nil, replacesContainerInfo: Bool = false) {
            self.replacesContainerInfo = replacesContainerInfo
            self.rule = rule
            self.source = source
            self.tags = tags
            self.extraOutput = extraOutput
            self.extraFields = extraFields
            self.location = location
        }
    }

    public init() {}

    /// One `rules[]` entry: enable or disable rules by name glob or tag.
    public struct RuleSelection: Sendable, Equatable {
        public var enable: Bool
        public var rule: String?
        public var tag: String?

        public init(enable: Bool, rule: String? = nil, tag: String? = nil) {
            self.enable = enable
            self.rule = rule
            self.tag = tag
        }
    }

    /// `syscall_event_drops`: what Falco does when the kernel drops events.
    public struct SyscallEventDrops: Sendable, Equatable {
        /// The list Falco reads (`actions`); `ignore` when empty.
        public var actions: [String] = ["ignore"]
        public var threshold = 0.1
        public var rate = 0.03333
        public var maxBurst = 1
        public var simulateDrops = false
        /// Set when the file used the singular `action` key, which Falco does not read.
        public var singularActionKeyIgnored: String?
    }

    /// A configuration error with the file position and Falco's message.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var location: SourceLocation?
        public var description: String { location.map { "\($0): \(message)" } ?? message }
    }

    /// Reads a falco.yaml, or a Helm values.yaml (its `falco:` section).
    public static func load(path: String) throws(Failure) -> FalcoConfig {
        guard let bytes = FileBytes.read(path) else {
            throw Failure(message: "cannot read configuration file", location: SourceLocation(file: path, line: 0, column: 0))
        }
        return try parse(bytes, name: path)
    }

    public static func parse(_ original: [UInt8], name: String) throws(Failure) -> FalcoConfig {
        // Falco's yaml-cpp and Helm's go-yaml read UTF-16 with a byte order mark too.
        let bytes = TextEncoding.utf8(original)
        if let offset = YAMLGuard.firstInvalidUTF8(bytes) {
            let (line, column) = YAMLGuard.lineAndColumn(bytes, offset: offset)
            throw Failure(message: "invalid UTF-8 at byte offset \(offset)", location: SourceLocation(file: name, line: line, column: column, offset: offset))
        }
        if let problem = YAMLGuard.check(bytes) {
            let (line, column) = YAMLGuard.lineAndColumn(bytes, offset: problem.offset)
            throw Failure(message: problem.message, location: SourceLocation(file: name, line: line, column: column, offset: problem.offset))
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw Failure(message: "not valid YAML: \(error)", location: SourceLocation(file: name, line: 1, column: 1))
        }
        var config = FalcoConfig()
        guard let root else { return config }
        guard case .mapping = root else {
            throw Failure(message: "configuration must be a YAML mapping", location: location(root, name))
        }
        // A Helm values.yaml keeps Falco's settings under `falco:`.
        let settings = YAMLValue.mappingValue(root, "falco").flatMap { node -> Node? in
            if case .mapping = node { return node }
            return nil
        } ?? root
        try config.apply(settings, name: name)
        return config
    }

    private static func location(_ node: Node?, _ name: String) -> SourceLocation {
        SourceLocation(file: name, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1)
    }

    private mutating func apply(_ settings: Node, name: String) throws(Failure) {
        func scalar(_ path: String...) -> (String, Node)? {
            var node: Node? = settings
            for key in path { node = node.flatMap { YAMLValue.mappingValue($0, key) } }
            guard let node, case .scalar(let value) = node else { return nil }
            return (value.string, node)
        }
        func list(_ key: String) throws(Failure) -> [String]? {
            guard let node = YAMLValue.mappingValue(settings, key) else { return nil }
            if case .scalar(let value) = node { return YAMLValue.isNull(node) ? [] : [value.string] }
            guard case .sequence(let items) = node else { throw Failure(message: "'\(key)' must be a list", location: FalcoConfig.location(node, name)) }
            var values: [String] = []
            for item in items {
                guard case .scalar(let value) = item else { throw Failure(message: "'\(key)' must be a list of strings", location: FalcoConfig.location(item, name)) }
                values.append(value.string)
            }
            return values
        }
        let plural = try list("rules_files")
        let singular = try list("rules_file")
        if plural != nil && singular != nil {
            throw Failure(message: "both 'rules_files' and 'rules_file' keys set", location: FalcoConfig.location(settings, name))
        }
        if let files = plural ?? singular { rulesFiles = files }
        usedDeprecatedRulesFile = singular != nil
        for (key, value, node) in [("priority", scalar("priority")), ("rule_matching", scalar("rule_matching")),
                                   ("json_output", scalar("json_output")), ("json_include_output_property", scalar("json_include_output_property")),
                                   ("json_include_tags_property", scalar("json_include_tags_property")),
                                   ("json_include_message_property", scalar("json_include_message_property")),
                                   ("json_include_output_fields_property", scalar("json_include_output_fields_property")),
                                   ("time_format_iso_8601", scalar("time_format_iso_8601"))].compactMap({ entry in entry.1.map { (entry.0, $0.0, $0.1) } }) {
            do {
                try set(key, value)
            } catch {
                throw Failure(message: error.message, location: FalcoConfig.location(node, name))
            }
        }
        if let drops = YAMLValue.mappingValue(settings, "syscall_event_drops") {
            if let actions = YAMLValue.mappingValue(drops, "actions") {
                var values: [String] = []
                switch actions {
                case .sequence(let items): values = items.compactMap(\.string)
                case .scalar(let value): values = [value.string]
                default: break
                }
                do { try set("syscall_event_drops.actions", values.joined(separator: ",")) } catch {
                    throw Failure(message: error.message, location: FalcoConfig.location(actions, name))
                }
            }
            if let action = YAMLValue.mappingValue(drops, "action")?.string {
                syscallEventDrops.singularActionKeyIgnored = action
            }
            for key in ["threshold", "rate", "max_burst", "simulate_drops"] {
                guard let node = YAMLValue.mappingValue(drops, key), let value = node.string else { continue }
                do { try set("syscall_event_drops." + key, value) } catch {
                    throw Failure(message: error.message, location: FalcoConfig.location(node, name))
                }
            }
        }
        if let entries = YAMLValue.mappingValue(settings, "append_output") {
            guard case .sequence(let items) = entries else {
                throw Failure(message: "'append_output' must be a list of entries (match, extra_output, extra_fields)", location: FalcoConfig.location(entries, name))
            }
            for item in items {
                guard case .mapping = item else { throw Failure(message: "an append_output entry is a mapping", location: FalcoConfig.location(item, name)) }
                let extra = YAMLValue.mappingValue(item, "extra_output")?.string ?? ""
                var fields: [AppendOutput.ExtraField] = []
                if let list = YAMLValue.mappingValue(item, "extra_fields") {
                    guard case .sequence(let definitions) = list else {
                        throw Failure(message: "'extra_fields' must be a list of field names or {key: format} entries", location: FalcoConfig.location(list, name))
                    }
                    for definition in definitions {
                        let field: AppendOutput.ExtraField
                        switch definition {
                        case .scalar(let value): field = AppendOutput.ExtraField(key: value.string, format: "%" + value.string, raw: true)
                        case .mapping(let pairs) where pairs.count == 1:
                            guard let key = pairs.first?.key.string, let format = pairs.first?.value.string else { fallthrough }
                            field = AppendOutput.ExtraField(key: key, format: format, raw: false)
                        default:
                            throw Failure(message: "an extra_fields entry is a field name or one {key: format}", location: FalcoConfig.location(definition, name))
                        }
                        // As Falco: a key defined twice in one entry is an error.
                        guard !fields.contains(where: { $0.key == field.key }) else {
                            throw Failure(message: "extra_fields defines '\(field.key)' twice", location: FalcoConfig.location(definition, name))
                        }
                        fields.append(field)
                    }
                }
                guard !extra.isEmpty || !fields.isEmpty else { continue }
                let match = YAMLValue.mappingValue(item, "match")
                var tags: [String] = []
                switch match.flatMap({ YAMLValue.mappingValue($0, "tags") }) {
                case .sequence(let values)?: tags = values.compactMap(\.string)
                case .scalar(let value)?: tags = [value.string]
                default: break
                }
                appendOutput.append(AppendOutput(rule: match.flatMap { YAMLValue.mappingValue($0, "rule")?.string },
                                                 source: match.flatMap { YAMLValue.mappingValue($0, "source")?.string },
                                                 tags: tags, extraOutput: extra, extraFields: fields, location: FalcoConfig.location(item, name)))
            }
        }
        if let selections = YAMLValue.mappingValue(settings, "rules") {
            guard case .sequence(let entries) = selections else {
                throw Failure(message: "'rules' must be a list of enable/disable entries", location: FalcoConfig.location(selections, name))
            }
            for entry in entries {
                for action in ["enable", "disable"] {
                    guard let target = YAMLValue.mappingValue(entry, action) else { continue }
                    ruleSelections.append(RuleSelection(enable: action == "enable", rule: YAMLValue.mappingValue(target, "rule")?.string,
                                                        tag: YAMLValue.mappingValue(target, "tag")?.string))
                }
            }
        }
    }

    /// A setting error: Falco's message for the key.
    public struct SettingError: Error, Sendable { public var message: String }

    /// Applies one `key=value` (Falco's `-o`), with Falco's validation messages.
    public mutating func set(_ key: String, _ value: String) throws(SettingError) {
        func bool() throws(SettingError) -> Bool {
            switch value.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: throw SettingError(message: "'\(key)' must be true or false, not '\(value)'")
            }
        }
        func double() throws(SettingError) -> Double {
            guard let number = Double(value) else { throw SettingError(message: "'\(key)' must be a number, not '\(value)'") }
            return number
        }
        switch key {
        case "priority":
            guard let parsed = Priority(parsing: value) else {
                throw SettingError(message: "Unknown priority \"\(value)\"--must be one of emergency, alert, critical, error, warning, notice, informational, debug")
            }
            priority = parsed
        case "rule_matching":
            guard let parsed = RuleMatching(rawValue: value) else {
                throw SettingError(message: "Unknown rule matching strategy \"\(value)\"--must be one of first, all")
            }
            ruleMatching = parsed
        case "json_output": jsonOutput = try bool()
        case "json_include_output_property": jsonIncludeOutput = try bool()
        case "json_include_tags_property": jsonIncludeTags = try bool()
        case "json_include_message_property": jsonIncludeMessage = try bool()
        case "json_include_output_fields_property": jsonIncludeOutputFields = try bool()
        case "time_format_iso_8601": timeFormatISO8601 = try bool()
        case "rules_files", "rules_file": rulesFiles = value.split(separator: ",").map(String.init)
        case "rules[].enable.rule": ruleSelections.append(RuleSelection(enable: true, rule: value))
        case "rules[].disable.rule": ruleSelections.append(RuleSelection(enable: false, rule: value))
        case "rules[].enable.tag": ruleSelections.append(RuleSelection(enable: true, tag: value))
        case "rules[].disable.tag": ruleSelections.append(RuleSelection(enable: false, tag: value))
        case "syscall_event_drops.actions":
            let actions = value.split(separator: ",").map { String($0).trimmingBlanks }.filter { !$0.isEmpty }
            for action in actions where !["ignore", "log", "alert", "exit"].contains(action) {
                throw SettingError(message: "available actions for syscall event drops are \"ignore\", \"log\", \"alert\", and \"exit\"")
            }
            if actions.contains("ignore"), let other = actions.first(where: { $0 == "log" || $0 == "alert" }) {
                throw SettingError(message: "syscall event drop action \"\(other)\" does not make sense with the \"ignore\" action")
            }
            syscallEventDrops.actions = actions.isEmpty ? ["ignore"] : actions
        case "syscall_event_drops.threshold":
            let threshold = try double()
            guard (0...1).contains(threshold) else { throw SettingError(message: "syscall event drops threshold must be a double in the range [0, 1]") }
            syscallEventDrops.threshold = threshold
        case "syscall_event_drops.rate": syscallEventDrops.rate = try double()
        case "syscall_event_drops.max_burst":
            guard let burst = Int(value) else { throw SettingError(message: "'\(key)' must be an integer, not '\(value)'") }
            syscallEventDrops.maxBurst = burst
        case "syscall_event_drops.simulate_drops": syscallEventDrops.simulateDrops = try bool()
        default:
            throw SettingError(message: "unsupported configuration key '\(key)' (TraceLab reads the keys that select and format alerts)")
        }
    }

    /// Applies the rule selections, appended outputs and alert settings to an engine. An appended output naming a
    /// field the catalog lacks is an error at its entry, as Falco refuses to load it.
    public func configure(_ engine: RuleEngine) throws(Failure) {
        engine.minimumPriority = priority
        engine.matching = ruleMatching
        for selection in ruleSelections {
            if let rule = selection.rule { engine.setEnabled(selection.enable, ruleNamePattern: rule) }
            if let tag = selection.tag { engine.setEnabled(selection.enable, tag: tag) }
        }
        for entry in appendOutput {
            do {
                if !entry.extraOutput.isEmpty {
                    try engine.appendOutput(entry.extraOutput, rule: entry.rule, source: entry.source, tags: entry.tags,
                                            replacingContainerInfo: entry.replacesContainerInfo)
                }
                for field in entry.extraFields {
                    try engine.addExtraField(key: field.key, format: field.format, raw: field.raw, rule: entry.rule, source: entry.source, tags: entry.tags)
                }
            } catch {
                let what = entry.extraOutput.isEmpty ? "extra_fields" : "'\(entry.extraOutput)'"
                throw Failure(message: "append_output \(what): \(error.message)", location: entry.location)
            }
        }
        if release == .falco040 {
            do { try engine.expandContainerInfo() } catch { throw Failure(message: "%container.info: \(error.message)", location: nil) }
        }
    }

    /// The settings as JSON with sorted keys, recorded with replay runs.
    public var json: JSONValue {
        // append_output only when set, so the settings recorded before it existed are unchanged.
        let appended: [(String, JSONValue)] = appendOutput.isEmpty ? [] : [("append_output", .array(appendOutput.map { entry in
            .object([("extra_fields", .array(entry.extraFields.map { .object([("key", .string($0.key)), ("format", .string($0.format)), ("raw", .bool($0.raw))]) })),
                     ("extra_output", .string(entry.extraOutput))] + (entry.rule.map { [("rule", JSONValue.string($0))] } ?? [])
                    + (entry.source.map { [("source", JSONValue.string($0))] } ?? []) + (entry.tags.isEmpty ? [] : [("tags", .array(entry.tags.map(JSONValue.string)))]))
        }))]
        // The release only when it is not the default, for the same reason.
        let release: [(String, JSONValue)] = self.release == .latest ? [] : [("tracelab_falco_release", .string(self.release.rawValue))]
        return .object(appended + [
            ("json_include_message_property", .bool(jsonIncludeMessage)),
            ("json_include_output_fields_property", .bool(jsonIncludeOutputFields)),
            ("json_include_output_property", .bool(jsonIncludeOutput)),
            ("json_include_tags_property", .bool(jsonIncludeTags)),
            ("json_output", .bool(jsonOutput)),
            ("priority", .string(priority.name.lowercased())),
            ("rule_matching", .string(ruleMatching.rawValue)),
            ("rules", .array(ruleSelections.map { selection in
                .object([(selection.enable ? "enable" : "disable",
                          .object((selection.rule.map { [("rule", JSONValue.string($0))] } ?? []) + (selection.tag.map { [("tag", JSONValue.string($0))] } ?? [])))])
            })),
            ("rules_files", .array(rulesFiles.map { .string($0) })),
            ("syscall_event_drops", .object([("actions", .array(syscallEventDrops.actions.map { .string($0) }))])),
            ("time_format_iso_8601", .bool(timeFormatISO8601)),
        ] + release)
    }

    /// How alerts are printed under this configuration.
    public var alertStyle: AlertFormatting.Style {
        AlertFormatting.Style(json: jsonOutput, includeOutput: jsonIncludeOutput, includeTags: jsonIncludeTags,
                              includeMessage: jsonIncludeMessage, includeOutputFields: jsonIncludeOutputFields, isoTime: timeFormatISO8601)
    }
}

extension String {
    var trimmingBlanks: String {
        var slice = Substring(self)
        while slice.first?.isWhitespace == true { slice.removeFirst() }
        while slice.last?.isWhitespace == true { slice.removeLast() }
        return String(slice)
    }
}
