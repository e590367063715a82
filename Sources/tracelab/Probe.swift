import ArgumentParser
import FalcoRules
import Foundation
import Reports
import Scenarios
import TraceModel

/// `tracelab probe`: replays the evasion corpus through rules and reports, variant by variant, what they catch.
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay the evasion corpus through rules: which variants of each attack they catch and which they miss.",
        discussion: """
        The corpus (scenarios/evasions.yaml) holds recordings of each lab behaviour done many ways, each labelled with \
        whether a correct rule should catch it. The probed rules load after the default rules, as Falco loads \
        rules.d after falco_rules.yaml, and every matching rule alerts (rule_matching: all), so a rule is credited with \
        every variant it matches. Coverage is counted per attack (behaviour and target): the variants a correct rule \
        should catch that the probed rules catch. An attack is in scope when a probed rule catches one of its variants, \
        or when --behaviour names it. Exit 1 when --min-coverage is given and an attack in scope falls below it (or \
        none is in scope).
        """)

    @Option(name: .customLong("rules"), help: "Rules files to probe (or a values.yaml with customRules), loaded in order.")
    var rules: [String] = []

    @Option(name: .customLong("default-rules"), help: "The default rules loaded first (default: rules/default_rules.yaml).")
    var defaultRules: String?

    @Flag(name: .customLong("no-default-rules"), help: "Probe the --rules files alone, as a whole rule set (Falco's own falco_rules.yaml, say).")
    var noDefaultRules = false

    @Option(help: "The corpus scenario (default: scenarios/evasions.yaml).")
    var corpus: String?

    @Option(name: .customLong("behaviour"), help: "Only variants of this behaviour (repeatable): read-file, write-file, shell-in-container, fetch-url-in-container.")
    var behaviours: [String] = []

    @Option(name: .customLong("min-coverage"), help: "Fail (exit 1) when an attack in scope is caught below this share: 0.9 or 90%.")
    var minCoverage: String?

    @Option(help: "text, json, html, or markdown (docs/robustness.md's tables).")
    var format: ProbeFormat = .text

    @Option(name: [.short, .customLong("output")], help: "Write the report to this file instead of standard output.")
    var output: String?

    enum ProbeFormat: String, ExpressibleByArgument, CaseIterable { case text, json, html, markdown }

    /// `0.9`, `90%` or `90` as a share between 0 and 1.
    static func share(_ text: String) -> Double? {
        let percent = text.hasSuffix("%")
        guard let value = Double(percent ? String(text.dropLast()) : text), value.isFinite, value >= 0 else { return nil }
        let share = percent || value > 1 ? value / 100 : value
        return share <= 1 ? share : nil
    }

    func validate() throws {
        if rules.isEmpty { throw ValidationError("name the rules to probe with --rules FILE") }
        if noDefaultRules && defaultRules != nil { throw ValidationError("--default-rules and --no-default-rules contradict each other") }
        if let minCoverage, Self.share(minCoverage) == nil {
            throw ValidationError("--min-coverage takes a share between 0 and 1 or a percentage (0.9, 90%), not '\(minCoverage)'")
        }
    }

    /// The file given with `--option`, else the shipped one.
    static func given(_ path: String?, else relative: String, option: String) throws -> String {
        if let path { return path }
        if let shipped = ExecutableLocation.shipped(relative) { return shipped }
        throw ValidationError("\(relative) is not in this folder or beside the tracelab executable; name it with --\(option)")
    }

    func run() throws {
        let corpusPath = try Self.given(corpus, else: "scenarios/evasions.yaml", option: "corpus")
        let defaults = noDefaultRules ? [] : [try Self.given(defaultRules, else: "rules/default_rules.yaml", option: "default-rules")]
        let loader = try loadRules(defaults)
        let defaultItems = loader.itemLog.count
        try loadRules(rules, into: loader)
        let probed = RobustnessProbe.rules(loadedAfter: defaultItems, in: loader)
        let probe: RobustnessProbe
        do {
            probe = try RobustnessProbe.run(corpus: try Scenario.load(path: corpusPath), loader: loader, probed: probed, behaviours: behaviours)
        } catch {
            printError("tracelab: \(error)")
            throw ExitCode(1)
        }
        let report = switch format {
        case .text: ProbeReports.text(probe, rulesFiles: rules)
        case .json: ProbeReports.json(probe, rulesFiles: rules).rendered + "\n"
        case .html: ProbeReports.html(probe, rulesFiles: rules)
        case .markdown: ProbeReports.markdown(probe)
        }
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(report.utf8)) else {
                printError("tracelab: cannot write \(output)")
                throw ExitCode(1)
            }
        } else {
            print(report, terminator: "")
        }
        if probed.isEmpty { printError("tracelab: warning: \(rules.joined(separator: ", ")) define no rule to probe") }
        guard let minCoverage = minCoverage.flatMap(Self.share) else { return }
        guard let lowest = probe.minimumCoverage else {
            printError("tracelab: no attack in scope: the probed rules catch no variant (name one with --behaviour)")
            throw ExitCode(1)
        }
        for attack in probe.attacks where attack.inScope && attack.coverage < minCoverage {
            printError("tracelab: \(attack.name): coverage \(attack.caught) of \(attack.shouldCatch) is below --min-coverage \(minCoverage)")
        }
        if lowest < minCoverage { throw ExitCode(1) }
    }
}
