import Foundation
import Synchronization
import GRDB
import GRDBSQLite
import TraceModel
import TraceReaders

/// What ingesting one file did.
public struct IngestOutcome: Sendable, Equatable {
    public enum Status: String, Sendable { case ingested, alreadyPresent = "already present" }
    public var path: String
    public var status: Status
    public var traceID: Int64
    public var contentHash: String
    public var format: TraceFormat
    public var events: Int
    public var threads: Int
    public var fds: Int
    public var containers: Int
    public var bytes: UInt64
    /// What the reader reported without failing (a skipped line, a missing sidecar), each with its place.
    public var warnings: [String] = []
}

/// Progress of an ingest, reported every few thousand events.
public struct IngestProgress: Sendable {
    public var path: String
    public var bytesRead: UInt64
    public var totalBytes: UInt64
    public var events: Int
}

extension TraceStore {
    /// The stored trace with this file's content, found without parsing the file: candidates by cheap fingerprint,
    /// then the content hash as ingest computes it (a plain JSON Lines file's SHA-256; an strace log's with its
    /// sidecar's). Nil when there is none, or when the file is compressed (its content hash is of what it inflates to).
    /// An strace log's content hash: of the log's SHA-256 and its sidecar's, which gives the log its meaning.
    private static func straceContentHash(logHash: String, path: String, sidecar: String?) -> String {
        let sidecarHash = (sidecar ?? TraceFiles.defaultSidecar(for: path)).flatMap { FileBytes.sha256($0) } ?? ""
        return SHA256.hex(Array((logHash + "\n" + sidecarHash).utf8))
    }

    private func storedCopy(of path: String, sidecar: String?, quick: String) throws(StoreError) -> IngestOutcome? {
        let candidates = try read { db in
            try Row.fetchAll(db, sql: "SELECT id, content_hash, event_count, format FROM traces WHERE quick_hash = ?", arguments: [quick])
        }
        guard !candidates.isEmpty, let format = try? TraceFormat.detect(path: path), format == .jsonLines || format == .straceLog,
              let head = FileBytes.prefix(path, 2), head != [0x1F, 0x8B], let fileHash = FileBytes.sha256(path) else { return nil }
        let hash = format == .straceLog ? Self.straceContentHash(logHash: fileHash, path: path, sidecar: sidecar) : fileHash
        guard let match = candidates.first(where: { ($0["content_hash"] as String) == hash }) else { return nil }
        var status = stat()
        let size: UInt64 = stat(path, &status) == 0 ? UInt64(status.st_size) : 0
        return IngestOutcome(path: path, status: .alreadyPresent, traceID: match["id"], contentHash: hash, format: format,
                             events: match["event_count"], threads: 0, fds: 0, containers: 0, bytes: size)
    }

