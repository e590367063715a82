import FalcoRules
import Metrics
import Packets
import TraceModel
import TraceReaders
import Yams

/// A lab scenario (`scenarios/*.yaml`, docs/scenario-format.md): its recorded syscall traces and packet
/// captures, the lab questions it serves, the alerts the rules must raise and the detections the packet
/// detectors must make, and whether anything else may fire.
public struct Scenario: Sendable {
    public var name: String
    public var description: String
    public var questions: [String]
    /// Trace files, relative to the scenario file's folder when not absolute.
    public var traces: [String]
    /// Packet captures, resolved like the traces.
    public var captures: [String]
    /// Metric recordings (OpenMetrics or Prometheus text), resolved like the traces.
    public var metrics: [String]
    /// DoS pods the metric detector must find in the recordings.
    public var expectedDoS: [ExpectedDoS]
    public var expectedAlerts: [ExpectedAlert]
    public var expectedDetections: [ExpectedDetection]
    /// When true, no alert and no detection other than the expected ones may fire.
    public var silent: Bool
    /// The file it was read from.
    public var path: String
    /// A corpus scenario's variants (`variants:`, the evasion corpus of issue 20): each a recording of one
    /// behaviour done one way, replayed on its own. `traces` lists their recordings in the same order.
    public var variants: [Variant] = []

    /// One way of performing a behaviour, recorded, and whether a correct rule for the behaviour should
    /// catch it.
    public struct Variant: Sendable {
        /// Whether a correct rule for the behaviour should alert on the recording.
        public enum Catch: String, Sendable, CaseIterable {
            case yes, no
            /// The lab's wording does not decide (GNU touch opens the file for writing but writes nothing).
            case either
        }

        public var name: String
        /// What the variant does, in the corpus's words: `read-file`, `write-file`, `shell-in-container`,
        /// `fetch-url-in-container`.
        public var behaviour: String
        /// The file the behaviour is aimed at, for the file behaviours.
        public var target: String?
        public var expectation: Catch
        /// The recording, as written in the scenario (relative to the scenario's folder when not absolute).
        public var trace: String
        /// What was run.
        public var does: String
        /// Why rules commonly miss this variant and what catches it; shown beside a miss.
        public var hint: String?
        /// The rules each rule set raises on the recording, by rule set (rules file names without extension,
        /// as `tracelab check` names them): checked exactly, so a change in what a rule set catches shows.
        public var alerts: [String: [String]]

        /// The behaviour and its target, the unit coverage is counted in: `read-file /etc/shadow`.
        public var attack: String { target.map { "\(behaviour) \($0)" } ?? behaviour }
    }

    /// An alert the rules must raise.
    public struct ExpectedAlert: Sendable {
        public var rule: String
        public var priority: Priority
        /// A Falco condition the alert's event must satisfy (e.g. `evt.type = openat and fd.name = /etc/shadow`).
        public var on: String
        /// Field values the event must have, as Falco renders them in outputs.
        public var fields: [(field: String, value: String)]
        /// The rule sets (rules file names without extension) that raise it; empty means every rule set.
        public var ruleSets: [String]
        /// How many times at least (default 1).
        public var atLeast: Int
    }

    /// A DoS the metric detector must find: a pod (and namespace) and the signal (cpu or memory).
    public struct ExpectedDoS: Sendable {
        public var pod: String
        public var namespace: String?
        public var signal: String
    }

    /// A detection the packet detectors must make on the captures.
    public struct ExpectedDetection: Sendable {
        public var kind: Detection.Kind
        /// The technique exactly (`SYN`, `connect`, `UDP`...), when given.
        public var technique: String?
        /// An address among the detection's sources, and addresses that must all be among its targets.
        public var source: String?
        public var targets: [String]
        /// The open ports exactly, when given.
        public var openPorts: [UInt16]?
        /// The capture (file name without extension) it must come from, when given.
        public var capture: String?

        /// Why a detection does not meet this expectation; nil when it does.
        public func mismatch(_ detection: Detection) -> String? {
            var reasons: [String] = []
            if detection.kind != kind { reasons.append("kind \(detection.kind.rawValue)") }
            if let technique, detection.technique != technique { reasons.append("technique \(detection.technique) (expected \(technique))") }
            if let source, !detection.sources.map(\.description).contains(source) {
                reasons.append("sources \(detection.sources.map(\.description).joined(separator: ",")) (expected \(source))")
            }
            let found = Set(detection.targets.map(\.description))
            let absent = targets.filter { !found.contains($0) }
            if !absent.isEmpty { reasons.append("targets without \(absent.joined(separator: ","))") }
            if let openPorts, detection.openPorts != openPorts {
                reasons.append("open ports \(detection.openPorts.map(String.init).joined(separator: ",")) (expected \(openPorts.map(String.init).joined(separator: ",")))")
            }
            return reasons.isEmpty ? nil : reasons.joined(separator: ", ")
        }

