import Store
import TraceModel

/// Keeps a batch of grades in the course database with the runs they rest on: the key's recordings are
/// ingested once (by content hash), each submission's replays (the default rules alone, the default rules
/// with the submission's files, the submission as deployed) are stored as runs of those traces, and each
/// grade is linked to its runs by role (`grade_runs`). An instructor can then `tracelab diff` a student's
/// run against the default-rules run, or ask in SQL which submissions alert on a given recorded event.
public enum GradeArchive {
    /// One graded submission to keep: its report, where it was read from, its SHA-256 and the report as JSON.
    public struct Entry {
        public var report: GradeReport
        public var path: String
        public var reportJSON: String

        public init(report: GradeReport, path: String, reportJSON: String) {
            self.report = report
            self.path = path
            self.reportJSON = reportJSON
        }
    }

    /// Stores the grades and their runs; returns how many runs were stored (runs stored before are reused).
    @discardableResult
    public static func save(_ entries: [Entry], keySHA256: String, into store: TraceStore) throws(StoreError) -> Int {
        var traceIDs: [String: Int64] = [:]
        var runCount = 0
        var grades: [StoredGrade] = []
        for entry in entries {
            let report = entry.report
            var links: [(role: String, runID: Int64)] = []
            for run in report.runs {
                var ids: [Int64] = []
                for recording in run.recordings {
                    if let known = traceIDs[recording] { ids.append(known); continue }
                    let outcome = try store.ingest(path: recording)
                    traceIDs[recording] = outcome.traceID
                    ids.append(outcome.traceID)
                }
                let alerts = run.alerts.map { (traceID: ids[$0.recording], sequence: Int64($0.index), alert: $0.alert) }
                let stored = try store.saveRun(setup: RunSetup(rulesFiles: run.rulesFiles.map { ($0.name, $0.sha256) }, config: run.config),
                                               traceIDs: ids, eventCount: Int64(run.events), alerts: alerts)
                links.append((run.role.rawValue, stored.id))
                runCount += 1
            }
            grades.append(StoredGrade(submissionName: report.submission, submissionPath: entry.path,
                                      submissionSHA256: report.submissionFingerprint ?? "unreadable:" + entry.path,
                                      keyName: report.keyName, keyVersion: report.keyVersion, keySHA256: keySHA256, score: report.score,
                                      maxScore: report.maximum, error: report.error, reportJSON: entry.reportJSON,
                                      items: report.checks.map { StoredGrade.Item(id: $0.itemID, question: $0.question, score: $0.score, maxScore: $0.maximum,
                                                                                  status: $0.status.rawValue, feedback: $0.feedback) },
                                      runs: links))
        }
        try store.saveGrades(grades)
        return runCount
    }
}
