import FalcoRules
import TraceModel

/// A submission as the lab's Helm chart deploys it, and what that Falco would do differently from the
/// grading's view of each rule. The chart loads Falco's default rules, then every `customRules` entry
/// as a file of /etc/falco/rules.d in name order, with the student's `falco:` settings. The review
/// replays the key's recordings three ways — the default rules alone, the default rules with the
/// student's files (every matching rule alerting), and the student's deployment as configured
/// (`priority`, `rule_matching`, `rules[]`) — and explains the differences: default macros and lists
/// the student redefined or extended and which default alerts that changed, events an earlier rule
/// takes under `rule_matching: first`, rules below the student's own priority threshold, rules the
/// student's settings disable. Feedback and evidence only: the key's items decide the points.
struct DeploymentReview {
    /// One replay of the recordings: for each rule that fired, the events it fired on (recording, event index).
    struct Outcome {
        var fired: [String: [EventReference]] = [:]
        var events = 0
        /// Rule names per event, for the events some rule fired on.
        var byEvent: [EventReference: [String]] = [:]
        /// The alerts in the order raised (at most `maximumAlerts`), to be stored as a run.
        var alerts: [(recording: Int, index: Int, alert: Alert)] = []
    }

    /// The most alerts one replay keeps for storing.
    static let maximumAlerts = 200_000

    struct EventReference: Hashable, Comparable {
        var recording: Int
        var index: Int
        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.recording, lhs.index) < (rhs.recording, rhs.index) }
    }

    /// The most events one rule's list keeps (a catch-all rule fires on every event of every recording).
    static let maximumReferences = 200_000

    /// Replays the recordings through an engine; every alert is noted against its event.
    static func replay(_ engine: RuleEngine, recordings: [[Event]]) -> Outcome {
        var outcome = Outcome()
        for (recording, events) in recordings.enumerated() {
            for (index, event) in events.enumerated() {
                outcome.events += 1
                let alerts = engine.process(event)
                guard !alerts.isEmpty else { continue }
                let reference = EventReference(recording: recording, index: index)
                for alert in alerts where outcome.fired[alert.rule, default: []].count < maximumReferences {
                    outcome.fired[alert.rule, default: []].append(reference)
                }
                outcome.byEvent[reference] = alerts.map(\.rule)
                for alert in alerts where outcome.alerts.count < maximumAlerts { outcome.alerts.append((recording, index, alert)) }
            }
        }
        return outcome
    }
}

extension Grader {
    /// The default rules alone, every matching rule alerting, over the key's recordings (computed once).
    func baselineOutcome() throws(TraceLabError) -> DeploymentReview.Outcome {
        if let cached = baseline { return cached }
        let outcome = DeploymentReview.replay(RuleEngine(loader: defaultLoader, minimumPriority: .debug, matching: .all), recordings: try keyRecordings())
        baseline = outcome
        return outcome
    }

    /// The events of the key's recordings, in key order.
    func keyRecordings() throws(TraceLabError) -> [[Event]] {
        var all: [[Event]] = []
        for path in key.recordings { all.append(try events(path)) }
        return all
    }

    /// A replay as a run to store: what was loaded, with which settings, on which recordings, and its alerts.
    func run(_ role: ReplayRun.Role, _ outcome: DeploymentReview.Outcome, rulesFiles: [(name: String, sha256: String)], config: FalcoConfig) -> ReplayRun {
        ReplayRun(role: role, rulesFiles: rulesFiles, config: config.json, recordings: key.recordings, events: outcome.events, alerts: outcome.alerts,
                  truncated: outcome.alerts.count >= DeploymentReview.maximumAlerts)
    }

    /// The default rules files with the SHA-256 of their content, as runs record them.
    var defaultRulesIdentity: [(name: String, sha256: String)] { key.defaultRules.map { ($0, FileBytes.sha256($0) ?? "unreadable") } }

