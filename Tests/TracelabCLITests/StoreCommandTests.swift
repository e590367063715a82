import Foundation
import Testing
import TraceModel
import TraceReaders

/// The store as separate processes use it: killed mid-ingest, and two processes at once.
@Suite("tracelab store commands", .serialized)
struct StoreCommandTests {
    static func database(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tracelab-cli-\(getpid())-\(name).sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        return path
    }

    /// A generated trace of `count` events in the native format.
    static func largeTrace(_ count: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tracelab-cli-\(getpid())-large-\(count).jsonl").path
        if FileManager.default.fileExists(atPath: path) { return path }
        var writer = JSONLinesWriter()
        guard let file = fopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
        fputs(writer.header(TraceHeader(hostname: "generated", source: "SyntheticTrace")), file)
        for event in SyntheticTrace(count: count) { fputs(writer.lines(for: event), file) }
        fclose(file)
        return path
    }

    static func start(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.executable)
        process.arguments = arguments
        process.currentDirectoryURL = CLITests.root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    @Test("ingest, replay, runs, alerts, diff and stats from the command line")
    func commands() throws {
        let db = Self.database("commands")
        let ingest = try CLITests.run(["ingest", "--db", db, "traces/examples"])
        #expect(ingest.status == 0)
        #expect(ingest.stdout.contains("traces/examples/cat-etc-shadow.jsonl      ingested  1      5"))
        let replay = try CLITests.run(["replay", "--db", db, "--rules", "rules/default_rules.yaml"])
        #expect(replay.status == 0)
        #expect(replay.stdout.split(separator: "\n").count == 2)
        #expect(replay.stderr.contains("run 1: 8 events from 2 trace(s), 2 alerts"))
        let file = try CLITests.run(["replay", "--rules", "rules/default_rules.yaml", "traces/examples/cat-etc-shadow.jsonl", "traces/examples/shell-in-container.jsonl"])
        #expect(file.stdout == replay.stdout)
        _ = try CLITests.run(["replay", "--db", db, "--trace", "1", "--rules", "rules/default_rules.yaml"])
        let diff = try CLITests.run(["diff", "--db", db, "1", "2"])
        #expect(diff.stdout.hasPrefix("run 1 -> run 2: 1 alerts lost, 0 gained\n- trace 2 event 1: Terminal shell in container (Notice)"))
        let csv = try CLITests.run(["alerts", "--db", db, "--run", "1", "--format", "csv"])
        #expect(csv.stdout.hasPrefix("run,trace,event_seq,event_num,time,rule,priority,output\n1,1,1,2,2025-03-27T13:03:21.000100000Z,Read sensitive file untrusted,Warning,"))
        let json = try CLITests.run(["alerts", "--db", db, "--run", "1", "--format", "json"])
        #expect(json.stdout.hasPrefix(#"{"hostname":"minikube","output":"13:03:21.000100000: Warning Sensitive file opened"#))
        let stats = try CLITests.run(["db", "stats", "--db", db])
        #expect(stats.stdout.contains(#/\nevents +8\n/#))
        #expect(try CLITests.run(["db", "check", "--db", db]).status == 0)
        let missing = try CLITests.run(["alerts", "--db", db, "--run", "99"])
        #expect(missing.status == 1 && missing.stderr.contains("no run 99"))
    }

    @Test("killed with SIGKILL mid-ingest: ingesting again gives one complete trace and a sound database")
    func crashSafety() throws {
        let trace = try Self.largeTrace(200_000)
        let db = Self.database("crash")
        let (process, _, _) = try Self.start(["ingest", "--db", db, trace])
        // Wait until the ingest is writing (the WAL grows), then kill it.
        var waited = 0
        while waited < 200 {
            let size = (try? FileManager.default.attributesOfItem(atPath: db + "-wal")[.size] as? Int) ?? 0
            if size > 2_000_000 { break }
            usleep(20_000)
            waited += 1
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let afterKill = try CLITests.run(["traces", "--db", db])
        #expect(afterKill.stdout.split(separator: "\n").count == 1, "no partial trace may be visible: \(afterKill.stdout)")
        let again = try CLITests.run(["ingest", "--db", db, trace])
        #expect(again.status == 0)
        let traces = try CLITests.run(["traces", "--db", db])
        let rows = traces.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 1)
        #expect(rows.first?.contains("200000") == true)
        let stats = try CLITests.run(["db", "stats", "--db", db])
        #expect(stats.stdout.contains(#/\ntraces +1\n/#) && stats.stdout.contains(#/\nevents +200000\n/#))
        let check = try CLITests.run(["db", "check", "--db", db])
        #expect(check.stdout.hasSuffix("integrity_check: ok\n"))
    }

    @Test("one process ingesting while another replays: both succeed, no 'database is locked'")
    func concurrency() throws {
        let trace = try Self.largeTrace(200_000)
        let db = Self.database("concurrent")
        #expect(try CLITests.run(["ingest", "--db", db, "traces/examples"]).status == 0)
        let (ingest, ingestOut, ingestErr) = try Self.start(["ingest", "--db", db, trace])
        usleep(300_000)
        let (replay, replayOut, replayErr) = try Self.start(["replay", "--db", db, "--trace", "1", "--rules", "rules/default_rules.yaml"])
        let replayOutput = String(decoding: replayOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let replayErrors = String(decoding: replayErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        replay.waitUntilExit()
        _ = ingestOut.fileHandleForReading.readDataToEndOfFile()
        let ingestErrors = String(decoding: ingestErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ingest.waitUntilExit()
        #expect(ingest.terminationStatus == 0, "\(ingestErrors)")
        #expect(replay.terminationStatus == 0, "\(replayErrors)")
        #expect(!replayErrors.contains("database is locked") && !ingestErrors.contains("database is locked"))
        #expect(replayOutput.contains("Warning Sensitive file opened for reading by non-trusted program"))
        let runs = try CLITests.run(["runs", "--db", db])
        #expect(runs.stdout.split(separator: "\n").count == 2)
        let traces = try CLITests.run(["traces", "--db", db])
        #expect(traces.stdout.split(separator: "\n").count == 4)
    }
}
