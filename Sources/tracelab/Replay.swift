import ArgumentParser
import FalcoRules
import TraceModel
import TraceReaders

/// `tracelab replay`: runs traces through the rules and prints Falco's alerts.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay traces through Falco rules and print the alerts, as Falco would.")

    @Option(name: .customLong("rules"), help: "A rules file; repeat to load several in order.")
    var rules: [String] = []

    @Option(help: "Minimum rule priority (Falco's priority setting), e.g. warning.")
    var priority: String = "debug"

    @Option(help: "text (Falco's alert line) or json (Falco's JSON alert).")
    var format: OutputStyle = .text

    @Option(name: .customLong("rule-matching"), help: "first (Falco's default) or all.")
    var ruleMatching: String = "first"

    @Option(name: .customShort("D"), help: "Disable rules whose name matches this pattern (repeatable).")
    var disable: [String] = []

    @Option(name: .customShort("T"), help: "Disable rules with this tag (repeatable).")
    var disableTag: [String] = []

    @Option(name: .customShort("t"), help: "Enable only rules with this tag (repeatable).")
    var enableTag: [String] = []

    @Argument(help: "Trace files (native JSON Lines).")
    var traces: [String]

    func validate() throws {
        if rules.isEmpty { throw ValidationError("give at least one --rules file") }
        if Priority(parsing: priority) == nil { throw ValidationError("unknown priority '\(priority)'") }
        if RuleMatching(rawValue: ruleMatching) == nil { throw ValidationError("--rule-matching must be first or all") }
    }

    func run() throws {
        let loader = try loadRules(rules)
        let engine = RuleEngine(loader: loader, minimumPriority: Priority(parsing: priority) ?? .debug,
                                matching: RuleMatching(rawValue: ruleMatching) ?? .first)
        if !enableTag.isEmpty {
            engine.setEnabled(false, ruleNamePattern: "*")
            for tag in enableTag { engine.setEnabled(true, tag: tag) }
        }
        for tag in disableTag { engine.setEnabled(false, tag: tag) }
        for pattern in disable { engine.setEnabled(false, ruleNamePattern: pattern) }
        var failed = false
        for path in traces {
            do {
                let reader = try JSONLinesReader(path: path)
                while let event = try reader.next() {
                    for alert in engine.process(event) {
                        print(format == .json ? AlertFormatting.json(alert).rendered : AlertFormatting.textLine(alert))
                    }
                }
            } catch {
                printError("tracelab: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
