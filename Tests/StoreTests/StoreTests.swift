import Foundation
import GRDB
import Replay
import TestSupport
import Testing
import FalcoRules
import Store
import TraceModel
import TraceReaders

/// A fresh database file in the temporary folder.
func temporaryDatabase(_ name: String = #function) -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = Scratch.directory.appendingPathComponent("tracelab-store-\(getpid())-\(safe).sqlite").path
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    return path
}

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
func example(_ name: String) -> String { repositoryRoot.appendingPathComponent("traces/examples/\(name)").path }
let labRules = repositoryRoot.appendingPathComponent("rules/default_rules.yaml").path

/// An engine with TraceLab's lab rules.
func labEngine() -> RuleEngine {
    let loader = RulesLoader()
    loader.load(path: labRules)
    return RuleEngine(loader: loader)
}

let labSetup = RunSetup(rulesFiles: [(labRules, FileBytes.sha256(labRules) ?? "")], config: FalcoConfig().json)

@Suite("SQLite store")
struct StoreTests {
    @Test("grades: a submission kept once by content; grading again with the same key replaces its grade")
    func grades() throws {
        let path = temporaryDatabase()
        let store = try TraceStore(path: path)
        func grade(_ name: String, _ sha: String, key: String, score: Double) -> StoredGrade {
            StoredGrade(submissionName: name, submissionPath: "/in/\(name)", submissionSHA256: sha, keyName: "lab", keyVersion: 1, keySHA256: key,
                        score: score, maxScore: 25, error: nil, reportJSON: "{}",
                        items: [StoredGrade.Item(id: "q1", question: "Q1", score: score / 5, maxScore: 5, status: "partial", feedback: ["a \"quote\""])])
        }
        try store.saveGrades([grade("alice", "aa", key: "k1", score: 20), grade("bob", "bb", key: "k1", score: 10)])
        try store.saveGrades([grade("alice", "aa", key: "k1", score: 21), grade("alice", "aa", key: "k2", score: 22)])
        let k1 = try store.grades(keySHA256: "k1")
        #expect(k1.map(\.name) == ["alice", "bob"] && k1.map(\.score) == [21, 10])
        #expect(try store.grades().count == 3)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("SHA-256 matches the FIPS 180-4 test vectors and sha256sum")
    func sha256() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        let chunked = SHA256()
        for chunk in stride(from: 0, to: 1_000_000, by: 777) { chunked.update([UInt8](repeating: 0x61, count: min(777, 1_000_000 - chunk))) }
        #expect(Hex.encode(chunked.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("event parameters round-trip through the stored encoding")
    func codec() {
        let params = [Param.number("fd", -3), Param(name: "name", text: "/etc/shadow"), Param(name: "flags", text: "O_RDONLY|O_CLOEXEC", raw: 4097),
                      Param(name: "data", text: "ab", bytes: [0x61, 0x00, 0xff]), Param(name: "res", text: "EPERM", raw: -1), Param.number("big", Int64.min)]
        var buffer: [UInt8] = []
        EventCodec.encode(params, into: &buffer)
        #expect(buffer.withUnsafeBytes { EventCodec.decode($0) } == params)
        #expect([UInt8]([5, 1]).withUnsafeBytes { EventCodec.decode($0) } == nil)
        // The check readers make before decoding lazily agrees with decoding on every cut and on every single-byte
        // change of the encoding, and a length near 2^64 is refused, not trapped on.
        #expect(buffer.withUnsafeBytes { EventCodec.isValid($0) })
        for end in 0..<buffer.count {
            let cut = Array(buffer[..<end])
            #expect(cut.withUnsafeBytes { EventCodec.isValid($0) } == (cut.withUnsafeBytes { EventCodec.decode($0) } != nil), "cut at \(end)")
        }
        for position in buffer.indices {
            for value: UInt8 in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                var changed = buffer
                changed[position] = value
                #expect(changed.withUnsafeBytes { EventCodec.isValid($0) } == (changed.withUnsafeBytes { EventCodec.decode($0) } != nil),
                        "byte \(position) = \(value)")
            }
        }
        let huge: [UInt8] = [1, 4] + Array("name".utf8) + [0] + [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        #expect(huge.withUnsafeBytes { EventCodec.isValid($0) } == false && huge.withUnsafeBytes { EventCodec.decode($0) } == nil)
    }

