import Grading
import TraceModel

/// What a class's grades say, computed once for the Markdown and HTML summaries: each item's mean and full-marks
/// rate (with its title), every item marked for review with its reasons, the mistakes given most often, and the
/// pairs of submissions that look alike.
public struct ClassSummary {
    /// One item across the graded submissions.
    public struct ItemStatistics {
        public var id: String
        public var title: String
        public var maximum: Double
        public var mean: Double
        public var fullMarks: Int
        public var graded: Int
        public var fullMarksRate: Double { graded == 0 ? 0 : Double(fullMarks) / Double(graded) }
    }

    /// An item of a submission that course staff should look at, and why.
    public struct Review {
        public var submission: String
        public var itemID: String
        public var title: String
        public var reasons: [String]
    }

    public var submissions: Int
    public var items: [ItemStatistics] = []
    public var reviews: [Review] = []
    /// Mistake lines ("item: feedback") by how many submissions got them, most frequent first; ten at most.
    public var mistakes: [(line: String, count: Int)] = []
    /// Each graded submission's total as a fraction of the maximum, in submission order.
    public var fractions: [Double] = []
    /// Submissions whose rules or answers look alike, for a person to look at (never a deduction).
    public var similar: [Similarity.Pair] = []

    public init(_ reports: [GradeReport]) {
        submissions = reports.count
        let graded = reports.filter { $0.error == nil }
        fractions = graded.map { $0.score / max(1, $0.maximum) }
        if let first = graded.first {
            items = first.checks.indices.map { index in
                let results = graded.compactMap { $0.checks.indices.contains(index) ? $0.checks[index] : nil }
                return ItemStatistics(id: first.checks[index].itemID, title: first.checks[index].title, maximum: first.checks[index].maximum,
                                      mean: results.reduce(0) { $0 + $1.score } / Double(max(1, results.count)),
                                      fullMarks: results.filter { $0.score >= $0.maximum }.count, graded: results.count)
            }
        }
        for report in graded {
            for check in report.checks where check.status == .needsReview {
                reviews.append(Review(submission: report.submission, itemID: check.itemID, title: check.title, reasons: Self.reasons(check)))
            }
        }
        var counts: [String: Int] = [:]
        for report in graded {
            for check in report.checks where check.score < check.maximum {
                for line in Set(Self.mistakes(check)) { counts["\(check.itemID): \(line)", default: 0] += 1 }
            }
        }
        mistakes = counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(10).map { (line: $0.key, count: $0.value) }
        similar = Similarity.pairs(graded.compactMap { report in report.similarity.map { (report.submission, $0) } })
    }

    /// How alike a pair is, in words: "rules 100% alike (3 shared); answers 62% alike (41 passages)".
    public static func describe(_ pair: Similarity.Pair) -> String {
        var parts: [String] = []
        if pair.sharedRules > 0 { parts.append("rules \(Int((pair.rules * 100).rounded()))% alike (\(pair.sharedRules) condition\(pair.sharedRules == 1 ? "" : "s") shared)") }
        if pair.sharedShingles > 0 { parts.append("answers \(Int((pair.answers * 100).rounded()))% alike (\(pair.sharedShingles) five-word passages shared)") }
        return parts.joined(separator: "; ")
    }

    /// Why an item needs review: the parts the grader could not decide, or a stale staff decision.
    static func reasons(_ check: CheckResult) -> [String] {
        var reasons = check.feedback.filter { $0.contains(": needs review") }
        if let decision = check.decision, decision.stale { reasons.append(decision.line(maximum: check.maximum)) }
        return reasons.isEmpty ? check.feedback : reasons
    }

    /// The feedback lines of an item that name something wrong or missing (a written answer's parts marked right are
    /// not mistakes).
    static func mistakes(_ check: CheckResult) -> [String] {
        check.feedback.filter { !$0.contains(": right — ") }
    }
}
