import Grading
import TraceModel

/// The class's totals in the layouts course sites import, matched to students through a roster:
///
/// - **Canvas** (Grades, Import): `Student, ID, SIS User ID, SIS Login ID, Section`, then one column named after the
///   assignment, and a `Points Possible` row first, as Canvas's own gradebook export has them. Canvas matches a row by
///   ID, SIS User ID or SIS Login ID.
/// - **Moodle** (Grade administration, Import, CSV file): `First name, Last name, ID number, Email address`, the
///   assignment's column, and `Feedback`; on import, map "Email address" (or "ID number") to the user and the
///   assignment column to the grade item.
///
/// A student without a submission gets an empty cell (both sites leave an empty cell's grade unchanged); a submission
/// that could not be graded too, with the reason as feedback. Submissions no roster row names are listed, not exported.
public enum GradebookExports {
    public struct Export {
        public var canvas: String
        public var moodle: String
        /// Submissions the roster does not name.
        public var unmatched: [String]
        /// Students of the roster without a submission.
        public var missing: [String]
    }

    public static func export(_ reports: [GradeReport], roster: Roster, assignment: String) -> Export {
        let bySubmission = Dictionary(reports.map { ($0.submission, $0) }, uniquingKeysWith: { first, _ in first })
        let maximum = reports.first(where: { $0.error == nil })?.maximum ?? reports.first?.maximum ?? 0
        var canvas = CSV.row(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment]) + "\n"
        canvas += CSV.row(["Points Possible", "", "", "", "", GradeReports.points(maximum)]) + "\n"
        var moodle = CSV.row(["First name", "Last name", "ID number", "Email address", assignment + " (Real)", "Feedback"]) + "\n"
        var missing: [String] = []
        for student in roster.students {
            let report = bySubmission[student.submission]
            if report == nil { missing.append(student.submission) }
            let grade = report.flatMap { $0.error == nil ? GradeReports.points($0.score) : nil } ?? ""
            canvas += CSV.row([student.sortableName, student.id, student.sisID, student.login.isEmpty ? student.email : student.login, student.section, grade]) + "\n"
            moodle += CSV.row([student.firstName, student.lastName, student.id, student.email, grade, report.map(feedback) ?? "no submission"]) + "\n"
        }
        let named = Set(roster.students.map(\.submission))
        return Export(canvas: canvas, moodle: moodle, unmatched: reports.map(\.submission).filter { !named.contains($0) }.sorted(), missing: missing)
    }

    /// One line for the site's feedback field: the total, and the items staff decided or still review.
    static func feedback(_ report: GradeReport) -> String {
        if let error = report.error { return "not graded: \(error)" }
        var line = "TraceLab: \(GradeReports.points(report.score)) / \(GradeReports.points(report.maximum)) (key \(report.keyName) version \(report.keyVersion))"
        let decided = report.checks.filter { $0.decision.map { !$0.stale } ?? false }.map(\.itemID)
        let review = report.checks.filter { $0.status == .needsReview }.map(\.itemID)
        if !decided.isEmpty { line += "; staff decided \(decided.joined(separator: ", "))" }
        if !review.isEmpty { line += "; under review: \(review.joined(separator: ", "))" }
        return line
    }
}
