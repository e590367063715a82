import ArgumentParser
import Foundation
import FalcoRules
import Metrics
import Packets
import Replay
import Store
import TraceModel
import TraceReaders

#if canImport(Glibc)
import Glibc
#endif

/// `--db PATH`, else `$TRACELAB_DB`, else `./tracelab.sqlite`.
struct DatabaseOption: ParsableArguments {
    @Option(name: .customLong("db"), help: "The SQLite database (default: $TRACELAB_DB or ./tracelab.sqlite).")
    var path: String?

    var resolvedPath: String {
        path ?? TraceStore.defaultPath(environment: environment())
    }

    func open(readOnly: Bool = false) throws -> TraceStore {
        do {
            return try TraceStore(path: resolvedPath, readOnly: readOnly) { notice in printError("tracelab: \(notice)") }
        } catch {
            printError("tracelab: \(error)")
            throw ExitCode(1)
        }
    }
}

/// The process environment as a dictionary.
func environment() -> [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") { result[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
        pointer += 1
    }
    return result
}

/// `tracelab ingest`: store traces once, by content hash.
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ingest trace files into the SQLite store (each file in one transaction; the same content is stored once).")

    @OptionGroup var database: DatabaseOption

    @Option(help: "The sidecar of strace logs (default: FILE.sidecar.json next to each log).")
    var sidecar: String?

    @Option(help: "A BPF filter applied to packet captures on input, as tcpdump's.")
    var filter: String?

    @Option(name: .customLong("progress-every"), help: "Print a progress line on standard error each time this many more events are written (default: every 2 s when standard error is not a terminal).")
    var progressEvery: Int?

    @OptionGroup var strictness: StrictOption

    @Argument(help: "Trace files, packet captures (pcap, pcapng, gzip), metric files (.om OpenMetrics, .prom Prometheus text) or folders of them.")
    var inputs: [String]

    func run() throws {
        let store = try database.open()
        let files = expandDirectories(inputs, suffixes: [".jsonl", ".strace", ".pcap", ".pcapng", ".gz", ".om", ".prom"])
        if files.isEmpty { throw ValidationError("no trace files found in \(inputs.joined(separator: ", "))") }
        if let progressEvery, progressEvery < 1 { throw ValidationError("--progress-every takes a number of events") }
        let progress = ProgressLine(every: progressEvery)
        var outcomes: [IngestOutcome] = []
        var captures: [CaptureIngestOutcome] = []
        var metrics: [MetricIngestOutcome] = []
        var failures: [String] = []
        var problems = InputProblems()
        /// Runs one ingest; a failure is printed and counted, and the batch goes on.
        func attempt<Outcome>(_ file: String, _ body: () throws -> Outcome) -> Outcome? {
            do { return try body() } catch {
                printError("tracelab: \(error)")
                failures.append(file)
                return nil
            }
        }
        for file in files {
            if MetricStore.isMetricsFile(file) {
                if let outcome = attempt(file, { try store.ingestMetrics(path: file) }) {
                    for problem in outcome.problems { problems.report(problem) }
                    metrics.append(outcome)
                }
                continue
            }
            if CaptureReader.isCapture(file) {
                if let outcome = attempt(file, { try CaptureIngest.run(file, filter: filter, into: store) }) {
                    for problem in outcome.problems { problems.report("\(file): \(problem)") }
                    captures.append(outcome)
                }
                continue
            }
            let outcome = attempt(file) { try store.ingest(path: file, sidecar: sidecar) { progress.update($0) } }
            progress.finish(file)
            for warning in outcome?.warnings ?? [] { problems.report(warning) }
            if let outcome { outcomes.append(outcome) }
        }
        var rows: [[String]] = []
        for outcome in outcomes {
            let counts = [outcome.events, outcome.threads, outcome.fds, outcome.containers].map { String($0) }
            rows.append([outcome.path, outcome.status.rawValue, String(outcome.traceID)] + counts + [String(outcome.contentHash.prefix(12))])
        }
        for failure in failures { rows.append([failure, "failed", "-", "-", "-", "-", "-", "-"]) }
        if !rows.isEmpty { print(textTable(["file", "status", "trace", "events", "threads", "fds", "containers", "sha256"], rows)) }
        if !captures.isEmpty {
            print(textTable(["capture file", "status", "capture", "packets", "flows", "detections", "series", "samples", "sha256"], captures.map { outcome in
                [outcome.path, outcome.status.rawValue, String(outcome.captureID)]
                    + [outcome.packets, outcome.flows, outcome.detections, outcome.series, outcome.samples].map { String($0) } + [String(outcome.contentHash.prefix(12))]
            }))
        }
        if !metrics.isEmpty {
            print(textTable(["metrics file", "status", "file", "format", "series", "samples", "sha256"], metrics.map { outcome in
                [outcome.path, outcome.status.rawValue, String(outcome.fileID), outcome.format, String(outcome.series), String(outcome.samples), String(outcome.contentHash.prefix(12))]
            }))
        }
        if !failures.isEmpty { throw ExitCode(1) }
        try problems.finish(strict: strictness.strict)
    }
}

