import GRDB
import TraceModel

/// A decision course staff recorded on one item of one submission: the score it gets instead of the grader's,
/// why, and the submission's content hash when it was made (a changed submission is graded afresh and the
/// decision is flagged, not applied).
public struct StoredOverride: Sendable, Equatable {
    public var id: Int64
    public var submission: String
    public var itemID: String
    public var score: Double
    public var comment: String
    public var submissionSHA256: String
    public var recordedBy: String
    /// UTC, ISO 8601.
    public var recordedAt: String

    public init(id: Int64 = 0, submission: String, itemID: String, score: Double, comment: String, submissionSHA256: String, recordedBy: String, recordedAt: String) {
        self.id = id
        self.submission = submission
        self.itemID = itemID
        self.score = score
        self.comment = comment
        self.submissionSHA256 = submissionSHA256
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
    }
}

extension TraceStore {
    /// Records a decision; the latest one for a submission's item is the one that applies. `recordedAt` is now.
    @discardableResult
    public func recordOverride(submission: String, itemID: String, score: Double, comment: String, submissionSHA256: String,
                               recordedBy: String) throws(StoreError) -> StoredOverride {
        let now = String(wallClock().iso.prefix(19)) + "Z"
        let id = try write { db -> Int64 in
            try db.execute(sql: """
                INSERT INTO overrides (submission, item_id, score, comment, submission_sha256, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [submission, itemID, score, comment, submissionSHA256, recordedBy, now])
            return db.lastInsertedRowID
        }
        return StoredOverride(id: id, submission: submission, itemID: itemID, score: score, comment: comment, submissionSHA256: submissionSHA256,
                              recordedBy: recordedBy, recordedAt: now)
    }

    /// The decision in force for each submission's item (the latest recorded), by submission then item.
    public func overrides() throws(StoreError) -> [StoredOverride] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM overrides o WHERE id = (SELECT max(id) FROM overrides WHERE submission = o.submission AND item_id = o.item_id)
                ORDER BY submission, item_id
                """).map { row in
                StoredOverride(id: row["id"], submission: row["submission"], itemID: row["item_id"], score: row["score"], comment: row["comment"],
                               submissionSHA256: row["submission_sha256"], recordedBy: row["recorded_by"], recordedAt: row["recorded_at"])
            }
        }
    }
}
