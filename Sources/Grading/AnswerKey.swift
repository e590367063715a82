import FalcoRules
import Metrics
import Scenarios
import TraceModel
import Yams

/// The instructor's key (`answers/key.yaml`): the lab's gradable items, how each is checked, its points,
/// and the rules the students' rules load beside. Paths in the key are relative to the key's folder.
public struct AnswerKey: Sendable {
    public var name: String
    public var version: Int
    /// Rules files the submission's rules load after, like Falco's default rules in the lab's cluster.
    public var defaultRules: [String]
    public var items: [Item]
    /// The key file's path.
    public var path: String

    /// One gradable item: a question (or part of the lab) with its check and points.
    public struct Item: Sendable {
        public var id: String
        /// The lab question it grades, as the lab numbers it (`Q1`, `curl rule`, ...).
        public var question: String
        public var title: String
        public var points: Double
        public var check: Check
        /// What the item's rule (rule_fires) or macro (macro_probe) catches of an evasion corpus, as feedback.
        public var robustness: Robustness?
    }

    /// An item's `robustness:`: the corpus variants its rule or macro is tried on (by `behaviour` and `target`, or
    /// named in `variants`), and the points of the item, if any, that follow the share caught.
    public struct Robustness: Sendable {
        /// The corpus scenario (scenarios/evasions.yaml), resolved.
        public var corpus: String
        public var behaviours: [String]
        public var target: String?
        public var variants: [String]
        /// Points of the item's `points` given in proportion to the variants caught; 0 (the default): feedback only.
        public var marks: Double
    }

    /// How an item is checked; the parameters come from the key, so a new item needs no code.
    public enum Check: Sendable {
        /// The submission's rules load with the default rules (errors cost everything, warnings nothing).
        case rulesLoad
        /// One of the submission's rules fires on the events `fireOn` selects in `fireTraces` (for each
        /// distinct value of `per`, when given) and stays silent on `silentTraces`; with `usesMacro` the rule
        /// must use that macro; with `outputFields`, its output must carry those fields.
        case ruleFires(RuleFires)
        /// The output of the rule found by another item carries `fields`, and rendered shows the trace's values.
        case ruleOutput(ruleOf: String, fields: [String])
        /// A macro exists and, on the events `probe` selects in `traces`, is true exactly where `expect` is.
        case macroProbe(macro: String, traces: [String], probe: String, expect: String)
        /// Written answers about the alerts a scenario raises with the default rules.
        case writtenAlert(WrittenAlert)
        /// Written answer marked against a rubric of categories, each recognised by keywords.
        case rubric(categories: [RubricCategory], required: Int)
        /// falco.yaml / values.yaml settings, and their effect on a replay of `traces`.
        case config(priority: Priority?, dropActions: [String], traces: [String])
        /// A submitted Grafana dashboard's panels, evaluated over a metric recording, must single out the
        /// attacker during the attack window.
        case dashboard(DashboardCheck)
    }

    public struct RuleFires: Sendable {
        public var fireTraces: [String]
        public var fireOn: String
        public var per: String?
        /// Coverage is counted per kind of access (read, write) of each `per` value: a target event is a read or a
        /// write by its open flags or its syscall (an `O_RDWR` open is both), and each kind needs an alert.
        public var perAccess: Bool
        public var silentTraces: [String]
        public var usesMacro: String?
        public var outputFields: [String]
    }

    public struct WrittenAlert: Sendable {
        public var scenario: String
        /// Words a student may use for a process or action (`cat: [read, reading]`).
        public var synonyms: [String: [String]]
    }

    public struct RubricCategory: Sendable {
        public var name: String
        public var keywords: [String]
    }

    /// Every file the grades depend on besides the submission: the key, the default rules, and the
    /// recordings and scenarios the items replay (with their sidecars).
    public var dependencies: [String] {
        var paths = [path] + defaultRules
        for item in items {
            switch item.check {
            case .ruleFires(let spec): paths += spec.fireTraces + spec.silentTraces
            case .macroProbe(_, let traces, _, _), .config(_, _, let traces): paths += traces
            case .writtenAlert(let spec): paths.append(spec.scenario)
            case .dashboard(let spec): paths.append(spec.recording)
            case .rulesLoad, .ruleOutput, .rubric: break
            }
        }
        for spec in items.compactMap(\.robustness) {
            paths.append(spec.corpus)
            if let corpus = try? Scenario.load(path: spec.corpus) { paths += corpus.variants.map { Self.normalized(corpus.tracePath(of: $0)) } }
        }
        var seen: Set<String> = []
        return paths.filter { seen.insert($0).inserted }.flatMap { [$0, $0 + ".sidecar.json"] }
    }

