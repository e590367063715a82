import FalcoRules
import TraceModel
import TraceReaders
import Yams

/// A lab scenario (`scenarios/*.yaml`, docs/scenario-format.md): its recorded traces, the lab
/// questions it serves, the alerts the rules must raise on it and whether anything else may fire.
public struct Scenario: Sendable {
    public var name: String
    public var description: String
    public var questions: [String]
    /// Trace files, relative to the scenario file's folder when not absolute.
    public var traces: [String]
    public var expectedAlerts: [ExpectedAlert]
    /// When true, no alert other than the expected ones may fire.
    public var silent: Bool
    /// The file it was read from.
    public var path: String

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
        let silentText = try string(root, "silent", required: false) ?? "true"
        guard let silent = ["true": true, "false": false][silentText.lowercased()] else { throw fail("'silent' must be true or false", root["silent"]) }
        let name = try string(root, "scenario") ?? ""
        let traces = try strings(root, "traces")
        if traces.isEmpty { throw fail("a scenario needs at least one trace in 'traces'", root) }
        return Scenario(name: name, description: try string(root, "description", required: false) ?? "",
                        questions: try strings(root, "questions"), traces: traces, expectedAlerts: expected, silent: silent, path: path)
    }

    /// The trace paths, resolved against the scenario's folder.
    public var tracePaths: [String] {
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return traces.map { $0.hasPrefix("/") || folder.isEmpty ? $0 : folder + "/" + $0 }
    }
}