    /// Ingests one trace file in one transaction: the whole trace or nothing. Idempotent by content:
    /// a file whose SHA-256 is already stored is reported as already present and not stored again.
    public func ingest(path: String, sidecar: String? = nil, progress: ((IngestProgress) -> Void)? = nil) throws(StoreError) -> IngestOutcome {
        // A file stored before is found by its cheap fingerprint and confirmed by its content hash, read without
        // parsing: re-ingesting a large recording does not parse it again.
        let quick = FileBytes.quickHash(path)
        if let quick, let present = try storedCopy(of: path, sidecar: sidecar, quick: quick) { return present }
        let opened: (stream: EventStream, format: TraceFormat)
        do { opened = try TraceFiles.open(path, sidecar: sidecar) } catch {
            throw StoreError(path: self.path, message: "\(error); nothing was written")
        }
        let format = opened.format
        let reader = opened.stream
        var status = stat()
        let totalBytes: UInt64 = stat(path, &status) == 0 ? UInt64(status.st_size) : 0
        // The content hash: streamed while reading a JSON Lines trace; for an strace log, the log and the
        // sidecar that gives it meaning.
        let hasher = SHA256()
        var straceHash: String?
        if let lines = reader as? JSONLinesReader {
            lines.lineObserver = { hasher.update($0) }
        } else {
            straceHash = Self.straceContentHash(logHash: FileBytes.sha256(path) ?? "", path: path, sidecar: sidecar)
        }
        // Two threads: this one writes rows while a reader thread parses (and hashes) the file ahead.
        let bytesRead = Atomic<UInt64>(0)
        let channel = BatchChannel<Event>.startProducer(batchSize: 2048, beforeSend: { bytesRead.store(reader.bytesRead, ordering: .relaxed) }) { emit in
            while let event = try reader.next() { try emit(event) }
        }
        defer {
            channel.cancel()
            channel.waitUntilFinished()
        }
        do {
            return try pool.write { db -> IngestOutcome in
                var writer = try TraceWriter(db: db, sourcePath: path, format: format, totalBytes: totalBytes)
                while let batch = channel.receive() {
                    for event in batch { try writer.append(event) }
                    let count = batch.count
                    channel.recycle(consume batch)
                    if writer.events % 16_384 < count {
                        progress?(IngestProgress(path: path, bytesRead: bytesRead.load(ordering: .relaxed), totalBytes: totalBytes, events: writer.events))
                    }
                }
                if let failure = channel.failure { throw failure }
                let hash = straceHash ?? Hex.encode(hasher.finalize())
                if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM traces WHERE content_hash = ?", arguments: [hash]) {
                    throw DuplicateTrace(traceID: existing, hash: hash)
                }
                try writer.finish(hash: hash, quick: quick, header: reader.traceHeader)
                progress?(IngestProgress(path: path, bytesRead: bytesRead.load(ordering: .relaxed), totalBytes: totalBytes, events: writer.events))
                return IngestOutcome(path: path, status: .ingested, traceID: writer.traceID, contentHash: hash, format: format,
                                     events: writer.events, threads: writer.threadCount, fds: writer.fdCount,
                                     containers: writer.containerCount, bytes: bytesRead.load(ordering: .relaxed), warnings: reader.warnings.map(\.description))
            }
        } catch let duplicate as DuplicateTrace {
            let events = (try? read { db in try Int.fetchOne(db, sql: "SELECT event_count FROM traces WHERE id = ?", arguments: [duplicate.traceID]) }) ?? nil
            return IngestOutcome(path: path, status: .alreadyPresent, traceID: duplicate.traceID, contentHash: duplicate.hash, format: format,
                                 events: events ?? 0, threads: 0, fds: 0, containers: 0, bytes: reader.bytesRead)
        } catch let error as TraceLabError {
            throw StoreError(path: self.path, message: "\(error); nothing was written")
        } catch {
            throw StoreError.wrap(error, path: self.path, doing: "ingest \(path)")
        }
    }
}

/// Rolls the ingest transaction back when the content is already stored.
private struct DuplicateTrace: Error {
    var traceID: Int64
    var hash: String
}

/// Writes one trace's rows inside an open transaction, with prepared statements; threads,
/// containers and file descriptors are written once each and referred to by id.
struct TraceWriter {
    let db: Database
    let traceID: Int64
    private(set) var events = 0
    private var sequence: Int64 = 0
    private var firstTimestamp: UInt64?
    private var firstEventID: Int64?
    private var lastEventID: Int64?
    private var lastTimestamp: UInt64 = 0
    private var threadIDs: [ObjectIdentifier: Int64] = [:]
    private var containerIDs: [ObjectIdentifier: Int64] = [:]
    private var fdIDs: [FDKey: Int64] = [:]
    private var fdObjectIDs: [ObjectIdentifier: Int64] = [:]
    private var fdsSeen: [FDInfo] = []
    private var threadsSeen: [ThreadInfo] = []
    private var containersSeen: [ContainerInfo] = []
    private let insertEvent: Statement
    private let insertFD: Statement
    private var paramBuffer: [UInt8] = []

    var threadCount: Int { threadIDs.count }
    var fdCount: Int { fdIDs.count }
    var containerCount: Int { containerIDs.count }

    init(db: Database, sourcePath: String, format: TraceFormat, totalBytes: UInt64) throws {
        self.db = db
        try db.execute(sql: """
            INSERT INTO traces (content_hash, kind, format, source_path, size_bytes, event_count, ingested_at)
            VALUES ('pending', 'syscall', ?, ?, ?, 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
            """, arguments: [format.rawValue, sourcePath, Int64(totalBytes)])
        traceID = db.lastInsertedRowID
        insertEvent = try db.makeStatement(sql: """
            INSERT INTO events (trace_id, seq, num, ts, type, dir, cpu, thread_id, fd_id, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertFD = try db.makeStatement(sql: """
            INSERT INTO fds (trace_id, num, type, name, nameraw, l4proto, cip, cport, sip, sport, is_server, connected, family, dev, ino, upper_layer, name_changed)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    mutating func append(_ event: Event) throws {
        let threadID = try event.thread.map { thread throws in try id(of: thread) }
        let fdID = try event.fd.map { fd throws in try id(of: fd) }
        EventCodec.encode(event.params, into: &paramBuffer)
        let statement = insertEvent.sqliteStatement
        sqlite3_reset(statement)
        sqlite3_bind_int64(statement, 1, traceID)
        sqlite3_bind_int64(statement, 2, sequence)
        sqlite3_bind_int64(statement, 3, Int64(bitPattern: event.number))
        sqlite3_bind_int64(statement, 4, Int64(bitPattern: event.timestamp))
        bindText(statement, 5, event.type)
        bindText(statement, 6, event.direction.rawValue)
        sqlite3_bind_int64(statement, 7, Int64(event.cpu))
        if let threadID { sqlite3_bind_int64(statement, 8, threadID) } else { sqlite3_bind_null(statement, 8) }
        if let fdID { sqlite3_bind_int64(statement, 9, fdID) } else { sqlite3_bind_null(statement, 9) }
        paramBuffer.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(statement, 10, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), SQLITE_TRANSIENT_POINTER)
        }
        try step(statement)
        let eventID = sqlite3_last_insert_rowid(sqlite3_db_handle(statement))
        if firstEventID == nil { firstEventID = eventID }
        lastEventID = eventID
        sequence += 1
        events += 1
        if firstTimestamp == nil { firstTimestamp = event.timestamp }
        lastTimestamp = max(lastTimestamp, event.timestamp)
    }