    @Test("re-ingesting a stored recording is answered from its cheap fingerprint and content hash, without parsing it again")
    func reingestWithoutParsing() throws {
        let store = try TraceStore(path: temporaryDatabase())
        let strace = repositoryRoot.appendingPathComponent("traces/syscalls/q2-shell-in-nginx.strace").path, lines = example("shell-in-container.jsonl")
        var parsed = 0
        let first = try store.ingest(path: strace) { _ in parsed += 1 }
        _ = try store.ingest(path: lines)
        #expect(first.status == .ingested && parsed > 0)
        parsed = 0
        let again = try store.ingest(path: strace) { _ in parsed += 1 }
        #expect(again.status == .alreadyPresent && again.traceID == first.traceID && again.contentHash == first.contentHash && parsed == 0)
        let linesAgain = try store.ingest(path: lines) { _ in parsed += 1 }
        #expect(linesAgain.status == .alreadyPresent && parsed == 0)
        // Same first and last MiB and size, other content in between: the fingerprint matches, the hash does not.
        let big = Scratch.directory.appendingPathComponent("tracelab-quick-\(getpid()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: big) }
        let text = try String(contentsOfFile: lines, encoding: .utf8)
        try (text + String(repeating: " \n", count: 1_200_000)).write(toFile: big, atomically: true, encoding: .utf8)
        #expect(try store.ingest(path: big).status == .ingested)
        let quick = FileBytes.quickHash(big)
        let changed = String(repeating: " \n", count: 600_000) + "\t\n" + String(repeating: " \n", count: 599_999)
        try (text + changed).write(toFile: big, atomically: true, encoding: .utf8)
        #expect(FileBytes.quickHash(big) != nil && FileBytes.quickHash(big) == quick)
        #expect(try store.ingest(path: big).status == .ingested, "a file that differs in the middle is not taken for the stored one")
    }

    @Test("ingest is idempotent by content, and stored replay equals replay from the file")
    func ingestAndReplay() throws {
        let store = try TraceStore(path: temporaryDatabase())
        let first = try store.ingest(path: example("cat-etc-shadow.jsonl"))
        #expect(first.status == .ingested && first.events == 5 && first.threads == 2 && first.containers == 1)
        let again = try store.ingest(path: example("cat-etc-shadow.jsonl"))
        #expect(again.status == .alreadyPresent && again.traceID == first.traceID)
        _ = try store.ingest(path: example("shell-in-container.jsonl"))
        #expect(try store.traces().count == 2)
        #expect(try store.resolveTrace(example("shell-in-container.jsonl")).id == 2)
        #expect(try store.resolveTrace(String(first.contentHash.prefix(10))).id == first.traceID)

        var fromStore: [Alert] = []
        let run = try TraceReplay.run(traceIDs: [1, 2], from: store, through: labEngine(), setup: labSetup) { alert, _ in fromStore.append(alert) }
        let fileEngine = labEngine()
        var fromFile: [Alert] = []
        for name in ["cat-etc-shadow.jsonl", "shell-in-container.jsonl"] {
            for event in try JSONLinesReader.readAll(path: example(name)) { fromFile += fileEngine.process(event) }
        }
        #expect(fromStore == fromFile)
        #expect(fromStore.count == 2)
        #expect(run.eventCount == 8 && run.alertCount == 2)
        #expect(try store.alerts(run: run.id).map(\.alert) == fromFile)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("same inputs twice: byte-identical alerts; runs differ only in id and timestamps")
    func determinism() throws {
        let store = try TraceStore(path: temporaryDatabase())
        let path = Scratch.directory.appendingPathComponent("tracelab-determinism-\(getpid()).jsonl").path
        var writer = JSONLinesWriter()
        var text = writer.header(TraceHeader(hostname: "bench"))
        for event in SyntheticTrace(count: 20_000) { text += writer.lines(for: event) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let trace = try store.ingest(path: path)
        func render() throws -> (String, StoredRun) {
            var lines: [String] = []
            let run = try TraceReplay.run(traceIDs: [trace.traceID], from: store, through: labEngine(), setup: labSetup) { alert, _ in
                lines.append(AlertFormatting.json(alert).rendered)
            }
            return (lines.joined(separator: "\n"), run)
        }
        let (first, runA) = try render()
        let (second, runB) = try render()
        #expect(first == second)
        #expect(!first.isEmpty)
        #expect(runA.id != runB.id)
        #expect(runA.rulesetHash == runB.rulesetHash && runA.eventCount == runB.eventCount && runA.alertCount == runB.alertCount)
        #expect(runA.rulesFiles == runB.rulesFiles && runA.config == runB.config && runA.traceIDs == runB.traceIDs)
        let (lost, gained) = try store.diff(runA.id, runB.id)
        #expect(lost.isEmpty && gained.isEmpty)
    }

    @Test("diff shows what a rule change did")
    func diff() throws {
        let store = try TraceStore(path: temporaryDatabase())
        _ = try store.ingest(path: example("cat-etc-shadow.jsonl"))
        _ = try store.ingest(path: example("shell-in-container.jsonl"))
        let all = try TraceReplay.run(traceIDs: [1, 2], from: store, through: labEngine(), setup: labSetup) { _, _ in }
        let quieter = labEngine()
        quieter.minimumPriority = .warning
        let warnings = try TraceReplay.run(traceIDs: [1, 2], from: store, through: quieter, setup: labSetup) { _, _ in }
        let (lost, gained) = try store.diff(all.id, warnings.id)
        #expect(lost.map(\.alert.rule) == ["Terminal shell in container"])
        #expect(gained.isEmpty)
    }
}

@Suite("SQLite store: bad input")
struct StoreBadInputTests {
    private func counts(_ store: TraceStore) throws -> [String] {
        try store.statistics().filter { !$0.0.hasPrefix("size") }.map { "\($0.0)=\($0.1)" }
    }

    @Test("a run left running by a process that died (SIGKILL) is marked failed when the database is next opened; a live one is not")
    func abandonedRun() throws {
        let path = temporaryDatabase()
        let store = try TraceStore(path: path)
        let trace = try store.ingest(path: example("cat-etc-shadow.jsonl"))
        let setup = RunSetup(rulesFiles: [], config: .object([]), engineVersion: "test")
        let live = try store.beginRun(setup: setup, traceIDs: [trace.traceID])
        let dead = try store.beginRun(setup: setup, traceIDs: [trace.traceID])
        // The second run's process: one that has exited.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        let database = try GRDB.DatabaseQueue(path: path)
        try database.write { db in try db.execute(sql: "UPDATE runs SET pid = ? WHERE id = ?", arguments: [Int64(process.processIdentifier), dead.runID]) }
        let reopened = try TraceStore(path: path)
        #expect(try reopened.run(dead.runID).status == "failed")
        #expect(try reopened.run(live.runID).status == "running")
    }

    @Test("a truncated trace is rejected with its position and leaves nothing behind")
    func truncated() throws {
        let store = try TraceStore(path: temporaryDatabase())
        _ = try store.ingest(path: example("cat-etc-shadow.jsonl"))
        let before = try counts(store)
        let text = try String(contentsOfFile: example("shell-in-container.jsonl"), encoding: .utf8)
        let cut = Scratch.directory.appendingPathComponent("tracelab-cut-\(getpid()).jsonl").path
        try String(text.dropLast(40)).write(toFile: cut, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: cut) }
        #expect {
            _ = try store.ingest(path: cut)
        } throws: { error in
            "\(error)".contains("\(cut):9:") && "\(error)".contains("not valid JSON") && "\(error)".contains("nothing was written")
        }
        #expect(try counts(store) == before)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("other formats and unreadable paths are named clearly")
    func otherFormats() throws {
        let store = try TraceStore(path: temporaryDatabase())
        let pcap = Scratch.directory.appendingPathComponent("tracelab-\(getpid()).pcap").path
        try Data([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0] + [UInt8](repeating: 0, count: 16)).write(to: URL(fileURLWithPath: pcap))
        defer { try? FileManager.default.removeItem(atPath: pcap) }
        #expect { _ = try store.ingest(path: pcap) } throws: { "\($0)".contains("a packet capture") }
        #expect { _ = try store.ingest(path: "/nonexistent/x.jsonl") } throws: { "\($0)".contains("/nonexistent/x.jsonl") && "\($0)".contains("cannot open") }
        #expect(try store.traces().isEmpty)
    }

    @Test("a full disk (max_page_count) fails cleanly and leaves the database as it was")
    func fullDisk() throws {
        let path = temporaryDatabase()
        let store = try TraceStore(path: path)
        _ = try store.ingest(path: example("cat-etc-shadow.jsonl"))
        let before = try counts(store)
        let big = Scratch.directory.appendingPathComponent("tracelab-big-\(getpid()).jsonl").path
        var writer = JSONLinesWriter()
        var text = ""
        for event in SyntheticTrace(count: 30_000) { text += writer.lines(for: event) }
        try text.write(toFile: big, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: big) }
        try store.setMaximumPageCount(40)
        #expect { _ = try store.ingest(path: big) } throws: { "\($0)" == "\(path): the database or disk is full; nothing was written" }
        #expect(try counts(store) == before)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("a read-only database refuses writes without changing")
    func readOnly() throws {
        let path = temporaryDatabase()
        _ = try TraceStore(path: path).ingest(path: example("cat-etc-shadow.jsonl"))
        let readOnly = try TraceStore(path: path, readOnly: true)
        #expect { _ = try readOnly.ingest(path: example("shell-in-container.jsonl")) } throws: { "\($0)".contains("read-only") }
        #expect(try readOnly.traces().count == 1)
    }

    @Test("a database from a newer TraceLab, and a file that is not SQLite, are refused")
    func foreignDatabases() throws {
        let path = temporaryDatabase()
        _ = try TraceStore(path: path)
        let handle = try TraceStoreTestAccess.execute(path: path, sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99 from the future')")
        _ = handle
        #expect { _ = try TraceStore(path: path) } throws: { "\($0)".contains("created by a newer TraceLab") }
        let notSQLite = temporaryDatabase("not-sqlite")
        try String(repeating: "this is not a database\n", count: 200).write(toFile: notSQLite, atomically: true, encoding: .utf8)
        #expect { _ = try TraceStore(path: notSQLite) } throws: { "\($0)".contains("not a TraceLab database") }
        #expect(try String(contentsOfFile: notSQLite, encoding: .utf8).hasPrefix("this is not a database"))
    }
}
