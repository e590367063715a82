import FalcoRules
import Foundation
import Replay
import Store
import TraceModel
import TraceReaders

#if canImport(Glibc)
import Glibc
#endif

/// Ingest and replay throughput of the SQLite store on the generated trace, beside sqlite3's own `.import`
/// of the same rows and a replay from the JSON Lines file; optionally the peak memory of
/// `tracelab replay --db` at several sizes, each in a child process.
public struct StoreBenchmark {
    public var events = 1_000_000
    /// Folder for the generated trace, databases and CSV (created; reused traces are regenerated).
    public var work = "/tmp/tracelab-bench"
    /// Event counts whose replay-from-SQLite peak RSS is measured.
    public var memoryEvents: [Int] = []

    public init() {}

    /// `rulesFiles` are loaded into `loader` already (their paths go into the stored run and the child's command line).
    public func run(tracelab: String, rules loader: RulesLoader, rulesFiles: [String], output: BenchmarkOutput) throws {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let trace = work + "/trace-\(events).jsonl"
        try writeSyntheticTrace(events, to: trace)
        let database = work + "/store-\(events).sqlite"
        removeDatabase(database)
        let store = try TraceStore(path: database)

        var start = monotonicSeconds()
        let outcome = try store.ingest(path: trace)
        let ingestSeconds = monotonicSeconds() - start
        output(String(format: "ingest (JSON Lines -> SQLite, one transaction): %.0f events/s (%d events in %.2f s)",
                      Double(outcome.events) / ingestSeconds, outcome.events, ingestSeconds))

        if let anchor = try sqliteImport(database: database, output: output) {
            output(String(format: "anchor: sqlite3 .import --csv of the same %d rows: %.0f rows/s (%.2f s)", outcome.events,
                          Double(outcome.events) / anchor, anchor))
        }

        let files = rulesFiles.map { ($0, FileBytes.sha256($0) ?? "unreadable") }
        start = monotonicSeconds()
        let run = try TraceReplay.run(traceIDs: [outcome.traceID], from: store, through: RuleEngine(loader: loader),
                                      setup: RunSetup(rulesFiles: files, config: FalcoConfig().json)) { _, _ in }
        let storeSeconds = monotonicSeconds() - start
        output(String(format: "replay from SQLite (cursor -> engine -> run stored): %.0f events/s (%d alerts, %.2f s)",
                      Double(run.eventCount) / storeSeconds, run.alertCount, storeSeconds))

        start = monotonicSeconds()
        var fileAlerts = 0
        let fileEvents = try TraceReplay.run(try JSONLinesReader(path: trace), through: RuleEngine(loader: loader)) { _, _ in fileAlerts += 1 }
        let fileSeconds = monotonicSeconds() - start
        output(String(format: "replay from the JSON Lines file: %.0f events/s (%d alerts, %.2f s)", Double(fileEvents) / fileSeconds, fileAlerts, fileSeconds))

        for count in memoryEvents {
            let memoryTrace = work + "/trace-\(count).jsonl"
            if count != events { try writeSyntheticTrace(count, to: memoryTrace) }
            let memoryDatabase = work + "/memory-\(count).sqlite"
            removeDatabase(memoryDatabase)
            _ = try TraceStore(path: memoryDatabase).ingest(path: memoryTrace)
            let rss = try measuredRun(tracelab, ["replay", "--db", memoryDatabase] + rulesFiles.flatMap { ["--rules", $0] }, package: "tracelab").peakKiB
            output("peak RSS of `tracelab replay --db` over \(count) events: \(rss / 1024) MB")
        }
    }

    /// Times `sqlite3 .import --csv` of the stored event rows into a table of the same columns (nil without sqlite3).
    private func sqliteImport(database: String, output: BenchmarkOutput) throws -> Double? {
        let sqlite3 = "/usr/bin/sqlite3"
        guard FileManager.default.isExecutableFile(atPath: sqlite3) else {
            output("anchor: sqlite3 is not installed (apt-get install sqlite3); skipped")
            return nil
        }
        let csv = work + "/events.csv", anchor = work + "/anchor.sqlite"
        removeDatabase(anchor)
        try timedRun(sqlite3, ["-csv", database, "SELECT trace_id, seq, num, ts, type, dir, cpu, thread_id, fd_id, hex(params) FROM events"], output: csv, package: "sqlite3")
        try timedRun(sqlite3, [anchor, "PRAGMA journal_mode=WAL; CREATE TABLE events (trace_id INTEGER NOT NULL, seq INTEGER NOT NULL, num INTEGER NOT NULL, ts INTEGER NOT NULL, type TEXT NOT NULL, dir TEXT NOT NULL, cpu INTEGER NOT NULL, thread_id INTEGER, fd_id INTEGER, params BLOB NOT NULL);"], package: "sqlite3")
        return try timedRun(sqlite3, [anchor, ".import --csv \(csv) events"], package: "sqlite3")
    }
}
