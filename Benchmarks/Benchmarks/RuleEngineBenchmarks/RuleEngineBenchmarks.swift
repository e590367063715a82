import Benchmark
import FalcoRules
import TraceModel
import TraceReaders

/// The upstream stable rules (`../shared/upstream/falco_rules.yaml`, or `TRACELAB_RULES`) over a
/// generated trace with a realistic syscall mix. Reports throughput and allocations per event; the
/// anchor is a single Falco consumer thread (hundreds of thousands of events/s in production).
let benchmarks: @Sendable () -> Void = {
    let rulesPath = Benchmark.environment("TRACELAB_RULES") ?? "../../shared/upstream/falco_rules.yaml"
    let eventCount = 1_000_000

    Benchmark("Replay upstream stable rules (1M generated events)",
              configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal, .peakMemoryResident],
                                   maxDuration: .seconds(60), maxIterations: 5)) { benchmark in
        let loader = RulesLoader()
        loader.load(path: rulesPath)
        precondition(loader.results.allSatisfy(\.successful), "rules did not load: \(rulesPath)")
        let engine = RuleEngine(loader: loader)
        let trace = Array(SyntheticTrace(count: eventCount))
        for event in trace.prefix(10_000) { _ = engine.process(event) }
        benchmark.startMeasurement()
        var alerts = 0
        for event in trace { alerts += engine.process(event).count }
        benchmark.stopMeasurement()
        blackHole(alerts)
    }
}

extension Benchmark {
    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

#if canImport(Glibc)
import Glibc
#endif
