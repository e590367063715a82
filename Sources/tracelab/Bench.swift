import ArgumentParser
import FalcoRules
import Replay
import TraceModel
import TraceReaders

#if canImport(Glibc)
import Glibc
#endif

/// `tracelab bench`: benchmarks of the rule engine (default) and of the store.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks on generated traces (rule engine, store).",
        subcommands: [BenchEngine.self, BenchStore.self, BenchStrace.self, BenchGrade.self, BenchPcap.self, BenchPromQL.self, BenchScap.self], defaultSubcommand: BenchEngine.self)
}

/// `tracelab bench engine`: rule-engine throughput on a generated trace, in memory and from a JSON Lines file.
struct BenchEngine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Measure rule-engine throughput on a generated trace with a realistic syscall mix.",
        discussion: """
        Generates N events (reads, writes, opens, closes, execs, connects...) deterministically, then \
        replays them through the given rules on one core: from memory (the engine alone) and from a \
        JSON Lines file (reader plus engine). Anchor: a single Falco consumer thread sustains hundreds \
        of thousands of events/s in production (see docs/benchmarks.md).
        """)

    @Option(name: .customLong("rules"), help: "Rules files, loaded in order.")
    var rules: [String]

    @Option(help: "Number of generated events.")
    var events: Int = 1_000_000

    @Option(help: "Also write the trace to this JSON Lines file and replay it from there.")
    var traceFile: String?

    @Option(help: "Timed repetitions of the in-memory replay; the best is reported.")
    var repeats: Int = 3

    func run() throws {
        let loader = try loadRules(rules)
        let engine = RuleEngine(loader: loader)
        let trace = Array(SyntheticTrace(count: events))
        var counts: [String: Int] = [:]
        for event in trace { counts[event.type, default: 0] += 1 }
        print("trace: \(trace.count) generated events; mix: " + counts.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print("rules: \(engine.rules.count) compiled from \(rules.joined(separator: ", "))")
        for event in trace.prefix(10_000) { _ = engine.process(event) }  // warm the per-type buckets
        var timings: [Double] = []
        var alerts = 0
        for _ in 0..<max(1, repeats) {
            alerts = 0
            let start = monotonicSeconds()
            for event in trace { alerts += engine.process(event).count }
            timings.append(monotonicSeconds() - start)
        }
        let median = timings.sorted()[timings.count / 2]
        print(String(format: "in-memory replay: %.0f events/s (%.1f ns/event, median of %d runs: %@), %d alerts",
                     Double(trace.count) / median, median * 1e9 / Double(trace.count), timings.count,
                     timings.map { String(format: "%.0f ms", $0 * 1000) }.joined(separator: ", "), alerts))
        guard let traceFile else { return }
        var writer = JSONLinesWriter()
        guard let file = fopen(traceFile, "wb") else { throw ValidationError("cannot write \(traceFile)") }
        for event in trace { fputs(writer.lines(for: event), file) }
        fclose(file)
        let start = monotonicSeconds()
        var fileAlerts = 0
        let fileEvents = try TraceReplay.run(try JSONLinesReader(path: traceFile), through: engine) { _, _ in fileAlerts += 1 }
        let elapsed = monotonicSeconds() - start
        print(String(format: "JSON Lines replay: %.0f events/s (%d events, %d alerts) from %@", Double(fileEvents) / elapsed, fileEvents, fileAlerts, traceFile))
    }
}