        public var description: String {
            var text = kind.rawValue
            if let technique { text += " [\(technique)]" }
            if let source { text += " from \(source)" }
            if !targets.isEmpty { text += " of \(targets.joined(separator: ","))" }
            if let capture { text += " in \(capture)" }
            return text
        }
    }

    /// Reads a scenario file; errors give the file, line and column.
    public static func load(path: String) throws(TraceLabError) -> Scenario {
        guard let bytes = FileBytes.read(path) else {
            throw TraceLabError("cannot read the scenario", at: SourceLocation(file: path, line: 0, column: 0))
        }
        let node: Node?
        do { node = try Yams.compose(yaml: String(decoding: bytes, as: UTF8.self)) } catch {
            throw TraceLabError("not valid YAML: \(error)", at: SourceLocation(file: path, line: 1, column: 1))
        }
        let fields = YAMLFields(path: path)
        func fail(_ message: String, _ at: Node?) -> TraceLabError { fields.fail(message, at) }
        guard let root = node, case .mapping = root else { throw fail("a scenario is a YAML mapping", node) }
        func string(_ node: Node?, _ key: String, required: Bool = true) throws(TraceLabError) -> String? { try fields.string(node, key, required: required) }
        func strings(_ node: Node?, _ key: String) throws(TraceLabError) -> [String] { try fields.strings(node, key) }
        var expected: [ExpectedAlert] = []
        if let alerts = root["expect"] {
            guard case .sequence(let items) = alerts else { throw fail("'expect' must be a list of alerts", alerts) }
            for item in items {
                guard let rule = try string(item, "rule"), let priorityText = try string(item, "priority") else { continue }
                guard let priority = Priority(parsing: priorityText) else { throw fail("unknown priority '\(priorityText)'", item["priority"]) }
                var fields: [(field: String, value: String)] = []
                if let map = item["fields"] {
                    guard case .mapping(let pairs) = map else { throw fail("'fields' must map field names to values", map) }
                    for (key, value) in pairs {
                        guard let field = key.string, let text = value.string else { throw fail("'fields' entries must be strings", key) }
                        fields.append((field, text))
                    }
                }
                let atLeast = try string(item, "at_least", required: false).flatMap { Int($0) } ?? 1
                expected.append(ExpectedAlert(rule: rule, priority: priority, on: try string(item, "on", required: false) ?? "evt.num > 0",
                                              fields: fields, ruleSets: try strings(item, "rule_sets"), atLeast: atLeast))
            }
        }
        var detections: [ExpectedDetection] = []
        if let items = root["expect_detections"] {
            guard case .sequence(let list) = items else { throw fail("'expect_detections' must be a list of detections", items) }
            for item in list {
                guard let kindText = try string(item, "kind") else { continue }
                guard let kind = Detection.Kind(rawValue: kindText) else {
                    throw fail("unknown detection kind '\(kindText)' (known: port-scan, subnet-scan, sweep, ping-sweep, syn-flood, udp-flood, icmp-flood)", item["kind"])
                }
                var openPorts: [UInt16]?
                if item["open_ports"] != nil {
                    let texts = try strings(item, "open_ports")
                    let ports = texts.compactMap { UInt16($0) }
                    guard ports.count == texts.count else { throw fail("'open_ports' must be port numbers", item["open_ports"]) }
                    openPorts = ports
                }
                detections.append(ExpectedDetection(kind: kind, technique: try string(item, "technique", required: false), source: try string(item, "source", required: false),
                                                    targets: try strings(item, "targets"), openPorts: openPorts, capture: try string(item, "capture", required: false)))
            }
        }
        var dos: [ExpectedDoS] = []
        if let items = root["expect_dos"] {
            guard case .sequence(let list) = items else { throw fail("'expect_dos' must be a list of pods", items) }
            for item in list {
                guard let pod = try string(item, "pod") else { continue }
                let signal = try string(item, "signal", required: false) ?? "cpu"
                guard signal == "cpu" || signal == "memory" else { throw fail("'signal' is cpu or memory, not \(signal)", item["signal"]) }
                dos.append(ExpectedDoS(pod: pod, namespace: try string(item, "namespace", required: false), signal: signal))
            }
        }
        let variants = try loadVariants(root["variants"], fields)
        let silentText = try string(root, "silent", required: false) ?? "true"
        guard let silent = ["true": true, "false": false][silentText.lowercased()] else { throw fail("'silent' must be true or false", root["silent"]) }
        let name = try string(root, "scenario") ?? ""
        let traces = variants.isEmpty ? try strings(root, "traces") : variants.map(\.trace)
        if !variants.isEmpty && root["traces"] != nil { throw fail("a corpus scenario lists its recordings under 'variants', not 'traces'", root["traces"]) }
        let captures = try strings(root, "captures")
        let metrics = try strings(root, "metrics")
        if traces.isEmpty && captures.isEmpty && metrics.isEmpty { throw fail("a scenario needs at least one file in 'traces', 'captures' or 'metrics'", root) }
        if !dos.isEmpty && metrics.isEmpty { throw fail("'expect_dos' lists pods but the scenario has no metric recordings", root["expect_dos"]) }
        if !expected.isEmpty && traces.isEmpty { throw fail("'expect' lists alerts but the scenario has no syscall traces", root["expect"]) }
        if !detections.isEmpty && captures.isEmpty { throw fail("'expect_detections' lists detections but the scenario has no captures", root["expect_detections"]) }
        return Scenario(name: name, description: try string(root, "description", required: false) ?? "",
                        questions: try strings(root, "questions"), traces: traces, captures: captures, metrics: metrics, expectedDoS: dos, expectedAlerts: expected,
                        expectedDetections: detections, silent: silent, path: path, variants: variants)
    }

