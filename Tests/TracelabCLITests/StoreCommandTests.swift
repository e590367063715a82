import Foundation
import TestSupport
import Testing
import TraceModel
import TraceReaders

/// The store as separate processes use it: killed mid-ingest, and two processes at once.
@Suite("tracelab store commands", .serialized)
struct StoreCommandTests {
    static func database(_ name: String) -> String {
        let path = Scratch.directory.appendingPathComponent("tracelab-cli-\(getpid())-\(name).sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        return path
    }

    /// A generated trace of `count` events in the native format.
    static func largeTrace(_ count: Int) throws -> String {
        let path = Scratch.directory.appendingPathComponent("tracelab-cli-\(getpid())-large-\(count).jsonl").path
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

    /// Reads standard error until the child reports a line with `marker` (the handshake that replaces waiting
    /// a while): the child is then known to be where the test wants it. False when it ended first.
    static func waitForLine(containing marker: String, in pipe: Pipe) -> Bool {
        var seen = ""
        let handle = pipe.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { return false }
            seen += String(decoding: chunk, as: UTF8.self)
            if seen.contains(marker) { return true }
        }
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
        // With several files, each alert line starts with its file (as grep does); otherwise the same alerts.
        let lines = file.stdout.split(separator: "\n").map(String.init)
        #expect(lines.map { $0.hasPrefix("traces/examples/cat-etc-shadow.jsonl: ") || $0.hasPrefix("traces/examples/shell-in-container.jsonl: ") } == [true, true])
        #expect(lines.map { String($0[$0.index(after: $0.firstIndex(of: " ") ?? $0.startIndex)...]) }.joined(separator: "\n") + "\n" == replay.stdout)
        #expect(file.stderr.hasSuffix("Events detected: 2\nRule counts by severity:\n   WARNING: 1\n   NOTICE: 1\nTriggered rules by rule name:\n   Read sensitive file untrusted: 1\n   Terminal shell in container: 1\n"), "\(file.stderr)")
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

    @Test("alerts --format csv keeps a student's rule name that starts with = as text, not a spreadsheet formula")
    func csvFormulaGuard() throws {
        let db = Self.database("csv-formula")
        let rules = Scratch.directory.appendingPathComponent("tracelab-cli-\(getpid())-formula.yaml").path
        try #"""
            - rule: =HYPERLINK("http://example.invalid","x")
              desc: a rule name a spreadsheet would run
              condition: evt.type = openat and fd.name = /etc/shadow
              output: "-2+3 opened %fd.name"
              priority: WARNING
            """#.write(toFile: rules, atomically: true, encoding: .utf8)
        #expect(try CLITests.run(["ingest", "--db", db, "traces/examples/cat-etc-shadow.jsonl"]).status == 0)
        #expect(try CLITests.run(["replay", "--db", db, "--rules", rules]).status == 0)
        let csv = try CLITests.run(["alerts", "--db", db, "--run", "1", "--format", "csv"])
        #expect(csv.stdout == """
            run,trace,event_seq,event_num,time,rule,priority,output
            1,1,1,2,2025-03-27T13:03:21.000100000Z,"'=HYPERLINK(""http://example.invalid"",""x"")",Warning,'-2+3 opened /etc/shadow

            """)
    }

    @Test("killed with SIGKILL mid-ingest: ingesting again gives one complete trace and a sound database")
    func crashSafety() throws {
        let trace = try Self.largeTrace(200_000)
        let db = Self.database("crash")
        // The ingest reports each 16,384 events it has written inside its transaction: at the first report it is
        // mid-ingest (199 of 200 thousand events still to come), and it is killed there.
        let (process, _, errors) = try Self.start(["ingest", "--db", db, "--progress-every", "1000", trace])
        #expect(Self.waitForLine(containing: "events", in: errors), "the ingest reported no progress")
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
        // The replay starts once the ingest reports it is writing inside its transaction.
        let (ingest, ingestOut, ingestErr) = try Self.start(["ingest", "--db", db, "--progress-every", "1000", trace])
        #expect(Self.waitForLine(containing: "events", in: ingestErr), "the ingest reported no progress")
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
