import FalcoRules
import Foundation
import Replay
import TraceModel
import TraceReaders

/// Rule-engine throughput on the generated trace (a realistic syscall mix) on one core: from memory (the
/// engine alone, median of `repeats`) and, with `traceFile`, from a JSON Lines file (reader plus engine).
public struct EngineBenchmark {
    public var events = 1_000_000
    public var repeats = 3
    /// Also write the trace here and replay it from the file.
    public var traceFile: String?

    public init() {}

    /// Replays through the rules `loader` holds (`rulesNames` only label the output).
    public func run(rules loader: RulesLoader, named rulesNames: [String], output: BenchmarkOutput) throws {
        let engine = RuleEngine(loader: loader)
        let trace = Array(SyntheticTrace(count: events))
        var counts: [String: Int] = [:]
        for event in trace { counts[event.type, default: 0] += 1 }
        output("trace: \(trace.count) generated events; mix: " + counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        output("rules: \(engine.rules.count) compiled from \(rulesNames.joined(separator: ", "))")
        for event in trace.prefix(10_000) { _ = engine.process(event) }  // warm the per-type buckets
        var timings: [Double] = []
        var alerts = 0
        for _ in 0..<max(1, repeats) {
            alerts = 0
            let start = monotonicSeconds()
            for event in trace { alerts += engine.process(event).count }
            timings.append(monotonicSeconds() - start)
        }
        let middle = median(timings)
        output(String(format: "in-memory replay: %.0f events/s (%.1f ns/event, median of %d runs: %@), %d alerts",
                      Double(trace.count) / middle, middle * 1e9 / Double(trace.count), timings.count,
                      timings.map { String(format: "%.0f ms", $0 * 1000) }.joined(separator: ", "), alerts))
        guard let traceFile else { return }
        try writeSyntheticTrace(events, to: traceFile)
        let start = monotonicSeconds()
        var fileAlerts = 0
        let fileEvents = try TraceReplay.run(try JSONLinesReader(path: traceFile), through: engine) { _, _ in fileAlerts += 1 }
        let elapsed = monotonicSeconds() - start
        output(String(format: "JSON Lines replay: %.0f events/s (%d events, %d alerts) from %@", Double(fileEvents) / elapsed, fileEvents, fileAlerts, traceFile))
    }
}
