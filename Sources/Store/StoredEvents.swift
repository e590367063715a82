import GRDB
import GRDBSQLite
import TraceModel
import TraceReaders

/// A stored trace, as listed by `tracelab traces`.
public struct StoredTrace: Sendable, Equatable {
    public var id: Int64
    public var contentHash: String
    public var kind: String
    public var format: String
    public var sourcePath: String
    public var sizeBytes: Int64
    public var eventCount: Int64
    public var firstTimestamp: Int64?
    public var lastTimestamp: Int64?
    public var hostname: String?
    public var description: String?
    public var ingestedAt: String
}

extension TraceStore {
    /// Every stored trace, by id.
    public func traces() throws(StoreError) -> [StoredTrace] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, content_hash, kind, format, source_path, size_bytes, event_count, first_ts, last_ts, hostname, description, ingested_at
                FROM traces WHERE content_hash != 'pending' ORDER BY id
                """).map { row in
                StoredTrace(id: row[0], contentHash: row[1], kind: row[2], format: row[3], sourcePath: row[4], sizeBytes: row[5],
                            eventCount: row[6], firstTimestamp: row[7], lastTimestamp: row[8], hostname: row[9], description: row[10],
                            ingestedAt: row[11])
            }
        }
    }

    /// Finds a trace by id, by content hash (or a unique prefix of at least 8 characters), or by the
    /// content of a file.
    public func resolveTrace(_ reference: String) throws(StoreError) -> StoredTrace {
        let all = try traces()
        if let id = Int64(reference), let match = all.first(where: { $0.id == id }) { return match }
        let lowered = reference.lowercased()
        if lowered.count >= 8, lowered.allSatisfy(\.isHexDigit) {
            let matches = all.filter { $0.contentHash.hasPrefix(lowered) }
            if matches.count == 1 { return matches[0] }
            if matches.count > 1 { throw StoreError(path: path, message: "hash prefix '\(reference)' matches \(matches.count) traces; give more characters") }
        }
        if let hash = FileBytes.sha256(reference) {
            if let match = all.first(where: { $0.contentHash == hash }) { return match }
            throw StoreError(path: path, message: "\(reference) is not ingested (no trace has its content hash \(hash.prefix(12))); run tracelab ingest first")
        }
        throw StoreError(path: path, message: "no trace '\(reference)' (give a trace id, a content hash or an ingested file)")
    }

    /// Streams a stored trace's events in recorded order through `body` (with the event's position in
    /// the trace and its row id), rebuilding threads, fds and containers from their tables. Reads with a
    /// forward cursor, `chunk` events per read transaction, so writers are never blocked for long.
    public func forEachEvent(traceID: Int64, chunk: Int64 = 65_536, _ body: (Event, Int64, Int64) throws -> Void) throws(StoreError) {
        do {
            let (hostname, range, threads, fds) = try pool.read { db in
                let trace = try Row.fetchOne(db, sql: "SELECT hostname, first_event_id, last_event_id FROM traces WHERE id = ?", arguments: [traceID])
                let containers = try loadContainers(db, traceID: traceID)
                let range: ClosedRange<Int64>? = {
                    guard let first: Int64 = trace?["first_event_id"], let last: Int64 = trace?["last_event_id"], first <= last else { return nil }
                    return first...last
                }()
                return (trace?["hostname"] as String?, range, try loadThreads(db, traceID: traceID, containers: containers), try loadFDs(db, traceID: traceID))
            }
            guard let range else { return }
            var typeCache = TextCache()
            let threadTable = IDTable(threads), fdTable = IDTable(fds)
            var lower = range.lowerBound
            while lower <= range.upperBound {
                let upper = min(range.upperBound, lower + chunk - 1)
                try pool.read { db in
                    let statement = try db.cachedStatement(sql: """
                        SELECT id, num, ts, type, dir, cpu, thread_id, fd_id, params FROM events WHERE id BETWEEN ? AND ? ORDER BY id
                        """)
                    let handle = statement.sqliteStatement
                    sqlite3_bind_int64(handle, 1, lower)
                    sqlite3_bind_int64(handle, 2, upper)
                    defer { sqlite3_reset(handle) }
                    while true {
                        let code = sqlite3_step(handle)
                        if code == SQLITE_DONE { break }
                        guard code == SQLITE_ROW else {
                            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))))
                        }
                        let eventID = sqlite3_column_int64(handle, 0)
                        let type = typeCache.text(handle, 3)
                        let thread = sqlite3_column_type(handle, 6) == SQLITE_NULL ? nil : threadTable[sqlite3_column_int64(handle, 6)]
                        let fd = sqlite3_column_type(handle, 7) == SQLITE_NULL ? nil : fdTable[sqlite3_column_int64(handle, 7)]
                        let blob = UnsafeRawBufferPointer(start: sqlite3_column_blob(handle, 8), count: Int(sqlite3_column_bytes(handle, 8)))
                        // Checked now, decoded when a field asks (most events are decided on their type alone).
                        guard EventCodec.isValid(blob) else {
                            throw StoreError(path: path, message: "trace \(traceID) event id \(eventID): stored parameters are corrupt")
                        }
                        let stored = [UInt8](blob)
                        let direction: Event.Direction = sqlite3_column_text(handle, 4).map { $0.pointee == UInt8(ascii: ">") } == true ? .enter : .exit
                        let event = Event(number: UInt64(bitPattern: sqlite3_column_int64(handle, 1)),
                                          timestamp: UInt64(bitPattern: sqlite3_column_int64(handle, 2)), type: type,
                                          direction: direction, cpu: Int(sqlite3_column_int64(handle, 5)),
                                          thread: thread, fd: fd, hostname: hostname,
                                          paramSource: { stored.withUnsafeBytes { EventCodec.decode($0) } ?? [] })
                        try body(event, eventID - range.lowerBound, eventID)
                    }
                }
                lower = upper + 1
            }
        } catch {
            throw StoreError.wrap(error, path: path, doing: "read trace \(traceID)")
        }
    }

    private func loadContainers(_ db: Database, traceID: Int64) throws -> [Int64: ContainerInfo] {
        var result: [Int64: ContainerInfo] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM containers WHERE trace_id = ? ORDER BY id", arguments: [traceID]) {
            let mounts = (jsonArray(row["mounts"]) ?? []).compactMap { mount -> ContainerInfo.Mount? in
                guard case .string(let source)? = mount["source"], case .string(let destination)? = mount["destination"] else { return nil }
                var mode = "", readWrite = true, propagation = "rprivate"
                if case .string(let text)? = mount["mode"] { mode = text }
                if case .bool(let flag)? = mount["rw"] { readWrite = flag }
                if case .string(let text)? = mount["propagation"] { propagation = text }
                return .init(source: source, destination: destination, mode: mode, readWrite: readWrite, propagation: propagation)
            }
            var pod: PodInfo?
            if let name: String = row["pod_name"], let namespace: String = row["pod_namespace"] {
                var labels: [(key: String, value: String)] = []
                if let text: String = row["pod_labels"], case .object(let members)? = try? JSONParser.parse(Array(text.utf8)) {
                    for (key, value) in members { if case .string(let label) = value { labels.append((key, label)) } }
                }
                pod = PodInfo(name: name, namespace: namespace, uid: row["pod_uid"], labels: labels, ip: row["pod_ip"])
            }
            result[row["id"]] = ContainerInfo(
                id: row["container_id"], fullID: row["full_id"], name: row["name"], image: row["image"], imageRepository: row["repository"],
                imageTag: row["tag"], imageDigest: row["digest"], type: row["runtime"], privileged: row["privileged"], mounts: mounts,
                startTimestamp: (row["start_ts"] as Int64?).map { UInt64(bitPattern: $0) }, pod: pod)
        }
        return result
    }

    private func loadThreads(_ db: Database, traceID: Int64, containers: [Int64: ContainerInfo]) throws -> [Int64: ThreadInfo] {
        var result: [Int64: ThreadInfo] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM threads WHERE trace_id = ? ORDER BY id", arguments: [traceID]) {
            let parent = (row["parent_id"] as Int64?).flatMap { result[$0] }
            let container = (row["container_ref"] as Int64?).flatMap { containers[$0] }
            func strings(_ column: String) -> [String] {
                (jsonArray(row[column]) ?? []).compactMap { if case .string(let text) = $0 { return text } else { return nil } }
            }
            func unsigned(_ column: String) -> UInt64? { (row[column] as Int64?).map { UInt64(bitPattern: $0) } }
            result[row["id"]] = ThreadInfo(
                tid: row["tid"], pid: row["pid"], ptid: row["ptid"], vtid: row["vtid"], vpid: row["vpid"], sid: row["sid"],
                pgid: row["pgid"], vpgid: row["vpgid"], name: row["name"], exe: row["exe"], exepath: row["exepath"],
                args: strings("args"), cwd: row["cwd"], env: strings("env"), uid: row["uid"], gid: row["gid"],
                euid: row["euid"], egid: row["egid"], userName: row["user_name"], groupName: row["group_name"], homedir: row["home"],
                shell: row["shell"], loginuid: row["loginuid"], loginName: row["loginname"], tty: row["tty"],
                capPermitted: row["cap_permitted"], capEffective: row["cap_effective"], capInheritable: row["cap_inheritable"],
                startTimestamp: unsigned("start_ts"), isExeWritable: row["exe_writable"], isExeUpperLayer: row["exe_upper_layer"],
                isExeFromMemfd: row["exe_from_memfd"], exeInodeMtime: unsigned("exe_mtime"), exeInodeCtime: unsigned("exe_ctime"),
                container: container, parent: parent)
        }
        return result
    }

    private func loadFDs(_ db: Database, traceID: Int64) throws -> [Int64: FDInfo] {
        var result: [Int64: FDInfo] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM fds WHERE trace_id = ?", arguments: [traceID]) {
            func flag(_ column: String) -> Bool? { (row[column] as Int64?).map { $0 != 0 } }
            result[row["id"]] = FDInfo(
                number: row["num"], type: FDType(rawValue: row["type"]) ?? .unknown, name: row["name"], nameRaw: row["nameraw"],
                l4proto: (row["l4proto"] as String?).flatMap(L4Proto.init(rawValue:)), clientIP: (row["cip"] as String?).flatMap(IPAddress.init),
                clientPort: row["cport"], serverIP: (row["sip"] as String?).flatMap(IPAddress.init), serverPort: row["sport"],
                isServer: flag("is_server"), isConnected: flag("connected"), socketFamily: row["family"], device: row["dev"],
                inode: row["ino"], isUpperLayer: flag("upper_layer"), nameChanged: flag("name_changed") ?? false)
        }
        return result
    }
}

private func jsonArray(_ text: String?) -> [JSONValue]? {
    guard let text, case .array(let items)? = try? JSONParser.parse(Array(text.utf8)) else { return nil }
    return items
}

/// Objects by row id, in an array: the ids of one trace's rows are close together.
struct IDTable<Value> {
    private let base: Int64
    private let values: [Value?]

    init(_ dictionary: [Int64: Value]) {
        let low = dictionary.keys.min() ?? 0, high = dictionary.keys.max() ?? -1
        base = low
        var values = [Value?](repeating: nil, count: Int(max(0, high - low + 1)))
        for (id, value) in dictionary { values[Int(id - low)] = value }
        self.values = values
    }

    subscript(_ id: Int64) -> Value? {
        let index = id - base
        return index >= 0 && index < values.count ? values[Int(index)] : nil
    }
}

/// Column text for the few distinct short values of a column (event types): found by comparing
/// bytes, created once.
struct TextCache {
    private var entries: [(bytes: [UInt8], text: String)] = []

    mutating func text(_ statement: OpaquePointer, _ index: Int32) -> String {
        let count = Int(sqlite3_column_bytes(statement, index))
        guard count > 0, let pointer = sqlite3_column_text(statement, index) else { return "" }
        let bytes = UnsafeBufferPointer(start: pointer, count: count)
        for entry in entries where entry.bytes.count == count && entry.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, pointer, count) == 0 }) {
            return entry.text
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if entries.count < 512 { entries.append((Array(bytes), text)) }
        return text
    }
}

#if canImport(Glibc)
import Glibc
#endif
