import ArgumentParser
import FalcoRules
import TraceModel
import TraceReaders
import Replay
import Store

/// `tracelab replay`: runs traces through the rules and prints Falco's alerts.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay traces through Falco rules and print the alerts, as Falco would.",
        discussion: """
        Rules come from --rules (repeatable, loaded in order) or, without it, from the configuration's \
        rules_files (directories expand to their .yaml/.yml files; missing paths are skipped, as Falco does). \
        --config reads a falco.yaml or a Helm values.yaml (its falco: section); -o key=value overrides a key \
        (priority, rule_matching, json_output, json_include_*_property, time_format_iso_8601, \
        rules[].enable.rule, rules[].disable.tag, ...).
        """)

    @Option(name: .customLong("rules"), help: "A rules file; repeat to load several in order.")
    var rules: [String] = []

    @Option(help: "A falco.yaml or Helm values.yaml whose settings apply.")
    var config: String?

    @Option(name: .customShort("o"), help: "Override a configuration key: -o priority=warning.")
    var overrides: [ConfigOverrideArgument] = []

    @Option(help: "Minimum rule priority (Falco's priority setting), e.g. warning.")
    var priority: PriorityArgument?

    @Option(help: "text (Falco's alert line) or json (Falco's JSON alert).")
    var format: OutputStyle?

    @Option(name: .customLong("rule-matching"), help: "first (Falco's default) or all.")
    var ruleMatching: RuleMatching?

    @Option(name: .customShort("D"), help: "Disable rules whose name matches this pattern (repeatable).")
    var disable: [String] = []

    @Option(name: .customShort("T"), help: "Disable rules with this tag (repeatable).")
    var disableTag: [String] = []

    @Option(name: .customShort("t"), help: "Enable only rules with this tag (repeatable).")
    var enableTag: [String] = []

    @OptionGroup var database: DatabaseOption
    @OptionGroup var strictness: StrictOption

    @Option(name: .customLong("trace"), help: "A stored trace to replay: id, content hash (prefix) or ingested file (repeatable; default all).")
    var storedTraces: [String] = []

    @Option(help: "The sidecar of strace logs (default: FILE.sidecar.json next to each log).")
    var sidecar: String?

    @Argument(help: "Trace files (native JSON Lines, or strace -f -ttt -yy logs). Without them, replays from the database.")
    var traces: [String] = []

    func run() throws {
        let settings = try resolvedConfig()
        let rulesFiles = rules.isEmpty ? expandDirectories(settings.rulesFiles, suffixes: [".yaml", ".yml"], keepMissing: false) : rules
        if rulesFiles.isEmpty { throw ValidationError("no rules: give --rules files or a --config with rules_files") }
        let loader = try loadRules(rulesFiles)
        let engine = RuleEngine(loader: loader)
        settings.configure(engine)
        if !enableTag.isEmpty {
            engine.setEnabled(false, ruleNamePattern: "*")
            for tag in enableTag { engine.setEnabled(true, tag: tag) }
        }
        for tag in disableTag { engine.setEnabled(false, tag: tag) }
        for pattern in disable { engine.setEnabled(false, ruleNamePattern: pattern) }
        let style = settings.alertStyle
        if database.path != nil || !storedTraces.isEmpty || traces.isEmpty {
            guard traces.isEmpty else { throw ValidationError("give trace files, or replay from the database with --db/--trace, not both") }
            try replayFromStore(engine: engine, settings: settings, rulesFiles: rulesFiles, style: style)
            return
        }
        var failed = false
        var problems = InputProblems()
        for path in traces {
            do {
                let (reader, _) = try TraceFiles.open(path, sidecar: sidecar)
                try TraceReplay.run(reader, through: engine) { alert, _ in print(AlertFormatting.render(alert, style: style)) }
                for warning in reader.warnings { problems.report("\(warning)") }
            } catch {
                printError("tracelab: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
        try problems.finish(strict: strictness.strict)
    }

    /// Replays stored traces, stores the run and its alerts, and prints the alerts.
    private func replayFromStore(engine: RuleEngine, settings: FalcoConfig, rulesFiles: [String], style: AlertFormatting.Style) throws {
        let store = try database.open()
        let traceIDs = try storeCall {
            storedTraces.isEmpty ? try store.traces().filter { $0.kind == "syscall" }.map(\.id) : try storedTraces.map { try store.resolveTrace($0).id }
        }
        if traceIDs.isEmpty { throw ValidationError("the database has no syscall traces; run tracelab ingest first") }
        let files = rulesFiles.map { ($0, FileBytes.sha256($0) ?? "unreadable") }
        let run = try storeCall {
            try TraceReplay.run(traceIDs: traceIDs, from: store, through: engine, setup: RunSetup(rulesFiles: files, config: settings.json)) { alert, _ in
                print(AlertFormatting.render(alert, style: style))
            }
        }
        printError("tracelab: run \(run.id): \(run.eventCount) events from \(traceIDs.count) trace(s), \(run.alertCount) alerts")
    }

    /// The configuration file, then `-o` overrides, then the dedicated flags.
    private func resolvedConfig() throws -> FalcoConfig {
        var settings = FalcoConfig()
        if let config {
            do { settings = try FalcoConfig.load(path: config) } catch {
                printError("tracelab: \(error)")
                throw ExitCode(1)
            }
        }
        var assignments = overrides.map { ($0.key, $0.value) }
        if let priority { assignments.append(("priority", priority.priority.name.lowercased())) }
        if let ruleMatching { assignments.append(("rule_matching", ruleMatching.rawValue)) }
        if let format { assignments.append(("json_output", format == .json ? "true" : "false")) }
        for (key, value) in assignments {
            do { try settings.set(key, value) } catch { throw ValidationError(error.message) }
        }
        return settings
    }
}

