import ArgumentParser
import Benchmarking
import Foundation

/// `tracelab bench`: the benchmarks of the `Benchmarking` library, each beside its anchor; this file only
/// parses their options and prints what they measure.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks on generated and recorded data, each beside its anchor (rule engine by default).",
        subcommands: [Engine.self, Store.self, Strace.self, Grade.self, Pcap.self, PromQL.self, Scap.self, RegexMatching.self], defaultSubcommand: Engine.self)

    /// This executable, for the benchmarks that time it as a process (filter, replay --db, grade's children).
    static var tracelab: String { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0] }

    static func report(_ line: String) { print(line) }

    /// `tracelab bench engine`.
    struct Engine: ParsableCommand {
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

        @Option(help: "Timed repetitions of the in-memory replay; the median is reported.")
        var repeats: Int = 3

        func run() throws {
            var benchmark = EngineBenchmark()
            benchmark.events = events
            benchmark.repeats = repeats
            benchmark.traceFile = traceFile
            try benchmark.run(rules: try loadRules(rules), named: rules, output: Bench.report)
        }
    }

    /// `tracelab bench store`.
    struct Store: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "store",
            abstract: "Measure ingest and replay-from-SQLite throughput against sqlite3 .import and JSON Lines replay.")

        @Option(name: .customLong("rules"), help: "Rules files for the replays, loaded in order.")
        var rules: [String]

        @Option(help: "Number of generated events.")
        var events: Int = 1_000_000

        @Option(help: "Folder for the generated trace, databases and CSV (created; reused traces are regenerated).")
        var work: String = "/tmp/tracelab-bench"

        @Option(name: .customLong("memory-events"), help: "Event counts whose replay-from-SQLite peak RSS is measured in a child process.")
        var memoryEvents: [Int] = []

        func run() throws {
            var benchmark = StoreBenchmark()
            benchmark.events = events
            benchmark.work = work
            benchmark.memoryEvents = memoryEvents
            try benchmark.run(tracelab: Bench.tracelab, rules: try loadRules(rules), rulesFiles: rules, output: Bench.report)
        }
    }

    /// `tracelab bench strace`.
    struct Strace: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "strace", abstract: "Measure the strace importer (lines/s) against wc -l and grep -c on the same file.")

        @Option(help: "strace logs to concatenate into the benchmark input (default: traces/syscalls/*.strace).")
        var logs: [String] = []

        @Option(help: "How many times the logs are repeated in the input.")
        var repeats: Int = 20

        @Option(help: "Where the concatenated input is written.")
        var work: String = "/tmp/tracelab-bench"

        func run() throws {
            var benchmark = StraceBenchmark()
            benchmark.logs = logs
            benchmark.repeats = repeats
            benchmark.work = work
            try benchmark.run(output: Bench.report)
        }
    }

    /// `tracelab bench grade`.
    struct Grade: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "grade",
            abstract: "Measure grading: generated variants of examples/submissions graded end to end (target: 200 in under 30 s).")

        @Option(help: "Submissions to generate and grade.")
        var count = 200

        @Option(help: "The answer key.")
        var key = "answers/key.yaml"

        @Option(help: "Where the generated submissions are written.")
        var work = "/tmp/tracelab-bench-grade"

        @Option(help: "Submissions graded at once (default: the number of cores).")
        var jobs: Int?

        func run() throws {
            var benchmark = GradeBenchmark()
            benchmark.count = count
            benchmark.key = key
            benchmark.work = work
            if let jobs { benchmark.workers = jobs }
            try benchmark.run(tracelab: Bench.tracelab, output: Bench.report)
        }
    }

    /// `tracelab bench pcap`.
    struct Pcap: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pcap", abstract: "Measure packet analysis (packets/s) against tcpdump reading the same file, and capture ingest.")

        @Argument(help: "Captures to measure one by one (default: the recorded scan mix and the random-source SYN flood of traces/pcaps).")
        var captures: [String] = []

        @Option(help: "Packets each enlarged capture must hold at least.")
        var packets = 1_000_000

        @Option(help: "Enlarge factor: rounds of each capture (default: as many as reach --packets). Each round's IPv4 addresses are changed, so its flows are new.")
        var times: Int?

        @Option(help: "Timed runs of each side, alternating; the median is reported.")
        var repeats = 5

        @Option(help: "Where the enlarged captures are written.")
        var work = "/tmp/tracelab-bench-pcap"

        func run() throws {
            var benchmark = PcapBenchmark()
            benchmark.captures = captures
            benchmark.packets = packets
            benchmark.times = times
            benchmark.repeats = repeats
            benchmark.work = work
            try benchmark.run(tracelab: Bench.tracelab, output: Bench.report)
        }
    }

    /// `tracelab bench promql`.
    /// `tracelab bench regex`.
    struct RegexMatching: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "regex", abstract: "Measure RE2 against Swift's Regex (the engine used before) on the lab's and Node Exporter Full's regexes over recorded strings.")

        @Option(help: "Timed runs of each pattern on each engine, alternating; the median is reported.")
        var repeats = 5

        func run() throws {
            var benchmark = RegexBenchmark()
            benchmark.repeats = repeats
            try benchmark.run(root: FileManager.default.currentDirectoryPath, output: Bench.report)
        }
    }

    struct PromQL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "promql", abstract: "Measure PromQL range queries against a local Prometheus on the same generated hour of data.")

        @Option(help: "Series to generate (half CPU counters, half memory gauges).")
        var series = 1000

        @Option(help: "Seconds of data, one sample per second.")
        var seconds = 3600

        @Option(help: "Range query step in seconds (Grafana's for a one-hour panel is about 15 s).")
        var step = 15

        @Option(help: "Timed runs of each query on each side; the median is reported.")
        var repeats = 5

        @Option(help: "Threads a range query may use (default: every core).")
        var threads = ProcessInfo.processInfo.activeProcessorCount

        @Option(help: "Where the data and Prometheus's blocks are written.")
        var work = "/tmp/tracelab-bench-promql"

        func run() throws {
            var benchmark = PromQLBenchmark()
            benchmark.series = series
            benchmark.seconds = seconds
            benchmark.step = step
            benchmark.repeats = repeats
            benchmark.threads = threads
            benchmark.work = work
            try benchmark.run(output: Bench.report)
        }
    }

    /// `tracelab bench scap`.
    struct Scap: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scap", abstract: "Measure scap filtering (events/s) against sysdig on a capture of 1,000,000+ events, and rule replay.")

        @Argument(help: "Captures to enlarge (e.g. ../shared/upstream/scap/*.scap): each one's event blocks are repeated, as libscap wrote them. None: TraceLab's own recordings written as scap.")
        var captures: [String] = []

        @Option(help: "scap events each capture must hold at least (each syscall is an enter and an exit event).")
        var events = 1_000_000

        @Option(help: "Enlarge factor: how many times each capture's event blocks are repeated (default: as many as reach --events).")
        var times: Int?

        @Option(help: "The conditions both tools filter with (default: a selective and a broad one).")
        var condition: [String] = []

        @Option(help: "Rules to replay the capture through (default: ../shared/upstream/falco_rules.yaml).")
        var rules: [String] = []

        @Option(help: "Timed runs of each side, alternating; the median is reported.")
        var repeats = 5

        @Option(help: "Where the captures are written.")
        var work = "/tmp/tracelab-bench-scap"

        func run() throws {
            var benchmark = ScapBenchmark()
            benchmark.events = events
            benchmark.times = times
            if !condition.isEmpty { benchmark.conditions = condition }
            benchmark.repeats = repeats
            benchmark.captures = captures
            benchmark.work = work
            let rulesFiles = rules.isEmpty ? ["../shared/upstream/falco_rules.yaml"] : rules
            let present = rulesFiles.allSatisfy { FileManager.default.fileExists(atPath: $0) }
            try benchmark.run(tracelab: Bench.tracelab, rules: present ? (try loadRules(rulesFiles), rulesFiles) : nil,
                              whyNoRules: "\(rulesFiles.joined(separator: ", ")) absent; give --rules", output: Bench.report)
        }
    }
}
