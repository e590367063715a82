import GRDB
import FalcoRules
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
    public var startedAt: String
    public var finishedAt: String
    public var durationMilliseconds: Int64
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

    public init(rulesFiles: [(path: String, sha256: String)], config: JSONValue) {
        self.rulesFiles = rulesFiles
        self.config = config
    }

    /// The ruleset's identity: the hashes of its files in order and the configuration.
    public var rulesetHash: String {
        SHA256.hex(Array((rulesFiles.map(\.sha256).joined(separator: "\n") + "\n" + config.rendered).utf8))
    }
}

extension TraceStore {
    /// Replays stored traces in recorded order through an engine, stores the run and its alerts, and
    /// hands each alert to `onAlert` as it is raised. Returns the run.
    @discardableResult
    public func replay(traceIDs: [Int64], engine: RuleEngine, setup: RunSetup,
                       onAlert: (Alert) -> Void) throws(StoreError) -> StoredRun {
        let started = wallClock()
        var collected: [(traceID: Int64, sequence: Int64, eventID: Int64, alert: Alert)] = []
        var events: Int64 = 0
        for traceID in traceIDs {
            try forEachEvent(traceID: traceID) { event, sequence, eventID in
                events += 1
                for alert in engine.process(event) {
                    onAlert(alert)
                    collected.append((traceID, sequence, eventID, alert))
                }
            }
        }
        let finished = wallClock()
        let filesJSON = JSONValue.array(setup.rulesFiles.map { .object([("path", .string($0.path)), ("sha256", .string($0.sha256))]) }).rendered
        let traceJSON = JSONValue.array(traceIDs.map { .integer($0) }).rendered
        let engineVersion = "TraceLab rule engine \(RulesLoader.engineVersion)"
        return try write { db -> StoredRun in
            try db.execute(sql: """
                INSERT INTO runs (ruleset_hash, rules_files, config, engine_version, trace_ids, event_count, alert_count, started_at, finished_at, duration_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [setup.rulesetHash, filesJSON, setup.config.rendered, engineVersion, traceJSON, events, collected.count,
                                 started.iso, finished.iso, (finished.nanoseconds - started.nanoseconds) / 1_000_000])
            let runID = db.lastInsertedRowID
            let insert = try db.makeStatement(sql: """
                INSERT INTO alerts (run_id, trace_id, event_id, event_seq, event_num, time, rule, priority, source, hostname, output, output_fields, tags)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (traceID, sequence, eventID, alert) in collected {
                try insert.execute(arguments: [
                    runID, traceID, eventID, sequence, Int64(bitPattern: alert.eventNumber), Int64(bitPattern: alert.time), alert.rule,
                    alert.priority.name, alert.source, alert.hostname, alert.message,
                    JSONValue.object(alert.outputFields.map { ($0.key, $0.value.json) }).rendered,
                    JSONValue.array(alert.tags.map { .string($0) }).rendered,
                ])
            }
            return StoredRun(id: runID, rulesetHash: setup.rulesetHash, rulesFiles: filesJSON, config: setup.config.rendered,
                             engineVersion: engineVersion, traceIDs: traceIDs, eventCount: events, alertCount: Int64(collected.count),
                             startedAt: started.iso, finishedAt: finished.iso, durationMilliseconds: (finished.nanoseconds - started.nanoseconds) / 1_000_000)
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
            for table in ["traces", "events", "threads", "fds", "containers", "runs", "alerts"] {
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
                  startedAt: row["started_at"], finishedAt: row["finished_at"], durationMilliseconds: row["duration_ms"])
    }
}

extension OutputValue {
    init(json: JSONValue) {
        switch json {
        case .string(let text): self = .string(text)
        case .integer(let value): self = .integer(value)
        case .unsigned(let value): self = .unsigned(value)
        case .bool(let value): self = .bool(value)
        default: self = .null
        }
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
