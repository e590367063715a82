import TraceReaders
import Foundation
import GRDB
import TraceModel

/// A stored replay run.
public struct StoredRun: Sendable, Equatable {
    public var id: Int64
    public var rulesetHash: String
    public var rulesFiles: String
    public var config: String
    public var engineVersion: String
    public var traceIDs: [Int64]
    public var eventCount: Int64
    public var alertCount: Int64
    /// `running` while a replay writes it, `complete` once done, `failed` after an error.
    public var status: String
    public var startedAt: String
    public var finishedAt: String?
    public var durationMilliseconds: Int64?
}

/// An alert as stored with its run.
public struct StoredAlert: Sendable, Equatable {
    public var id: Int64
    public var runID: Int64
    public var traceID: Int64
    public var eventSequence: Int64
    public var alert: Alert
}

/// What a replay is run with, recorded with the run.
public struct RunSetup: Sendable {
    /// The rules files in load order, with the SHA-256 of their content.
    public var rulesFiles: [(path: String, sha256: String)]
    /// The settings that select and format alerts, as JSON.
    public var config: JSONValue
    /// The engine that raised the alerts, with its version.
    public var engineVersion: String

    public init(rulesFiles: [(path: String, sha256: String)], config: JSONValue, engineVersion: String) {
        self.rulesFiles = rulesFiles
        self.config = config
        self.engineVersion = engineVersion
    }

    var rulesFilesJSON: String {
        JSONValue.array(rulesFiles.map { .object([("path", .string($0.path)), ("sha256", .string($0.sha256))]) }).rendered
    }

    /// The ruleset's identity: the hashes of its files in order and the configuration.
    public var rulesetHash: String {
        SHA256.hex(Array((rulesFiles.map(\.sha256).joined(separator: "\n") + "\n" + config.rendered).utf8))
    }
}

/// A run being written: its row says `running` until `finish` marks it complete (or `fail`, failed). Alerts are
/// placed on their stored events (trace and position) and written in batches, so memory stays flat however many
/// there are. The replay itself (engine, detectors) happens outside the store; this only keeps what it raised.
public final class RunRecorder {
    /// The run's id.
    public let runID: Int64
    /// Alerts recorded so far.
    public private(set) var alertCount: Int64 = 0
    private let store: TraceStore
    private let started: WallTime
    private var firstEventIDs: [Int64: Int64] = [:]
    private var pending: [(traceID: Int64, sequence: Int64, alert: Alert)] = []

    fileprivate init(store: TraceStore, runID: Int64, started: WallTime) {
        self.store = store
        self.runID = runID
        self.started = started
    }

    /// Records an alert raised on the event at `sequence` (0-based position) of stored trace `traceID`.
    public func record(_ alert: Alert, traceID: Int64, sequence: Int64) throws(StoreError) {
        pending.append((traceID, sequence, alert))
        if pending.count >= 1024 { try flush() }
    }

    /// Writes what is left, marks the run complete with the number of events replayed, and returns it.
    public func finish(eventCount: Int64) throws(StoreError) -> StoredRun {
        try flush()
        let finished = wallClock()
        let duration = (finished.nanoseconds - started.nanoseconds) / 1_000_000
        try store.write { db in
            try db.execute(sql: """
                UPDATE runs SET event_count = ?, alert_count = ?, status = 'complete', finished_at = ?, duration_ms = ? WHERE id = ?
                """, arguments: [eventCount, alertCount, finished.iso, duration, runID])
        }
        return try store.run(runID)
    }

    /// Marks the run failed (a replay that stopped on an error).
    public func fail() {
        _ = try? store.write { db in try db.execute(sql: "UPDATE runs SET status = 'failed' WHERE id = ?", arguments: [runID]) }
    }