    mutating func finish(hash: String, quick: String?, header: TraceHeader?) throws {
        try db.execute(sql: """
            UPDATE traces SET content_hash = ?, event_count = ?, first_ts = ?, last_ts = ?, hostname = ?, machine = ?,
                start_ts = ?, description = ?, recorded_by = ?, first_event_id = ?, last_event_id = ?, quick_hash = ? WHERE id = ?
            """, arguments: [hash, events, firstTimestamp.map { Int64(bitPattern: $0) }, firstTimestamp == nil ? nil : Int64(bitPattern: lastTimestamp),
                             header?.hostname, header?.machine, header?.startTime.map { Int64(bitPattern: $0) }, header?.description,
                             header?.source, firstEventID, lastEventID, quick, traceID])
    }

    private mutating func id(of thread: ThreadInfo) throws -> Int64 {
        if let known = threadIDs[ObjectIdentifier(thread)] { return known }
        let parentID = try thread.parent.map { parent throws in try id(of: parent) }
        let containerID = try thread.container.map { container throws in try id(of: container) }
        try db.execute(sql: """
            INSERT INTO threads (trace_id, parent_id, container_ref, tid, pid, ptid, vtid, vpid, sid, pgid, vpgid, name, exe, exepath,
                args, cwd, env, uid, gid, euid, egid, user_name, group_name, home, shell, loginuid, loginname, tty,
                cap_permitted, cap_effective, cap_inheritable, start_ts, exe_writable, exe_upper_layer, exe_from_memfd, exe_mtime, exe_ctime)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                traceID, parentID, containerID, thread.tid, thread.pid, thread.ptid, thread.vtid, thread.vpid, thread.sid,
                thread.pgid, thread.vpgid, thread.name, thread.exe, thread.exepath,
                JSONValue.array(thread.args.map { .string($0) }).rendered, thread.cwd, JSONValue.array(thread.env.map { .string($0) }).rendered,
                thread.uid, thread.gid, thread.euid, thread.egid, thread.userName, thread.groupName, thread.homedir, thread.shell,
                thread.loginuid, thread.loginName, thread.tty, thread.capPermitted, thread.capEffective, thread.capInheritable,
                thread.startTimestamp.map { Int64(bitPattern: $0) }, thread.isExeWritable, thread.isExeUpperLayer, thread.isExeFromMemfd,
                thread.exeInodeMtime.map { Int64(bitPattern: $0) }, thread.exeInodeCtime.map { Int64(bitPattern: $0) },
            ])
        let rowID = db.lastInsertedRowID
        threadIDs[ObjectIdentifier(thread)] = rowID
        threadsSeen.append(thread)  // keeps the object alive so its identifier is not reused
        return rowID
    }

    private mutating func id(of container: ContainerInfo) throws -> Int64 {
        if let known = containerIDs[ObjectIdentifier(container)] { return known }
        let mounts = JSONValue.array(container.mounts.map { mount in
            .object([("source", .string(mount.source)), ("destination", .string(mount.destination)), ("mode", .string(mount.mode)),
                     ("rw", .bool(mount.readWrite)), ("propagation", .string(mount.propagation))])
        }).rendered
        let labels = container.pod.map { JSONValue.object($0.labels.map { ($0.key, .string($0.value)) }).rendered }
        try db.execute(sql: """
            INSERT INTO containers (trace_id, container_id, full_id, name, image, repository, tag, digest, runtime, privileged, mounts,
                start_ts, pod_name, pod_namespace, pod_uid, pod_labels, pod_ip)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                traceID, container.id, container.fullID, container.name, container.image, container.imageRepository, container.imageTag,
                container.imageDigest, container.type, container.privileged, mounts, container.startTimestamp.map { Int64(bitPattern: $0) },
                container.pod?.name, container.pod?.namespace, container.pod?.uid, labels, container.pod?.ip,
            ])
        let rowID = db.lastInsertedRowID
        containerIDs[ObjectIdentifier(container)] = rowID
        containersSeen.append(container)
        return rowID
    }

    private mutating func id(of fd: FDInfo) throws -> Int64 {
        if let known = fdObjectIDs[ObjectIdentifier(fd)] { return known }
        let key = FDKey(fd)
        if let known = fdIDs[key] {
            remember(fd, known)
            return known
        }
        let statement = insertFD.sqliteStatement
        sqlite3_reset(statement)
        sqlite3_bind_int64(statement, 1, traceID)
        sqlite3_bind_int64(statement, 2, fd.number)
        bindText(statement, 3, fd.type.rawValue)
        bindText(statement, 4, fd.name)
        bindOptional(statement, 5, fd.nameRaw)
        bindOptional(statement, 6, fd.l4proto?.rawValue)
        bindOptional(statement, 7, fd.clientIP?.description)
        bindOptional(statement, 8, fd.clientPort)
        bindOptional(statement, 9, fd.serverIP?.description)
        bindOptional(statement, 10, fd.serverPort)
        bindOptional(statement, 11, fd.isServer.map { $0 ? 1 : 0 })
        bindOptional(statement, 12, fd.isConnected.map { $0 ? 1 : 0 })
        bindOptional(statement, 13, fd.socketFamily)
        bindOptional(statement, 14, fd.device)
        bindOptional(statement, 15, fd.inode)
        bindOptional(statement, 16, fd.isUpperLayer.map { $0 ? 1 : 0 })
        sqlite3_bind_int64(statement, 17, fd.nameChanged ? 1 : 0)
        try step(statement)
        let rowID = db.lastInsertedRowID
        fdIDs[key] = rowID
        remember(fd, rowID)
        return rowID
    }

    /// Maps a descriptor object to its row; the object is kept alive so its identifier stays unique.
    private mutating func remember(_ fd: FDInfo, _ rowID: Int64) {
        if fdsSeen.count >= 65_536 {
            fdsSeen.removeAll(keepingCapacity: true)
            fdObjectIDs.removeAll(keepingCapacity: true)
        }
        fdObjectIDs[ObjectIdentifier(fd)] = rowID
        fdsSeen.append(fd)
    }

    private func step(_ statement: OpaquePointer) throws {
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))))
        }
    }
}

