import GRDB

/// Direct SQL on a database file, for tests that need to tamper with one.
enum TraceStoreTestAccess {
    @discardableResult
    static func execute(path: String, sql: String) throws -> Bool {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: sql) }
        return true
    }
}
