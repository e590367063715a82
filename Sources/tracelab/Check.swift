import ArgumentParser
import FalcoRules
import Replay
import Scenarios
import Store
import TraceModel

/// `tracelab check`: replays scenarios and compares the alerts with what each scenario expects.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay scenarios and check the expected alerts fire and nothing else does.",
        discussion: """
            Without --rules, uses TraceLab's default rules (rules/default_rules.yaml, a stand-in for Falco's falco_rules.yaml). \
            With --db, each scenario's recordings are ingested into the database (once, by content hash) and replayed from it \
            as a stored run (tracelab runs, tracelab diff). --format json prints one object per scenario (JSON Lines): \
            scenario, file, passed, events, alerts by rule, missing and unexpected expectations, warnings. Exit 1 when \
            any scenario fails.
            """)

    @Option(help: "text (a report per scenario and a count) or json (one object per scenario, JSON Lines).")
    var format: OutputStyle = .text

    @Option(name: .customLong("rules"), help: "Rules files, loaded in order (default: rules/default_rules.yaml).")
    var rules: [String] = []

    @Option(help: "Ingest the recordings into this SQLite database and replay them from it, one stored run per scenario.")
    var db: String?

    @Flag(name: .customLong("strict"), inversion: .prefixedNo,
          help: "A scenario whose recordings were read with skipped or degraded input fails (default); --no-strict only reports it.")
    var strict = true

    @Argument(help: "Scenario files or folders (default: scenarios/).")
    var inputs: [String] = []

    func run() throws {
        let rulesFiles = rules.isEmpty ? ["rules/default_rules.yaml"] : rules
        let loader = try loadRules(rulesFiles)
        let ruleSet = rulesFiles.map { path -> String in
            let file = path.split(separator: "/").last.map(String.init) ?? path
            return file.hasSuffix(".yaml") ? String(file.dropLast(5)) : file
        }.joined(separator: "+")
        let files = expandDirectories(inputs.isEmpty ? ["scenarios"] : inputs, suffixes: [".yaml"])
        if files.isEmpty { throw ValidationError("no scenario files found") }
        let store = try db.map { path in try storeCall { try TraceStore(path: path) } }
        let setup = RunSetup(rulesFiles: rulesFiles.map { ($0, FileBytes.sha256($0) ?? "unreadable") }, config: FalcoConfig().json)
        var failures = 0
        for file in files {
            do {
                let scenario = try Scenario.load(path: file)
                let result = try scenario.check(engine: RuleEngine(loader: loader), ruleSet: ruleSet, store: store, setup: setup)
                if format == .json {
                    var byRule: [String: Int] = [:]
                    for alert in result.alerts { byRule[alert.rule, default: 0] += 1 }
                    print(JSONValue.object([
                        ("scenario", .string(scenario.name)), ("file", .string(file)), ("rules", .string(ruleSet)),
                        ("passed", .bool(result.passed && !(strict && !result.warnings.isEmpty))),
                        ("events", .integer(Int64(result.events))), ("packets", .integer(Int64(result.packets))),
                        ("alerts", .object(byRule.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.integer(Int64($0.value))) })),
                        ("detections", .integer(Int64(result.detections.count + result.dos.count))),
                        ("missing", .array(result.missing.map(JSONValue.string))), ("unexpected", .array(result.unexpected.map(JSONValue.string))),
                        ("warnings", .array(result.warnings.map(JSONValue.string))),
                    ]).rendered)
                } else {
                    print(result.report)
                }
                if let runID = result.runID { printError("tracelab: \(scenario.name): run \(runID) in \(db ?? "")") }
                for warning in result.warnings { printError("tracelab: warning: \(warning)") }
                // A scenario whose recordings were read with skips is not checked on what it says (--no-strict allows it).
                if !result.passed || (strict && !result.warnings.isEmpty) { failures += 1 }
            } catch {
                printError("tracelab: \(error)")
                failures += 1
            }
        }
        if format == .text { print("\(files.count - failures) passed, \(failures) failed") }
        if failures > 0 { throw ExitCode(1) }
    }
}

