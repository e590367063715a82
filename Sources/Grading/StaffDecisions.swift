import Store
import TraceModel

/// A decision course staff recorded on one item (`tracelab grade review SUBMISSION ITEM --score S --comment C`), as
/// a report carries it: the score it gives, the grader's own, why, who and when. A decision made on an earlier
/// version of the submission is `stale`: it is shown and the item is marked for review, but it does not apply.
public struct StaffDecision: Sendable, Equatable {
    public var score: Double
    public var gradersScore: Double
    public var comment: String
    public var recordedBy: String
    public var recordedAt: String
    public var stale: Bool

    public init(score: Double, gradersScore: Double, comment: String, recordedBy: String, recordedAt: String, stale: Bool) {
        self.score = score
        self.gradersScore = gradersScore
        self.comment = comment
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
        self.stale = stale
    }

    /// One line for a report: "Staff decision: 4 / 5 (the grader gave 3), by ta on 2026-12-04T10:00:00Z: ...".
    public func line(maximum: Double) -> String {
        let points = CheckResult.points
        if stale {
            return "A staff decision (\(points(score)) / \(points(maximum)), by \(recordedBy) on \(recordedAt): \(comment)) was made on an earlier version of this submission; it changed since, so the grader's score stands until staff review it again."
        }
        return "Staff decision: \(points(score)) / \(points(maximum)) (the grader gave \(points(gradersScore))), by \(recordedBy) on \(recordedAt): \(comment)"
    }
}

/// Applying recorded decisions to grade reports, on every grading (a report reused unchanged included).
public enum StaffDecisions {
    /// Sets each item's decision from `overrides` (the latest per submission and item): while the submission's
    /// content hash is the one the decision was made on, the item takes the decision's score (within 0 and the
    /// item's maximum) and its status follows; otherwise the decision is attached as stale and the item needs review.
    public static func apply(_ overrides: [StoredOverride], to reports: inout [GradeReport]) {
        let bySubmission = Dictionary(grouping: overrides, by: \.submission)
        for index in reports.indices {
            guard let decisions = bySubmission[reports[index].submission], reports[index].error == nil else { continue }
            for decision in decisions {
                guard let position = reports[index].checks.firstIndex(where: { $0.itemID == decision.itemID }) else { continue }
                var check = reports[index].checks[position]
                let gradersScore = check.decision.map(\.gradersScore) ?? check.score
                let applies = decision.submissionSHA256 == reports[index].submissionFingerprint
                check.decision = StaffDecision(score: decision.score, gradersScore: gradersScore, comment: decision.comment,
                                               recordedBy: decision.recordedBy, recordedAt: decision.recordedAt, stale: !applies)
                if applies {
                    check.score = (min(max(decision.score, 0), check.maximum) * 100).rounded() / 100
                    check.status = check.score >= check.maximum ? .passed : check.score > 0 ? .partial : .failed
                } else {
                    check.score = gradersScore
                    check.status = .needsReview
                }
                reports[index].checks[position] = check
            }
        }
    }
}