    /// Explains, line by line, what the submission's own Falco would do on the key's recordings; the replays it
    /// makes are kept in `context.runs`.
    func reviewDeployment(_ context: SubmissionContext) -> [String] {
        let submission = context.submission
        var lines: [String] = []
        let defaultNames = key.defaultRules.map(Self.fileName).joined(separator: ", ")
        guard !submission.rulesFiles.isEmpty else { return [] }
        let mounted = submission.rulesFiles.map { "/etc/falco/rules.d/\($0.mountName)" + ($0.name == $0.path ? "" : " (\($0.path) customRules)") }
        lines.append("Your Falco loads the default rules (\(defaultNames)), then \(mounted.joined(separator: ", ")), in that order.")

        // The student's settings, as Falco would apply them.
        var settings = FalcoConfig()
        if let file = submission.configFile {
            do {
                settings = try FalcoConfig.parse(file.bytes, name: file.name)
                lines.append("Your settings (\(file.name)): priority \(settings.priority.name.lowercased()), rule_matching \(settings.ruleMatching.rawValue)"
                             + (settings.ruleSelections.isEmpty ? "" : ", \(settings.ruleSelections.count) rules[] selection\(settings.ruleSelections.count == 1 ? "" : "s")") + ".")
            } catch {
                lines.append("Your settings cannot be read (\(error)); Falco would refuse to start. The review below uses Falco's defaults (priority debug, rule_matching first).")
            }
        } else {
            lines.append("No falco: settings were handed in; Falco's defaults apply (priority debug, rule_matching first).")
        }
        let loadsStudentRules = settings.rulesFiles.isEmpty || settings.rulesFiles.contains { "/etc/falco/rules.d".hasPrefix(Self.trimmedPath($0)) }
        if !loadsStudentRules {
            lines.append("Your rules_files (\(settings.rulesFiles.joined(separator: ", "))) leaves out /etc/falco/rules.d, where the chart mounts customRules: your Falco would not load your rules at all.")
        }
        guard context.results.allSatisfy(\.successful) else {
            lines.append("Your rules do not load, so your Falco would refuse to start; nothing else can be reviewed.")
            return lines
        }
        let recordings: [[Event]]
        let baseline: DeploymentReview.Outcome
        do {
            recordings = try keyRecordings()
            baseline = try baselineOutcome()
        } catch {
            lines.append("The key's recordings cannot be replayed: \(error.message)")
            return lines
        }
        let recordingNames = key.recordings.map(Self.fileName)
        func describe(_ reference: DeploymentReview.EventReference) -> String {
            "\(recordingNames[reference.recording]) \(recordings[reference.recording][reference.index].reference)"
        }
        func sample(_ references: [DeploymentReview.EventReference], _ count: Int = 3) -> String {
            references.prefix(count).map(describe).joined(separator: "; ") + (references.count > count ? "; …" : "")
        }

        // 1. Default macros, lists and rules the student's files replace or extend (each name once, however
        //    often it is changed), and what that does to the default rules' alerts.
        let combined = DeploymentReview.replay(RuleEngine(loader: context.loader, minimumPriority: .debug, matching: .all), recordings: recordings)
        var everyMatch = FalcoConfig()
        everyMatch.ruleMatching = .all
        let rulesFiles = defaultRulesIdentity + submission.rulesFiles.map { ($0.name, SHA256.hex($0.bytes)) }
        context.runs = [run(.defaultRules, baseline, rulesFiles: defaultRulesIdentity, config: everyMatch),
                        run(.submission, combined, rulesFiles: rulesFiles, config: everyMatch)]
        let studentFiles = Set(submission.rulesFiles.map(\.name))
        let defaultRuleNames = defaultLoader.compiledRules.map(\.name)
        var groups: [(kind: ItemChange.Kind, name: String, changes: [ItemChange])] = []
        var groupIndex: [String: Int] = [:]
        for change in context.loader.itemLog where studentFiles.contains(change.location.file) {
            let changesDefault: Bool = switch change.action {
            case .define: false
            case .redefine(let previous): !studentFiles.contains(previous)
            case .append, .replace, .override: defaultItemExists(change)
            }
            guard changesDefault else { continue }
            let key = "\(change.kind.rawValue) \(change.name)"
            if let index = groupIndex[key] { groups[index].changes.append(change) } else {
                groupIndex[key] = groups.count
                groups.append((change.kind, change.name, [change]))
            }
        }
        let dependencies = Dictionary(uniqueKeysWithValues: groups.isEmpty ? [] : defaultRuleNames.map { ($0, context.loader.dependencies(ofRule: $0)) })
        var withoutEffect: [String] = []
        for group in groups {
            let first = group.changes[0]
            let verbs = Set(group.changes.map { change -> String in
                switch change.action {
                case .define, .redefine: "replaces"
                case .append: "appends to"
                case .replace: "replaces the condition of"
                case .override(let keys): "overrides (\(keys.joined(separator: ", ")))"
                }
            }).sorted()
            let how = verbs.joined(separator: " and ") + (group.changes.count > 1 ? " (\(group.changes.count) times)" : "")
            let place = located(first.location, in: submission)
            let affected = group.kind == .rule ? [group.name] : defaultRuleNames.filter { rule in
                group.kind == .macro ? dependencies[rule]?.macros.contains(group.name) == true : dependencies[rule]?.lists.contains(group.name) == true
            }
            var effects: [String] = []
            for rule in affected {
                let before = Set(baseline.fired[rule] ?? []), after = Set(combined.fired[rule] ?? [])
                let lost = before.subtracting(after).sorted(), gained = after.subtracting(before).sorted()
                if !lost.isEmpty { effects.append("\"\(rule)\" no longer fires on \(lost.count) event\(lost.count == 1 ? "" : "s") (\(sample(lost)))") }
                if !gained.isEmpty { effects.append("\"\(rule)\" now fires on \(gained.count) event\(gained.count == 1 ? "" : "s") it did not (\(sample(gained)))") }
            }
            guard !effects.isEmpty else {
                withoutEffect.append("\(group.kind.rawValue) \(group.name) (\(place), \(how))")
                continue
            }
            let subject = group.kind == .rule ? "Your rule item at \(place) \(how) Falco's default rule \"\(group.name)\"."
                : "Your \(group.kind.rawValue) \(group.name) (\(place)) \(how) Falco's default \(group.kind.rawValue) \(group.name), which \(affected.count) default rule\(affected.count == 1 ? "" : "s") use\(affected.count == 1 ? "s" : ""): \(affected.prefix(5).map { "\"\($0)\"" }.joined(separator: ", "))\(affected.count > 5 ? ", …" : "")."
            lines.append(subject + " On the key's recordings: " + effects.prefix(6).joined(separator: "; ") + (effects.count > 6 ? "; …" : "") + ".")
        }
        if !withoutEffect.isEmpty {
            lines.append("Your files also change \(withoutEffect.count) of Falco's default items with no effect on the default rules' alerts on the key's recordings: "
                         + withoutEffect.prefix(8).joined(separator: "; ") + (withoutEffect.count > 8 ? "; …" : "") + ".")
        }

        // 2. The student's rules in their own deployment: priority threshold, rules[] selections, rule_matching: first.
        let deployedEngine = RuleEngine(loader: context.loader)
        do {
            try settings.configure(deployedEngine)
        } catch {
            lines.append("Your settings would stop Falco from loading the rules: \(error.description). The review below leaves that entry out.")
        }
        let deployed = loadsStudentRules ? DeploymentReview.replay(deployedEngine, recordings: recordings) : baseline
        context.runs.append(run(.deployment, deployed, rulesFiles: loadsStudentRules ? rulesFiles : defaultRulesIdentity, config: settings))
        let loadOrder = Dictionary(context.loader.compiledRules.map { ($0.name, $0.index) }, uniquingKeysWith: { first, _ in first })
        for rule in context.rules {
            let matched = combined.fired[rule.name] ?? []
            if !rule.enabled {
                lines.append("Your rule \"\(rule.name)\" is disabled (enabled: false): it never alerts.")
                continue
            }
            guard !matched.isEmpty, loadsStudentRules else { continue }
            let alerted = Set(deployed.fired[rule.name] ?? [])
            let silenced = matched.filter { !alerted.contains($0) }
            guard !silenced.isEmpty else { continue }
            if rule.priority > settings.priority {
                lines.append("Your rule \"\(rule.name)\" has priority \(rule.priority.name) and your priority setting is \(settings.priority.name.lowercased()): Falco does not load rules below it, so in your Falco this rule stays silent on the \(matched.count) event\(matched.count == 1 ? "" : "s") it matches (\(sample(matched))).")
                continue
            }
            if !(deployedEngine.rules.first { $0.name == rule.name }?.enabled ?? true) {
                lines.append("Your rules[] settings disable \"\(rule.name)\": in your Falco it stays silent on the \(matched.count) event\(matched.count == 1 ? "" : "s") it matches.")
                continue
            }
            // Taken by an earlier rule under rule_matching: first.
            var takers: [String: [DeploymentReview.EventReference]] = [:]
            for reference in silenced {
                guard let winner = deployed.byEvent[reference]?.first, winner != rule.name,
                      (loadOrder[winner] ?? .max) < rule.index else { continue }
                takers[winner, default: []].append(reference)
            }
            guard settings.ruleMatching == .first, !takers.isEmpty else { continue }
            let taken = takers.values.reduce(0) { $0 + $1.count }
            let detail = takers.sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }.map { winner, events in
                "\"\(winner)\" (\(context.loader.compiledRules.first { $0.name == winner }.map { defaultRuleNames.contains($0.name) ? "a default rule" : "yours" } ?? "")) takes \(events.count): \(sample(events, 2))"
            }
            lines.append("With rule_matching: first (\(submission.configFile == nil ? "Falco's default" : "your setting")), an earlier rule takes \(taken) of the \(matched.count) event\(matched.count == 1 ? "" : "s") your rule \"\(rule.name)\" matches, so in your Falco it stays silent there: "
                         + detail.joined(separator: "; ") + ". Rules in rules.d load after the default rules; `rule_matching: all` would let both alert.")
        }

        // 3. What the deployment shows.
        if loadsStudentRules {
            let raised = context.rules.compactMap { rule -> String? in
                let count = deployed.fired[rule.name]?.count ?? 0
                return count == 0 ? nil : "\"\(rule.name)\" \(count)"
            }
            let defaults = defaultRuleNames.compactMap { name -> String? in
                let count = deployed.fired[name]?.count ?? 0
                return count == 0 ? nil : "\"\(name)\" \(count)"
            }
            lines.append("On the key's \(recordings.count) recordings (\(deployed.events) events) your Falco would raise: "
                         + (raised.isEmpty ? "no alert from your rules" : "from your rules " + raised.joined(separator: ", "))
                         + (defaults.isEmpty ? "; none from the default rules." : "; from the default rules " + defaults.joined(separator: ", ") + "."))
            // The first alert of each of the student's rules as their Falco prints it (json_output and the json_* keys, time format).
            for rule in context.rules {
                guard let first = deployed.fired[rule.name]?.first,
                      let alert = deployedEngine.process(recordings[first.recording][first.index]).first(where: { $0.rule == rule.name }) else { continue }
                let printed = AlertFormatting.render(alert, style: settings.alertStyle)
                lines.append("Your Falco would print for \"\(rule.name)\" (\(describe(first))): \(printed.count > 600 ? String(printed.prefix(600)) + "…" : printed)")
            }
        }
        return lines
    }

    /// True when the changed name exists among the default rules' items of its kind.
    private func defaultItemExists(_ change: ItemChange) -> Bool {
        switch change.kind {
        case .list: defaultLoader.listNames.contains(change.name)
        case .macro: defaultLoader.macroNames.contains(change.name)
        case .rule: defaultLoader.compiledRules.contains { $0.name == change.name }
        }
    }

    /// `values.yaml:27:7`: a position inside a rules text, in the file the student handed in.
    func located(_ location: SourceLocation, in submission: Submission) -> String {
        guard let file = submission.rulesFiles.first(where: { $0.name == location.file }) else { return "\(location.file):\(location.line)" }
        return "\(file.path):\(location.line + file.lineOffset):\(location.column + file.columnOffset)"
    }

    private static func trimmedPath(_ path: String) -> String {
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }
}