/// The identity of a stored file descriptor: every column of the `fds` row.
private struct FDKey: Hashable {
    let number: Int64
    let type: FDType
    let name: String
    let nameRaw: String?
    let l4proto: L4Proto?
    let clientIP: IPAddress?, clientPort: Int64?, serverIP: IPAddress?, serverPort: Int64?
    let isServer: Bool?, isConnected: Bool?, family: String?, device: Int64?, inode: Int64?, upper: Bool?, changed: Bool

    init(_ fd: FDInfo) {
        number = fd.number; type = fd.type; name = fd.name; nameRaw = fd.nameRaw; l4proto = fd.l4proto
        clientIP = fd.clientIP; clientPort = fd.clientPort; serverIP = fd.serverIP; serverPort = fd.serverPort
        isServer = fd.isServer; isConnected = fd.isConnected; family = fd.socketFamily; device = fd.device; inode = fd.inode
        upper = fd.isUpperLayer; changed = fd.nameChanged
    }
}

/// SQLite copies bound text and blobs (`SQLITE_TRANSIENT`).
let SQLITE_TRANSIENT_POINTER = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

@inline(__always)
func bindText(_ statement: OpaquePointer, _ index: Int32, _ text: String) {
    let bind: (UnsafeBufferPointer<UInt8>) -> Void = { bytes in
        let pointer = UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self)
        _ = sqlite3_bind_text(statement, index, pointer, Int32(bytes.count), SQLITE_TRANSIENT_POINTER)
    }
    if text.utf8.withContiguousStorageIfAvailable(bind) == nil {
        var copy = text
        copy.withUTF8(bind)
    }
}

@inline(__always)
func bindOptional(_ statement: OpaquePointer, _ index: Int32, _ text: String?) {
    if let text { bindText(statement, index, text) } else { sqlite3_bind_null(statement, index) }
}

@inline(__always)
func bindOptional(_ statement: OpaquePointer, _ index: Int32, _ value: Int64?) {
    if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
}

#if canImport(Glibc)
import Glibc
#endif