/// A progress bar with rate and ETA on a terminal; plain lines when standard error is not one.
final class ProgressLine {
    private let isTerminal: Bool
    /// With a count: a plain line each time that many more events are written, whatever the time.
    private let every: Int?
    private var started = monotonicSeconds()
    private var lastPrinted = 0.0
    private var lastBucket = 0
    private var current = ""

    init(every: Int? = nil) {
        self.every = every
        isTerminal = every == nil && isatty(2) != 0
    }

    func update(_ progress: IngestProgress) {
        if current != progress.path {
            current = progress.path
            started = monotonicSeconds()
            lastPrinted = 0
            lastBucket = 0
        }
        let elapsed = monotonicSeconds() - started
        if let every {
            guard progress.events / every > lastBucket else { return }
            lastBucket = progress.events / every
        } else {
            guard elapsed - lastPrinted >= (isTerminal ? 0.1 : 2.0) else { return }
        }
        lastPrinted = elapsed
        let fraction = progress.totalBytes > 0 ? min(1, Double(progress.bytesRead) / Double(progress.totalBytes)) : 0
        let rate = elapsed > 0 ? Double(progress.events) / elapsed : 0
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line = String(format: "\r[%@] %3.0f%% %d events %.0fk ev/s ETA %.0fs  ", bar, fraction * 100, progress.events, rate / 1000, eta)
            _ = line.withCString { write(2, $0, strlen($0)) }
        } else {
            printError(String(format: "tracelab: %@: %.0f%% (%d events, %.0fk events/s)", progress.path, fraction * 100, progress.events, rate / 1000))
        }
    }

    func finish(_ path: String) {
        if isTerminal, lastPrinted > 0 { _ = "\r\u{1B}[K".withCString { write(2, $0, strlen($0)) } }
        current = ""
    }
}

/// `tracelab db stats`.
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "db", abstract: "Inspect the database.", subcommands: [Stats.self, Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run SQLite's integrity check (exit 1 unless it says ok).")
        @OptionGroup var database: DatabaseOption

        func run() throws {
            let store = try database.open(readOnly: true)
            let result = try storeCall { try store.integrityCheck() }
            print("\(store.path): integrity_check: \(result)")
            if result != "ok" { throw ExitCode(1) }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Row counts per table and the database size.")
        @OptionGroup var database: DatabaseOption

        func run() throws {
            let store = try database.open(readOnly: true)
            let rows = try storeCall { try store.statistics() }
            print("database: \(store.path)")
            print(textTable(["table", "rows"], rows.map { [$0.0, $0.1] }))
        }
    }
}

/// `tracelab traces`.
struct Traces: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the stored traces and packet captures.")
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let store = try database.open(readOnly: true)
        let traces = try storeCall { try store.traces() }
        var rows: [[String]] = []
        for trace in traces {
            let start = trace.firstTimestamp.map { formatISOTime(UInt64(bitPattern: $0)) } ?? "-"
            let end = trace.lastTimestamp.map { formatISOTime(UInt64(bitPattern: $0)) } ?? "-"
            rows.append([String(trace.id), String(trace.contentHash.prefix(12)), trace.kind, String(trace.eventCount), start, end,
                         trace.hostname ?? "-", trace.sourcePath])
        }
        print(textTable(["id", "sha256", "kind", "events", "start", "end", "host", "source"], rows))
        let captures = try storeCall { try store.captures() }
        guard !captures.isEmpty else { return }
        print("")
        print(textTable(["capture", "sha256", "format", "link", "packets", "flows", "detections", "start", "end", "source"], captures.map { capture in
            [String(capture.id), String(capture.contentHash.prefix(12)), capture.format, capture.linkType, String(capture.packetCount), String(capture.flowCount),
             String(capture.detectionCount), capture.firstTimestamp.map { formatISOTime(UInt64(bitPattern: $0)) } ?? "-",
             capture.lastTimestamp.map { formatISOTime(UInt64(bitPattern: $0)) } ?? "-", capture.sourcePath]
        }))
    }
}

