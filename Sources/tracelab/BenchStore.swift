import ArgumentParser
import FalcoRules
import Replay
import Foundation
import Store
import TraceModel
import TraceReaders

/// `tracelab bench store`: ingest and replay throughput of the SQLite store, beside sqlite3's own
/// `.import` of the same rows and a replay from the JSON Lines file, plus peak memory of replays.
struct BenchStore: ParsableCommand {
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
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let trace = try generate(events, name: "trace-\(events).jsonl")
        let database = work + "/store-\(events).sqlite"
        removeDatabase(database)
        let store = try storeCall { try TraceStore(path: database) }

        var start = monotonicSeconds()
        let outcome = try storeCall { try store.ingest(path: trace) }
        let ingestSeconds = monotonicSeconds() - start
        print(String(format: "ingest (JSON Lines -> SQLite, one transaction): %.0f events/s (%d events in %.2f s)",
                     Double(outcome.events) / ingestSeconds, outcome.events, ingestSeconds))

        if let anchor = try sqliteImport(database: database) {
            print(String(format: "anchor: sqlite3 .import --csv of the same %d rows: %.0f rows/s (%.2f s)", outcome.events,
                         Double(outcome.events) / anchor, anchor))
        }

        let loader = try loadRules(rules)
        let files = rules.map { ($0, FileBytes.sha256($0) ?? "unreadable") }
        start = monotonicSeconds()
        let run = try storeCall {
            try TraceReplay.run(traceIDs: [outcome.traceID], from: store, through: RuleEngine(loader: loader), setup: RunSetup(rulesFiles: files, config: FalcoConfig().json)) { _ in }
        }
        let storeSeconds = monotonicSeconds() - start
        print(String(format: "replay from SQLite (cursor -> engine -> run stored): %.0f events/s (%d alerts, %.2f s)",
                     Double(run.eventCount) / storeSeconds, run.alertCount, storeSeconds))

        start = monotonicSeconds()
        let engine = RuleEngine(loader: loader)
        var fileAlerts = 0
        let fileEvents = try TraceReplay.run(try JSONLinesReader(path: trace), through: engine) { _, _ in fileAlerts += 1 }
        let fileSeconds = monotonicSeconds() - start
        print(String(format: "replay from the JSON Lines file: %.0f events/s (%d alerts, %.2f s)", Double(fileEvents) / fileSeconds, fileAlerts, fileSeconds))

        for count in memoryEvents {
            let memoryTrace = count == events ? trace : try generate(count, name: "trace-\(count).jsonl")
            let memoryDatabase = work + "/memory-\(count).sqlite"
            removeDatabase(memoryDatabase)
            _ = try storeCall { try TraceStore(path: memoryDatabase).ingest(path: memoryTrace) }
            let rss = try childPeakRSS([CommandLine.arguments[0], "replay", "--db", memoryDatabase] + rules.flatMap { ["--rules", $0] })
            print("peak RSS of `tracelab replay --db` over \(count) events: \(rss / 1024) MB")
        }
    }

    /// Writes a generated trace, streaming (the events are never all in memory).
    private func generate(_ count: Int, name: String) throws -> String {
        let path = work + "/" + name
        guard let file = fopen(path, "wb") else { throw ValidationError("cannot write \(path)") }
        defer { fclose(file) }
        var writer = JSONLinesWriter()
        fputs(writer.header(TraceHeader(hostname: "bench", source: "tracelab SyntheticTrace")), file)
        for event in SyntheticTrace(count: count) { fputs(writer.lines(for: event), file) }
        return path
    }

    private func removeDatabase(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Times `sqlite3 .import --csv` of the stored event rows into a table of the same columns.
    private func sqliteImport(database: String) throws -> Double? {
        guard let sqlite3 = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first(where: FileManager.default.isExecutableFile) else {
            print("anchor: sqlite3 is not installed (apt-get install sqlite3); skipped")
            return nil
        }
        let csv = work + "/events.csv", anchor = work + "/anchor.sqlite"
        removeDatabase(anchor)
        try runProcess(sqlite3, ["-csv", database, "SELECT trace_id, seq, num, ts, type, dir, cpu, thread_id, fd_id, hex(params) FROM events"], output: csv)
        try runProcess(sqlite3, [anchor, "PRAGMA journal_mode=WAL; CREATE TABLE events (trace_id INTEGER NOT NULL, seq INTEGER NOT NULL, num INTEGER NOT NULL, ts INTEGER NOT NULL, type TEXT NOT NULL, dir TEXT NOT NULL, cpu INTEGER NOT NULL, thread_id INTEGER, fd_id INTEGER, params BLOB NOT NULL);"], output: "/dev/null")
        let start = monotonicSeconds()
        try runProcess(sqlite3, [anchor, ".import --csv \(csv) events"], output: "/dev/null")
        return monotonicSeconds() - start
    }

    private func runProcess(_ executable: String, _ arguments: [String], output: String) throws {
        FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: output)
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("\(executable) \(arguments.joined(separator: " ")) failed") }
    }

    /// Runs a command with its output discarded and returns its peak resident set size in KB.
    private func childPeakRSS(_ command: [String]) throws -> Int {
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let arguments = command.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        guard posix_spawn(&pid, command[0], &actions, nil, arguments, environ) == 0 else { throw ValidationError("cannot run \(command[0])") }
        var status: Int32 = 0
        var usage = rusage()
        wait4(pid, &status, 0, &usage)
        return usage.ru_maxrss
    }
}
