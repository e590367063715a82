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
        rules[].enable.rule, rules[].disable.tag, ...). Falco's short flags work: -r RULES, -e CAPTURE (Falco 0.36's \
        replay flag), -c CONFIG, -o, -D, -t, -T. At the end, Falco's summary (events detected, rule counts by \
        severity, triggered rules by name) goes to standard error, so the alerts on standard output stay one per \
        line. With several traces, each text alert is prefixed with its file (as grep does with several files) \
        and each JSON alert carries "tracelab_file".
        """)

    @Option(name: [.customShort("r"), .customLong("rules")], help: "A rules file; repeat to load several in order.")
    var rules: [String] = []

    @Option(name: [.customShort("c"), .long], help: "A falco.yaml or Helm values.yaml whose settings apply.")
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

    @Option(name: .customShort("e"), help: "A capture to replay (Falco 0.36's -e); repeatable, the same as giving it as an argument.")
    var captures: [String] = []

    @Option(name: [.customShort("p", allowingJoined: true), .customLong("print")],
            help: "Append this output format to every rule's output (Falco's deprecated -p; append_output in falco.yaml is the current way). -pc and -pk change nothing, as in current Falco, unless --falco-version 0.40.")
    var printAdditional: String?

    @Option(name: .customLong("falco-version"),
            help: "Whose output rules apply: 0.40 (the lab's Falco: %container.info stands for container_id and container_name; -pc/-pk add container and Kubernetes fields) or latest (the default: %container.info is empty, -pc/-pk do nothing).")
    var falcoRelease: FalcoRelease = .latest

    @Flag(name: .customLong("no-summary"), help: "Do not print Falco's end-of-run summary.")
    var noSummary = false

    @Argument(help: "Trace files (scap, native JSON Lines, or strace -f -ttt -yy logs). Without them, replays from the database.")
    var traceArguments: [String] = []

    var traces: [String] { captures + traceArguments }

    func run() throws {
        let settings = try resolvedConfig()
        let rulesFiles = rules.isEmpty ? expandDirectories(settings.rulesFiles, suffixes: [".yaml", ".yml"], keepMissing: false) : rules
        if rulesFiles.isEmpty { throw ValidationError("no rules: give --rules files or a --config with rules_files") }
        let loader = try loadRules(rulesFiles)
        let engine = RuleEngine(loader: loader)
        do { try settings.configure(engine) } catch {
            printError("tracelab: \(error)")
            throw ExitCode(1)
        }
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
        var summary = AlertSummary()
        let labelled = traces.count > 1
        for path in traces {
            do {
                let (reader, _) = try TraceFiles.open(path, sidecar: sidecar)
                try TraceReplay.run(reader, through: engine) { alert, _ in
                    summary.add(alert)
                    print(labelled ? AlertSummary.labelled(alert, style: style, file: path) : AlertFormatting.render(alert, style: style))
                }
                for warning in reader.warnings { problems.report("\(warning)") }
            } catch {
                printError("tracelab: \(error)")
                failed = true
            }
        }
        if !noSummary { printError(String(summary.text(ruleOrder: engine.rules.map(\.name)).dropLast())) }
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

    /// What `-p OPTION` appends, as the release's init_falco_engine.cpp has it. 0.40: the container shorthands add
    /// container (and Kubernetes, gVisor) fields in place of `%container.info`; later releases leave container and
    /// Kubernetes fields to the container plugin and keep only the gVisor ones. Anything else is a format.
    static func printedFields(_ option: String, release: FalcoRelease) -> FalcoConfig.AppendOutput? {
        let container = "container_id=%container.id container_image=%container.image.repository container_image_tag=%container.image.tag container_name=%container.name"
        let kubernetes = "k8s_ns=%k8s.ns.name k8s_pod_name=%k8s.pod.name", gvisor = "vpid=%proc.vpid vtid=%thread.vtid"
        let shorthands: [String: (falco040: String, latest: String?)] = [
            "c": (container, nil), "container": (container, nil),
            "cg": (gvisor + " " + container, gvisor), "container-gvisor": (gvisor + " " + container, gvisor),
            "k": (container + " " + kubernetes, nil), "kubernetes": (container + " " + kubernetes, nil),
            "kg": (gvisor + " " + container + " " + kubernetes, gvisor), "kubernetes-gvisor": (gvisor + " " + container + " " + kubernetes, gvisor),
        ]
        guard let shorthand = shorthands[option] else { return FalcoConfig.AppendOutput(extraOutput: option) }
        switch release {
        case .falco040: return FalcoConfig.AppendOutput(source: "syscall", extraOutput: shorthand.falco040, replacesContainerInfo: true)
        case .latest: return shorthand.latest.map { FalcoConfig.AppendOutput(source: "syscall", extraOutput: $0) }
        }
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
        settings.release = falcoRelease
        if let printAdditional {
            printError("tracelab: warning: the -p/--print option is deprecated in Falco; append_output in falco.yaml is the current way")
            if let entry = Self.printedFields(printAdditional, release: falcoRelease) { settings.appendOutput.append(entry) }
        }
        return settings
    }
}


/// Falco's end-of-run statistics: alerts in all, by priority (most severe first) and by rule (load order).
struct AlertSummary {
    private var byPriority: [Priority: Int] = [:]
    private var byRule: [String: Int] = [:]
    private var total = 0

    mutating func add(_ alert: Alert) {
        total += 1
        byPriority[alert.priority, default: 0] += 1
        byRule[alert.rule, default: 0] += 1
    }

    /// As Falco prints it at exit.
    func text(ruleOrder: [String]) -> String {
        var out = "Events detected: \(total)\nRule counts by severity:\n"
        for priority in Priority.allCases { if let count = byPriority[priority] { out += "   \(priority.name.uppercased()): \(count)\n" } }
        out += "Triggered rules by rule name:\n"
        var seen: Set<String> = []
        for rule in ruleOrder where seen.insert(rule).inserted { if let count = byRule[rule] { out += "   \(rule): \(count)\n" } }
        return out
    }

    /// An alert with the file it came from: `FILE: line` in text, a `tracelab_file` key in JSON.
    static func labelled(_ alert: Alert, style: AlertFormatting.Style, file: String) -> String {
        guard style.json, case .object(let fields) = AlertFormatting.json(alert, style: style) else {
            return file + ": " + AlertFormatting.render(alert, style: style)
        }
        return JSONValue.object(fields + [("tracelab_file", .string(file))]).rendered
    }
}