    /// Writes the queued alerts in one transaction.
    private func flush() throws(StoreError) {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        try store.write { [runID, store] db in
            for traceID in Set(batch.map(\.traceID)) where firstEventIDs[traceID] == nil {
                guard let first = try Int64.fetchOne(db, sql: "SELECT first_event_id FROM traces WHERE id = ?", arguments: [traceID]) else {
                    throw StoreError(path: store.path, message: "run \(runID) has an alert on trace \(traceID), which is not stored")
                }
                firstEventIDs[traceID] = first
            }
            let insert = try db.cachedStatement(sql: """
                INSERT INTO alerts (run_id, trace_id, event_id, event_seq, event_num, time, rule, priority, source, hostname, output, output_fields, tags)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (traceID, sequence, alert) in batch {
                try insert.execute(arguments: [
                    runID, traceID, (firstEventIDs[traceID] ?? 0) + sequence, sequence, Int64(bitPattern: alert.eventNumber),
                    Int64(bitPattern: alert.time), alert.rule, alert.priority.name, alert.source, alert.hostname, alert.message,
                    JSONValue.object(alert.outputFields.map { ($0.key, $0.value.json) }).rendered,
                    JSONValue.array(alert.tags.map { .string($0) }).rendered,
                ])
            }
        }
        alertCount += Int64(batch.count)
    }
}

extension TraceStore {
    /// Starts a run of `traceIDs` with `setup`: the run is stored as `running` and its alerts go through the recorder.
    public func beginRun(setup: RunSetup, traceIDs: [Int64]) throws(StoreError) -> RunRecorder {
        let started = wallClock()
        let traceJSON = JSONValue.array(traceIDs.map { .integer($0) }).rendered
        let runID = try write { db -> Int64 in
            try db.execute(sql: """
                INSERT INTO runs (ruleset_hash, rules_files, config, engine_version, trace_ids, event_count, alert_count, status, started_at, pid)
                VALUES (?, ?, ?, ?, ?, 0, 0, 'running', ?, ?)
                """, arguments: [setup.rulesetHash, setup.rulesFilesJSON, setup.config.rendered, setup.engineVersion, traceJSON, started.iso, Int64(getpid())])
            return db.lastInsertedRowID
        }
        return RunRecorder(store: self, runID: runID, started: started)
    }

    /// Stores a replay made elsewhere (by a grading child, over the same recordings ingested here) as a complete
    /// run, each alert on its stored event by trace and position. A complete run with the same setup, traces and
    /// number of events and alerts is returned instead of being stored twice.
    public func saveRun(setup: RunSetup, traceIDs: [Int64], eventCount: Int64, alerts: [(traceID: Int64, sequence: Int64, alert: Alert)])
        throws(StoreError) -> StoredRun {
        let traceJSON = JSONValue.array(traceIDs.map { .integer($0) }).rendered
        let existing = try read { db in
            try Int64.fetchOne(db, sql: """
                SELECT id FROM runs WHERE ruleset_hash = ? AND trace_ids = ? AND engine_version = ? AND status = 'complete' AND alert_count = ? AND event_count = ?
                ORDER BY id LIMIT 1
                """, arguments: [setup.rulesetHash, traceJSON, setup.engineVersion, alerts.count, eventCount])
        }
        if let existing { return try run(existing) }
        let recorder = try beginRun(setup: setup, traceIDs: traceIDs)
        do {
            for (traceID, sequence, alert) in alerts { try recorder.record(alert, traceID: traceID, sequence: sequence) }
            return try recorder.finish(eventCount: eventCount)
        } catch {
            recorder.fail()
            throw error
        }
    }

    /// Every run, by id.
    public func runs() throws(StoreError) -> [StoredRun] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id").map(StoredRun.init) }
    }

    /// One run.
    public func run(_ id: Int64) throws(StoreError) -> StoredRun {
        let found = try read { db in try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(StoredRun.init) }
        guard let found else { throw StoreError(path: path, message: "no run \(id) (see tracelab runs)") }
        return found
    }

    /// The alerts of a run, in the order they were raised.
    public func alerts(run id: Int64) throws(StoreError) -> [StoredAlert] {
        _ = try run(id)
        return try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alerts WHERE run_id = ? ORDER BY id", arguments: [id]).map { row in
                var fields: [(key: String, value: OutputValue)] = []
                if case .object(let members)? = try? JSONParser.parse(Array((row["output_fields"] as String).utf8)) {
                    fields = members.map { ($0.0, OutputValue(json: $0.1)) }
                }
                var tags: [String] = []
                if case .array(let items)? = try? JSONParser.parse(Array((row["tags"] as String).utf8)) {
                    tags = items.compactMap { if case .string(let tag) = $0 { return tag } else { return nil } }
                }
                let alert = Alert(rule: row["rule"], priority: Priority(parsing: row["priority"]) ?? .debug, source: row["source"], tags: tags,
                                  time: UInt64(bitPattern: row["time"]), hostname: row["hostname"], message: row["output"],
                                  outputFields: fields, eventNumber: UInt64(bitPattern: row["event_num"]))
                return StoredAlert(id: row["id"], runID: row["run_id"], traceID: row["trace_id"], eventSequence: row["event_seq"], alert: alert)
            }
        }
    }

    /// Alerts gained and lost between two runs: an alert is the same when it is the same rule on the same
    /// event of the same trace with the same output.
    public func diff(_ first: Int64, _ second: Int64) throws(StoreError) -> (lost: [StoredAlert], gained: [StoredAlert]) {
        let before = try alerts(run: first), after = try alerts(run: second)
        func key(_ stored: StoredAlert) -> String {
            "\(stored.traceID)\u{1}\(stored.eventSequence)\u{1}\(stored.alert.rule)\u{1}\(stored.alert.priority.name)\u{1}\(stored.alert.message)"
        }
        var remaining: [String: Int] = [:]
        for alert in after { remaining[key(alert), default: 0] += 1 }
        var lost: [StoredAlert] = []
        for alert in before {
            if let count = remaining[key(alert)], count > 0 { remaining[key(alert)] = count - 1 } else { lost.append(alert) }
        }
        var previous: [String: Int] = [:]
        for alert in before { previous[key(alert), default: 0] += 1 }
        var gained: [StoredAlert] = []
        for alert in after {
            if let count = previous[key(alert)], count > 0 { previous[key(alert)] = count - 1 } else { gained.append(alert) }
        }
        return (lost, gained)
    }

    /// Row counts per table, the file size and the schema version: `tracelab db stats`.
    public func statistics() throws(StoreError) -> [(String, String)] {
        try read { db in
            var rows: [(String, String)] = []
            for table in ["traces", "events", "threads", "fds", "containers", "runs", "alerts", "captures", "packets", "flows", "detections", "metric_files", "metric_series", "metric_samples"] {
                rows.append((table, String(try Int64.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0)))
            }
            let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            rows.append(("size (bytes)", String(pages * pageSize)))
            rows.append(("schema", try String.fetchOne(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid DESC LIMIT 1") ?? "?"))
            return rows
        }
    }
}

extension StoredRun {
    init(row: Row) {
        var traceIDs: [Int64] = []
        if case .array(let items)? = try? JSONParser.parse(Array((row["trace_ids"] as String).utf8)) {
            traceIDs = items.compactMap { if case .integer(let id) = $0 { return id } else { return nil } }
        }
        self.init(id: row["id"], rulesetHash: row["ruleset_hash"], rulesFiles: row["rules_files"], config: row["config"],
                  engineVersion: row["engine_version"], traceIDs: traceIDs, eventCount: row["event_count"], alertCount: row["alert_count"],
                  status: row["status"], startedAt: row["started_at"], finishedAt: row["finished_at"], durationMilliseconds: row["duration_ms"])
    }
}

/// Wall-clock time, for run records only (never in alerts or reports).
struct WallTime {
    var nanoseconds: Int64
    var iso: String
}

func wallClock() -> WallTime {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    let ns = Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    return WallTime(nanoseconds: ns, iso: formatISOTime(UInt64(ns)))
}

#if canImport(Glibc)
import Glibc
#endif
