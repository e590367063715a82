import GRDB
import TraceModel

/// A submission's grade as the store keeps it: the submission by content hash, the key by its
/// fingerprint, the total, each item, and the full JSON report.
public struct StoredGrade: Sendable {
    public var submissionName: String
    public var submissionPath: String
    public var submissionSHA256: String
    public var keyName: String
    public var keyVersion: Int
    public var keySHA256: String
    public var score: Double
    public var maxScore: Double
    public var error: String?
    public var reportJSON: String
    public var items: [Item]
    /// The stored runs the grade rests on, by role (`default rules`, `submission`, `deployment`).
    public var runs: [(role: String, runID: Int64)] = []

    /// One item's result.
    public struct Item: Sendable {
        public var id: String
        public var question: String
        public var score: Double
        public var maxScore: Double
        public var status: String
        public var feedback: [String]

        public init(id: String, question: String, score: Double, maxScore: Double, status: String, feedback: [String]) {
            self.id = id
            self.question = question
            self.score = score
            self.maxScore = maxScore
            self.status = status
            self.feedback = feedback
        }
    }

    public init(submissionName: String, submissionPath: String, submissionSHA256: String, keyName: String, keyVersion: Int, keySHA256: String,
                score: Double, maxScore: Double, error: String?, reportJSON: String, items: [Item],
                runs: [(role: String, runID: Int64)] = []) {
        self.submissionName = submissionName
        self.submissionPath = submissionPath
        self.submissionSHA256 = submissionSHA256
        self.keyName = keyName
        self.keyVersion = keyVersion
        self.keySHA256 = keySHA256
        self.score = score
        self.maxScore = maxScore
        self.error = error
        self.reportJSON = reportJSON
        self.items = items
        self.runs = runs
    }
}

extension TraceStore {
    /// Keeps grades in one transaction: a submission is stored once per content hash; grading it again with
    /// the same key fingerprint replaces its grade.
    public func saveGrades(_ grades: [StoredGrade]) throws(StoreError) {
        try write { db in
            for grade in grades {
                try db.execute(sql: "INSERT INTO submissions (sha256, name, source_path) VALUES (?, ?, ?) ON CONFLICT(sha256) DO UPDATE SET name = excluded.name, source_path = excluded.source_path",
                               arguments: [grade.submissionSHA256, grade.submissionName, grade.submissionPath])
                guard let submissionID = try Int64.fetchOne(db, sql: "SELECT id FROM submissions WHERE sha256 = ?", arguments: [grade.submissionSHA256]) else { continue }
                // A grade saved again without runs (its report reused unchanged) keeps the runs the earlier one rests on.
                var runs = grade.runs
                if runs.isEmpty {
                    runs = try Row.fetchAll(db, sql: """
                        SELECT gr.role, gr.run_id FROM grade_runs gr JOIN grades g ON g.id = gr.grade_id
                        WHERE g.submission_id = ? AND g.key_sha256 = ? ORDER BY gr.role
                        """, arguments: [submissionID, grade.keySHA256]).map { ($0["role"], $0["run_id"]) }
                }
                try db.execute(sql: "DELETE FROM grades WHERE submission_id = ? AND key_sha256 = ?", arguments: [submissionID, grade.keySHA256])
                try db.execute(sql: """
                    INSERT INTO grades (submission_id, key_name, key_version, key_sha256, score, max_score, error, report_json)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [submissionID, grade.keyName, grade.keyVersion, grade.keySHA256, grade.score, grade.maxScore, grade.error, grade.reportJSON])
                let gradeID = db.lastInsertedRowID
                for (role, runID) in runs {
                    try db.execute(sql: "INSERT INTO grade_runs (grade_id, run_id, role) VALUES (?, ?, ?)", arguments: [gradeID, runID, role])
                }
                for (position, item) in grade.items.enumerated() {
                    try db.execute(sql: """
                        INSERT INTO grade_items (grade_id, position, item_id, question, score, max_score, status, feedback)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [gradeID, position, item.id, item.question, item.score, item.maxScore, item.status,
                                         JSONValue.array(item.feedback.map { .string($0) }).rendered])
                }
            }
        }
    }

    /// The grades kept for a key fingerprint (or all), as (submission name, score, max score, error), by name.
    public func grades(keySHA256: String? = nil) throws(StoreError) -> [(name: String, score: Double, maxScore: Double, error: String?)] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT s.name, g.score, g.max_score, g.error FROM grades g JOIN submissions s ON s.id = g.submission_id
                WHERE ? IS NULL OR g.key_sha256 = ? ORDER BY s.name, g.id
                """, arguments: [keySHA256, keySHA256])
            return rows.map { (name: $0["name"], score: $0["score"], maxScore: $0["max_score"], error: $0["error"]) }
        }
    }
}