    /// The syscall recordings the items replay (traces of rule and macro checks, and the scenarios' traces),
    /// in key order without repeats: what a submission's own deployment is replayed on.
    public var recordings: [String] {
        var paths: [String] = []
        for item in items {
            switch item.check {
            case .ruleFires(let spec): paths += spec.fireTraces + spec.silentTraces
            case .macroProbe(_, let traces, _, _), .config(_, _, let traces): paths += traces
            case .writtenAlert(let spec): paths += (try? Scenario.load(path: spec.scenario).tracePaths) ?? []
            case .rulesLoad, .ruleOutput, .rubric, .dashboard: break
            }
        }
        var seen: Set<String> = []
        return paths.map(Self.normalized).filter { seen.insert($0).inserted }
    }

    /// A path with `.` and `dir/..` steps removed, so one file has one name (a scenario's
    /// `../traces/x.strace` and the key's own path to it).
    public static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// SHA-256 over the dependencies' contents and the engine version: grades made with the same
    /// fingerprint can be reused.
    public func fingerprint(engineVersion: String) -> String {
        let hash = SHA256()
        hash.update(Array(engineVersion.utf8))
        for dependency in dependencies {
            hash.update(Array("\u{0}\(dependency)\u{0}".utf8))
            if let bytes = FileBytes.read(dependency) { hash.update(bytes) }
        }
        return SHA256.hex(hash.finalize())
    }

    /// The total of the items' points.
    public var maximum: Double { items.reduce(0) { $0 + $1.points } }

    /// What a dashboard item checks: the recording, the attack window (ms), and the labels that name the
    /// attacker (any of them: `pod=dos-attack`, `instance=192.0.2.1:9100`).
    public struct DashboardCheck: Sendable {
        public var recording: String
        public var attackFrom: Int64
        public var attackTo: Int64
        public var singleOut: [(label: String, value: String)]
        /// Words for the feedback: "the DoS pod".
        public var describes: String
        /// The metric families that measure this scenario, as name prefixes (`container_cpu_`, `node_network_`); a
        /// panel reading none of them earns nothing for it. Empty: any metric.
        public var metrics: [String]
    }