/// One replay of the key's recordings made while grading a submission, kept so `tracelab grade` can store it
/// as a run its grade rests on: what was loaded (files and their SHA-256), with which settings, on which
/// recordings, and every alert with the recording and event it fired on.
public struct ReplayRun: Sendable {
    public enum Role: String, Sendable, CaseIterable {
        /// Falco's default rules alone, every matching rule alerting.
        case defaultRules = "default rules"
        /// The default rules with the submission's files, every matching rule alerting: what each rule matches.
        case submission = "submission"
        /// The submission's own Falco: its files under its settings (priority, rule_matching, rules[]).
        case deployment = "deployment"
    }

    public var role: Role
    public var rulesFiles: [(name: String, sha256: String)]
    public var config: JSONValue
    /// The recordings replayed, in order (paths as the key names them).
    public var recordings: [String]
    public var events: Int
    /// The alerts in the order raised: the recording (index into `recordings`), the event (its position in the recording).
    public var alerts: [(recording: Int, index: Int, alert: Alert)]
    /// Set when more alerts were raised than are kept.
    public var truncated: Bool

    public init(role: Role, rulesFiles: [(name: String, sha256: String)], config: JSONValue, recordings: [String], events: Int,
                alerts: [(recording: Int, index: Int, alert: Alert)], truncated: Bool) {
        self.role = role
        self.rulesFiles = rulesFiles
        self.config = config
        self.recordings = recordings
        self.events = events
        self.alerts = alerts
        self.truncated = truncated
    }