/// `tracelab runs`.
struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the stored replay runs.")
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let store = try database.open(readOnly: true)
        let runs = try storeCall { try store.runs() }
        var rows: [[String]] = []
        for run in runs {
            let traces = run.traceIDs.map { String($0) }.joined(separator: ",")
            rows.append([String(run.id), run.status, run.startedAt, traces, String(run.eventCount), String(run.alertCount),
                         run.durationMilliseconds.map { String($0) } ?? "-", String(run.rulesetHash.prefix(12))])
        }
        print(textTable(["id", "status", "started", "traces", "events", "alerts", "ms", "ruleset"], rows))
    }
}

/// Output formats of `tracelab alerts`.
enum AlertListFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, csv
}

/// `tracelab alerts --run N`.
struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the alerts of a stored run.")
    @OptionGroup var database: DatabaseOption

    @Option(name: .customLong("run"), help: "The run id (see tracelab runs).")
    var runID: Int64

    @Option(help: "text (Falco's lines), json (Falco's JSON alerts) or csv.")
    var format: AlertListFormat = .text

    func run() throws {
        let store = try database.open(readOnly: true)
        let alerts = try storeCall { try store.alerts(run: runID) }
        switch format {
        case .text: for stored in alerts { print(AlertFormatting.textLine(stored.alert)) }
        case .json: for stored in alerts { print(AlertFormatting.json(stored.alert).rendered) }
        case .csv:
            print("run,trace,event_seq,event_num,time,rule,priority,output")
            for stored in alerts {
                let alert = stored.alert
                let ids = [stored.runID, stored.traceID, stored.eventSequence].map { String($0) } + [String(alert.eventNumber)]
                let cells = ids + [formatISOTime(alert.time), alert.rule, alert.priority.name, alert.message]
                print(CSV.row(cells))
            }
        }
    }
}

/// `tracelab diff RUN_A RUN_B`.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Alerts gained and lost between two runs: what a rule change did.")
    @OptionGroup var database: DatabaseOption

    @Argument(help: "The earlier run.") var first: Int64
    @Argument(help: "The later run.") var second: Int64

    @Option(help: "text, or json: {from, to, lost: [...], gained: [...]}, each alert with its trace, event and Falco's JSON alert.")
    var format: OutputStyle = .text

    func run() throws {
        let store = try database.open(readOnly: true)
        let (lost, gained) = try storeCall { try store.diff(first, second) }
        if format == .json {
            func entries(_ alerts: [StoredAlert]) -> JSONValue {
                .array(alerts.map { .object([("trace", .integer($0.traceID)), ("event", .unsigned($0.alert.eventNumber)), ("alert", AlertFormatting.json($0.alert))]) })
            }
            print(JSONValue.object([("from", .integer(first)), ("to", .integer(second)), ("lost", entries(lost)), ("gained", entries(gained))]).rendered)
            return
        }
        print("run \(first) -> run \(second): \(lost.count) alerts lost, \(gained.count) gained")
        for stored in lost { print("- trace \(stored.traceID) event \(stored.alert.eventNumber): \(stored.alert.rule) (\(stored.alert.priority.name)) \(stored.alert.message)") }
        for stored in gained { print("+ trace \(stored.traceID) event \(stored.alert.eventNumber): \(stored.alert.rule) (\(stored.alert.priority.name)) \(stored.alert.message)") }
    }
}

/// Runs a store call, printing its error and exiting 1 on failure.
func storeCall<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch {
        printError("tracelab: \(error)")
        throw ExitCode(1)
    }
}