    /// Reads a key file; errors give the file, line and column.
    public static func load(path: String) throws(TraceLabError) -> AnswerKey {
        guard let bytes = FileBytes.read(path) else { throw TraceLabError("cannot read the answer key", at: SourceLocation(file: path, line: 0, column: 0)) }
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        func resolve(_ relative: String) -> String { normalized(relative.hasPrefix("/") || folder.isEmpty ? relative : folder + "/" + relative) }
        let fields = YAMLFields(path: path)
        func fail(_ message: String, _ node: Node?) -> TraceLabError { fields.fail(message, node) }
        guard let root = try YAMLGuard.compose(bytes, name: path), case .mapping = root else { throw fail("an answer key is a YAML mapping", nil) }
        func string(_ node: Node, _ key: String) throws(TraceLabError) -> String { try fields.string(node, key) ?? "" }
        func strings(_ node: Node, _ key: String) throws(TraceLabError) -> [String] { try fields.strings(node, key) }
        var items: [Item] = []
        guard case .sequence(let itemNodes)? = root["items"] else { throw fail("'items' must be a list", root["items"]) }
        for node in itemNodes {
            let id = try string(node, "id")
            guard let points = Double(try string(node, "points")), points >= 0, points <= 1_000_000 else {
                throw fail("'points' must be a number from 0 to 1000000", node["points"])
            }
            let kind = try string(node, "check")
            let check: Check
            switch kind {
            case "rules_load":
                check = .rulesLoad
            case "rule_fires":
                guard let fires = node["fires_on"] else { throw fail("missing 'fires_on'", node) }
                check = .ruleFires(RuleFires(fireTraces: try strings(fires, "traces").map(resolve), fireOn: try string(fires, "on"),
                                             per: fires["per"]?.string, perAccess: fires["per_access"]?.string == "true", silentTraces: try strings(node, "silent_on").map(resolve),
                                             usesMacro: node["uses_macro"]?.string, outputFields: try strings(node, "output_fields")))
            case "rule_output":
                check = .ruleOutput(ruleOf: try string(node, "rule_of"), fields: try strings(node, "fields"))
            case "macro_probe":
                check = .macroProbe(macro: try string(node, "macro"), traces: try strings(node, "traces").map(resolve),
                                    probe: try string(node, "probe"), expect: try string(node, "expect"))
            case "written_alert":
                var synonyms: [String: [String]] = [:]
                if let map = node["synonyms"] {
                    guard case .mapping(let pairs) = map else { throw fail("'synonyms' must map words to lists of words", map) }
                    for (word, _) in pairs {
                        guard let key = word.string else { continue }
                        synonyms[key.lowercased()] = try strings(map, key).map { $0.lowercased() }
                    }
                }
                check = .writtenAlert(WrittenAlert(scenario: resolve(try string(node, "scenario")), synonyms: synonyms))
            case "rubric":
                guard case .sequence(let categoryNodes)? = node["categories"] else { throw fail("'categories' must be a list", node) }
                var categories: [RubricCategory] = []
                for category in categoryNodes {
                    categories.append(RubricCategory(name: try string(category, "name"), keywords: try strings(category, "keywords").map { $0.lowercased() }))
                }
                let required = Int(node["required"]?.string ?? "") ?? categories.count
                check = .rubric(categories: categories, required: max(1, required))
            case "config":
                let priority = try node["priority"].map { value throws(TraceLabError) -> Priority in
                    guard let text = value.string, let priority = Priority(parsing: text) else { throw fail("unknown priority", value) }
                    return priority
                }
                check = .config(priority: priority, dropActions: try strings(node, "drop_actions"), traces: try strings(node, "traces").map(resolve))
            case "dashboard":
                guard let window = node["attack"] else { throw fail("missing 'attack' (from and to, RFC 3339 or Unix seconds)", node) }
                guard let from = QueryOutput.parseTime(try string(window, "from")), let to = QueryOutput.parseTime(try string(window, "to")), to > from else {
                    throw fail("'attack' needs times from < to (RFC 3339 or Unix seconds)", window)
                }
                guard case .sequence(let targets)? = node["single_out"], !targets.isEmpty else { throw fail("'single_out' must list label values, e.g. [{pod: dos-attack}]", node) }
                var matchers: [(label: String, value: String)] = []
                for target in targets {
                    guard case .mapping(let pairs) = target else { throw fail("each 'single_out' entry maps a label to a value", target) }
                    for (label, value) in pairs {
                        guard let name = label.string, let text = value.string else { throw fail("label and value must be strings", target) }
                        matchers.append((name, text))
                    }
                }
                check = .dashboard(DashboardCheck(recording: resolve(try string(node, "recording")), attackFrom: from, attackTo: to, singleOut: matchers,
                                                  describes: node["describes"]?.string ?? "the attacker", metrics: try strings(node, "metrics")))
            default:
                throw fail("unknown check '\(kind)' (rules_load, rule_fires, rule_output, macro_probe, written_alert, rubric, config, dashboard)", node["check"])
            }
            var robustness: Robustness?
            if let spec = node["robustness"] {
                guard case .mapping = spec else { throw fail("'robustness' is a mapping: corpus, behaviour, target, variants, marks", spec) }
                switch check {
                case .ruleFires, .macroProbe: break
                default: throw fail("'robustness' applies to rule_fires and macro_probe items", spec)
                }
                let marks = try fields.string(spec, "marks", required: false).map { text throws(TraceLabError) -> Double in
                    guard let value = Double(text), value >= 0, value <= points else { throw fail("'marks' must be a number from 0 to the item's points", spec["marks"]) }
                    return value
                } ?? 0
                var behaviours = try strings(spec, "behaviours")
                if let behaviour = spec["behaviour"]?.string { behaviours.append(behaviour) }
                let variants = try strings(spec, "variants")
                if behaviours.isEmpty && variants.isEmpty { throw fail("'robustness' names a 'behaviour' or 'variants'", spec) }
                robustness = Robustness(corpus: resolve(try fields.string(spec, "corpus", required: false) ?? "../scenarios/evasions.yaml"),
                                        behaviours: behaviours, target: try fields.string(spec, "target", required: false), variants: variants, marks: marks)
            }
            items.append(Item(id: id, question: node["question"]?.string ?? id, title: try string(node, "title"), points: points, check: check, robustness: robustness))
        }
        var seen: Set<String> = []
        for item in items where !seen.insert(item.id).inserted { throw fail("item id '\(item.id)' is used twice", root["items"]) }
        return AnswerKey(name: try string(root, "key"), version: Int(root["version"]?.string ?? "1") ?? 1,
                         defaultRules: try strings(root, "default_rules").map(resolve), items: items, path: path)
    }
}