    /// The run as JSON (the grading child's answer carries it to the parent).
    public var json: JSONValue {
        .object([("role", .string(role.rawValue)),
                 ("rules_files", .array(rulesFiles.map { .object([("name", .string($0.name)), ("sha256", .string($0.sha256))]) })),
                 ("config", config), ("recordings", .array(recordings.map { .string($0) })), ("events", .integer(Int64(events))),
                 ("truncated", .bool(truncated)),
                 ("alerts", .array(alerts.map { .object([("recording", .integer(Int64($0.recording))), ("index", .integer(Int64($0.index))), ("alert", $0.alert.record)]) }))])
    }

    /// A run read back from `json`; nil when it is not one.
    public init?(json: JSONValue) {
        guard case .object(let members) = json else { return nil }
        func member(_ key: String) -> JSONValue? { members.first { $0.0 == key }?.1 }
        func int(_ value: JSONValue?) -> Int? { if case .integer(let number)? = value { return Int(number) } else { return nil } }
        guard case .string(let roleName)? = member("role"), let role = Role(rawValue: roleName), let config = member("config"),
              case .array(let files)? = member("rules_files"), case .array(let recordings)? = member("recordings"), let events = int(member("events")),
              case .array(let alerts)? = member("alerts") else { return nil }
        var rulesFiles: [(name: String, sha256: String)] = []
        for file in files {
            guard case .object(let pair) = file, case .string(let name)? = pair.first(where: { $0.0 == "name" })?.1,
                  case .string(let hash)? = pair.first(where: { $0.0 == "sha256" })?.1 else { return nil }
            rulesFiles.append((name, hash))
        }
        var parsed: [(recording: Int, index: Int, alert: Alert)] = []
        for entry in alerts {
            guard case .object(let fields) = entry, let recording = int(fields.first(where: { $0.0 == "recording" })?.1),
                  let index = int(fields.first(where: { $0.0 == "index" })?.1), let record = fields.first(where: { $0.0 == "alert" })?.1,
                  let alert = Alert(record: record) else { return nil }
            parsed.append((recording, index, alert))
        }
        let paths = recordings.compactMap { if case .string(let path) = $0 { return path } else { return nil } }
        let truncated: Bool = { if case .bool(let value)? = member("truncated") { return value } else { return false } }()
        self.init(role: role, rulesFiles: rulesFiles, config: config, recordings: paths, events: events, alerts: parsed, truncated: truncated)
    }
}
