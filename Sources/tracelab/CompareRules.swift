import ArgumentParser
import FalcoRules
import Replay
import TraceModel

/// `tracelab compare-rules`: compares a rule set with a reference one name by name — every list by its
/// items, every macro by the events it selects on the same recordings — and prints the table.
struct CompareRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare-rules",
        abstract: "Compare two rule sets macro by macro on recordings (which events each macro selects) and list by list.",
        discussion: """
        Every macro either side defines is evaluated as a filter on every event of the traces (and of the generated \
        benchmark trace with --synthetic N); the table says how many events each side selects and where they first \
        disagree. Lists are compared by their items after list expansion. Exit 1 when a name is missing from the \
        candidate or a macro or list differs.
        """)

    @Option(name: .customLong("reference"), help: "Reference rules files (e.g. Falco's falco_rules.yaml), loaded in order.")
    var reference: [String]

    @Option(name: .customLong("candidate"), help: "Rules files to compare with the reference, loaded in order.")
    var candidate: [String]

    @Option(help: "Also evaluate this many events of the generated benchmark trace (tracelab bench's).")
    var synthetic = 0

    @Flag(help: "Also evaluate probe events: copies of the traces' events made to satisfy each comparison of each macro of either side.")
    var probes = false

    @Argument(help: "Traces (JSON Lines, strace with sidecar, scap) or folders of them.")
    var traces: [String] = []

    func validate() throws {
        if reference.isEmpty || candidate.isEmpty { throw ValidationError("name the --reference and the --candidate rules files") }
        if synthetic < 0 { throw ValidationError("--synthetic takes a number of events") }
    }

    func run() throws {
        let comparison = try RuleSetComparison.run(reference: try loadRules(reference), candidate: try loadRules(candidate),
                                                   traces: expandDirectories(traces, suffixes: [".strace", ".jsonl", ".scap", ".scap.gz"]),
                                                   synthetic: synthetic, probes: probes)
        func name(_ paths: [String]) -> String { paths.map { $0.split(separator: "/").last.map(String.init) ?? $0 }.joined(separator: "+") }
        print(comparison.markdown(referenceName: name(reference), candidateName: name(candidate)), terminator: "")
        if comparison.differs { throw ExitCode(1) }
    }
}