    /// Reads `variants:`: a list of mappings with `variant`, `behaviour`, `catch` (yes, no or either), `trace`,
    /// `does`, and optionally `target`, `hint` and `alerts` (rule set → rule names). Names are unique.
    private static func loadVariants(_ node: Node?, _ fields: YAMLFields) throws(TraceLabError) -> [Variant] {
        guard let node else { return [] }
        guard case .sequence(let items) = node else { throw fields.fail("'variants' must be a list of variants", node) }
        var variants: [Variant] = []
        var seen: Set<String> = []
        for item in items {
            guard case .mapping = item else { throw fields.fail("a variant is a mapping (variant, behaviour, catch, trace, does)", item) }
            let name = try fields.string(item, "variant") ?? ""
            guard seen.insert(name).inserted else { throw fields.fail("variant '\(name)' is listed twice", item["variant"]) }
            let catchText = try fields.string(item, "catch") ?? ""
            guard let expectation = Variant.Catch(rawValue: catchText) else {
                throw fields.fail("'catch' is yes, no or either, not '\(catchText)'", item["catch"])
            }
            var alerts: [String: [String]] = [:]
            if let map = item["alerts"] {
                guard case .mapping(let pairs) = map else { throw fields.fail("'alerts' maps rule sets to the rules they raise", map) }
                for (key, _) in pairs {
                    guard let ruleSet = key.string else { throw fields.fail("'alerts' keys are rule set names", key) }
                    alerts[ruleSet] = try fields.strings(map, ruleSet)
                }
            }
            variants.append(Variant(name: name, behaviour: try fields.string(item, "behaviour") ?? "", target: try fields.string(item, "target", required: false),
                                    expectation: expectation, trace: try fields.string(item, "trace") ?? "", does: try fields.string(item, "does") ?? "",
                                    hint: try fields.string(item, "hint", required: false), alerts: alerts))
        }
        return variants
    }

    /// A variant's recording, resolved against the scenario's folder.
    public func tracePath(of variant: Variant) -> String { resolve([variant.trace])[0] }

    /// The variants named, and those of `behaviours` (aimed at `target` when given); every variant when nothing is
    /// asked for. A name or behaviour the corpus lacks is an error, with the closest behaviour.
    public func variants(named names: [String] = [], behaviours: [String] = [], target: String? = nil) throws(TraceLabError) -> [Variant] {
        guard !variants.isEmpty else { throw TraceLabError("not a corpus scenario: it has no 'variants'", at: SourceLocation(file: path, line: 1, column: 1)) }
        let known = Set(variants.map(\.name)), performed = Set(variants.map(\.behaviour))
        if let unknown = names.first(where: { !known.contains($0) }) { throw TraceLabError("the corpus \(path) has no variant '\(unknown)'") }
        if let unknown = behaviours.first(where: { !performed.contains($0) }) {
            let suggestion = Suggestion.closest(to: unknown, among: performed.sorted()).map { " (did you mean '\($0)'?)" } ?? ""
            throw TraceLabError("no variant performs '\(unknown)'\(suggestion); the variants of \(path) perform \(performed.sorted().joined(separator: ", "))")
        }
        if names.isEmpty && behaviours.isEmpty { return variants }
        return variants.filter { variant in
            names.contains(variant.name) || behaviours.contains(variant.behaviour) && (target == nil || variant.target == target)
        }
    }

    /// The attacks (behaviour and target) of variants, each once, in the order they first appear.
    public static func attacks(of variants: [Variant]) -> [String] {
        variants.map(\.attack).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    }

    /// The trace paths, resolved against the scenario's folder.
    public var tracePaths: [String] { resolve(traces) }

    /// The capture paths, resolved against the scenario's folder.
    public var capturePaths: [String] { resolve(captures) }

    /// The metric recording paths, resolved against the scenario's folder.
    public var metricPaths: [String] { resolve(metrics) }

    private func resolve(_ paths: [String]) -> [String] {
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return paths.map { $0.hasPrefix("/") || folder.isEmpty ? $0 : folder + "/" + $0 }
    }
}
