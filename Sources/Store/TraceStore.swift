import GRDB
import GRDBSQLite
import TraceModel

/// TraceLab's embedded SQLite database: traces ingested once (by content hash), their events,
/// threads, file descriptors and containers, and every replay run with its alerts.
///
/// WAL mode lets one process replay while another ingests; writers wait for each other (with a
/// message) instead of failing with `database is locked`. See docs/database.md for the schema.
public final class TraceStore: @unchecked Sendable {
    /// The database file.
    public let path: String
    let pool: DatabasePool

    /// The default database: `$TRACELAB_DB`, else `./tracelab.sqlite`.
    public static func defaultPath(environment: [String: String]) -> String {
        environment["TRACELAB_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "tracelab.sqlite"
    }

    /// Opens (creating and migrating when needed) a TraceLab database.
    /// - Parameter onWait: called once when another process holds the write lock and this one waits.
    public init(path: String, readOnly: Bool = false, onWait: (@Sendable (String) -> Void)? = nil) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.readonly = readOnly
        configuration.label = "tracelab"
        let waitNotice = WaitNotice(path: path, onWait: onWait)
        configuration.busyMode = .callback { tries in waitNotice.shouldRetry(tries) }
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError.wrap(error, path: path, doing: "open")
        }
        do {
            let migrator = Schema.migrator
            let superseded = try pool.read { db in try migrator.hasBeenSuperseded(db) }
            if superseded {
                let known = migrator.migrations.joined(separator: ", ")
                throw StoreError(path: path, message: "this database was created by a newer TraceLab (its schema has migrations this version does not know; known: \(known)); upgrade TraceLab to use it")
            }
            if !readOnly {
                try migrator.migrate(pool)
                try markAbandonedRuns()
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.wrap(error, path: path, doing: "open")
        }
    }

    /// A run still `running` whose process is gone on this machine (killed, say, with SIGKILL: nothing could mark
    /// it) is marked `failed`, with the reason; a run of a live process is left alone.
    private func markAbandonedRuns() throws {
        let running = try pool.read { db in try Row.fetchAll(db, sql: "SELECT id, pid FROM runs WHERE status = 'running'") }
        let abandoned = running.compactMap { row -> Int64? in
            guard let pid: Int64 = row["pid"] else { return row["id"] }
            return kill(pid_t(truncatingIfNeeded: pid), 0) == 0 || errno == EPERM ? nil : row["id"]
        }
        guard !abandoned.isEmpty else { return }
        try pool.write { db in
            for id in abandoned { try db.execute(sql: "UPDATE runs SET status = 'failed' WHERE id = ?", arguments: [id]) }
        }
    }

    /// Runs a read in a snapshot.
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch { throw StoreError.wrap(error, path: path, doing: "read") }
    }

    /// Runs a write in one transaction: all or nothing.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.write(body) } catch let error as StoreError { throw error } catch {
            throw StoreError.wrap(error, path: path, doing: "write")
        }
    }

    /// Limits the database size in pages (SQLite's `max_page_count`), e.g. to test a full disk.
    public func setMaximumPageCount(_ pages: Int) throws(StoreError) {
        do {
            try pool.barrierWriteWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages)") }
        } catch { throw StoreError.wrap(error, path: path, doing: "configure") }
    }

    /// `PRAGMA integrity_check`: "ok" when the database is sound.
    public func integrityCheck() throws(StoreError) -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
    }
}

/// Prints a notice once when this process has to wait for another one's write lock, then keeps
/// retrying for up to ten minutes.
private final class WaitNotice: @unchecked Sendable {
    let path: String
    let onWait: (@Sendable (String) -> Void)?
    private var announced = false

    init(path: String, onWait: (@Sendable (String) -> Void)?) {
        self.path = path
        self.onWait = onWait
    }

    func shouldRetry(_ tries: Int) -> Bool {
        if !announced {
            announced = true
            onWait?("\(path): another tracelab process is writing to this database; waiting for it to finish...")
        }
        usleep(20_000)
        return tries < 30_000
    }
}

/// A store failure: which database, what went wrong, in words a user can act on.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }

    /// A store error as is, or any other error wrapped with the database path and what was being done.
    public static func wrap(_ error: Error, path: String, doing action: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let database = error as? DatabaseError {
            switch database.resultCode {
            case .SQLITE_NOTADB:
                return StoreError(path: path, message: "not a TraceLab database: the file is not SQLite (\(action) failed)")
            case .SQLITE_FULL:
                return StoreError(path: path, message: "the database or disk is full; nothing was written")
            case .SQLITE_READONLY:
                return StoreError(path: path, message: "the database is read-only (\(action) failed); nothing was written")
            case .SQLITE_CANTOPEN:
                return StoreError(path: path, message: "cannot open the database file (check the folder exists and is writable)")
            case .SQLITE_CORRUPT:
                return StoreError(path: path, message: "the database file is corrupt (\(action) failed)")
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return StoreError(path: path, message: "the database stayed locked by another process; try again when it finishes")
            default:
                return StoreError(path: path, message: "\(action) failed: \(database.message ?? "\(database.resultCode)")")
            }
        }
        return StoreError(path: path, message: "\(action) failed: \(error)")
    }
}

#if canImport(Glibc)
import Glibc
#endif
