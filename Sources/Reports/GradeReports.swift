import Foundation
import Grading
import TraceModel

/// Renders grades: per submission Markdown, JSON and Gradescope's `results.json`; per class a gradebook
/// CSV and a Markdown summary. Every renderer is a pure function of its input, so the same grades give
/// byte-identical files.
public enum GradeReports {
    /// Points as a person writes them: `2`, `1.5`, `0.67`.
    public static func points(_ value: Double) -> String { CheckResult.points(value) }

    /// Gradescope's `results.json`: one test per item, with the feedback and evidence as its output.
    public static func gradescope(_ report: GradeReport) -> String {
        let tests: [JSONValue] = report.checks.map { check in
            .object([("name", .string("\(check.question): \(check.title)")), ("number", .string(check.itemID)),
                     ("score", .double(check.score)), ("max_score", .double(check.maximum)),
                     ("status", .string(check.score >= check.maximum ? "passed" : "failed")),
                     ("output", .string(((check.decision.map { [$0.line(maximum: check.maximum), ""] } ?? []) + check.feedback
                                          + (check.evidence.isEmpty ? [] : ["", "Evidence:"] + check.evidence)).joined(separator: "\n"))),
                     ("visibility", .string("visible"))])
        }
        var members: [(String, JSONValue)] = [("score", .double(report.score))]
        var output = "Files: " + (report.found.isEmpty ? "none recognised" : report.found.joined(separator: "; "))
        if !report.problems.isEmpty { output += "\nProblems: " + report.problems.joined(separator: "; ") }
        if let error = report.error { output += "\nNot graded: " + error }
        if !report.deployment.isEmpty { output += "\n\nYour Falco as you configured it:\n" + report.deployment.map { "- " + $0 }.joined(separator: "\n") }
        members += [("output", .string(output)), ("visibility", .string("visible")), ("tests", .array(tests))]
        return JSONValue.object(members).rendered + "\n"
    }

    /// The report as Markdown: the score table, then each item with its feedback and evidence.
    public static func markdown(_ report: GradeReport) -> String {
        var out = "# \(report.submission): \(points(report.score)) / \(points(report.maximum))\n\n"
        out += "Graded with the key `\(report.keyName)` version \(report.keyVersion).\n\n"
        if let error = report.error { out += "**Not graded:** \(error)\n\n" }
        out += "| item | question | score | status |\n|---|---|---:|---|\n"
        for check in report.checks {
            out += "| \(check.itemID) | \(markdown(check.question)) | \(points(check.score)) / \(points(check.maximum)) | \(check.status.rawValue) |\n"
        }
        out += "\n## What was found\n\n"
        out += (report.found.isEmpty ? ["nothing the lab asks for"] : report.found).map { "- \(markdown($0))\n" }.joined()
        if !report.problems.isEmpty {
            out += "\n## Problems\n\n" + report.problems.map { "- \(markdown($0))\n" }.joined()
        }
        if !report.deployment.isEmpty {
            out += "\n## Your Falco as you configured it\n\n"
            out += "What the chart's Falco would do with your files and settings on the key's recordings (feedback; the items above decide the points).\n\n"
            out += report.deployment.map { "- \(markdown($0))\n" }.joined()
        }
        for check in report.checks {
            out += "\n## \(check.itemID) — \(markdown(check.title))\n\n**\(points(check.score)) / \(points(check.maximum))**, \(check.status.rawValue)\n\n"
            if let decision = check.decision { out += "> **\(markdown(decision.line(maximum: check.maximum)))**\n\n" }
            out += check.feedback.map { "- \(markdown($0))\n" }.joined()
            if !check.evidence.isEmpty {
                out += "\nEvidence:\n\n```\n" + check.evidence.joined(separator: "\n") + "\n```\n"
            }
            for (index, figure) in check.figures.enumerated() {
                out += "\n![\(markdown(figure.title))](\(figureFile(check.itemID, index)))\n"
            }
        }
        return out
    }

    /// The file a check's figure is written to beside report.md.
    public static func figureFile(_ itemID: String, _ index: Int) -> String {
        "\(itemID.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }.map(String.init).joined())-figure-\(index + 1).svg"
    }

    /// The class gradebook: a row per submission, a column per item, the total, then each item's status (`passed`,
    /// `partial`, `failed`, `needs review`, with `, staff decision` when course staff decided its score).
    public static func gradebook(_ reports: [GradeReport]) -> String {
        let items = reports.first(where: { !$0.checks.isEmpty })?.checks.map(\.itemID) ?? []
        var out = CSV.row(["submission"] + items + ["total", "max", "error"] + items.map { "status: " + $0 }) + "\n"
        for report in reports {
            let checks = items.map { id in report.checks.first { $0.itemID == id } }
            let scores = checks.map { $0.map { points($0.score) } ?? "0" }
            let statuses = checks.map { check in
                check.map { $0.status.rawValue + ($0.decision.map { $0.stale ? "" : ", staff decision" } ?? "") } ?? (report.error == nil ? "" : "not graded")
            }
            out += CSV.row([report.submission] + scores + [points(report.score), points(report.maximum), report.error ?? ""] + statuses) + "\n"
        }
        return out
    }

    /// The class summary in Markdown: scores, each item's mean and full-marks rate, the items to review and why,
    /// and the mistakes made most often.
    public static func classSummary(_ reports: [GradeReport]) -> String {
        let summary = ClassSummary(reports)
        var out = "# Class summary: \(reports.count) submission\(reports.count == 1 ? "" : "s")\n\n"
        out += "| submission | score | to review |\n|---|---:|---:|\n"
        for report in reports {
            let toReview = summary.reviews.filter { $0.submission == report.submission }.count
            out += "| \(markdown(report.submission)) | \(report.error == nil ? "\(points(report.score)) / \(points(report.maximum))" : "not graded: \(markdown(report.error ?? ""))") | \(toReview) |\n"
        }
        guard !summary.items.isEmpty else { return out }
        out += "\n| item | title | full marks | mean |\n|---|---|---:|---:|\n"
        for item in summary.items {
            out += "| \(item.id) | \(markdown(item.title)) | \(item.fullMarks) of \(item.graded) (\(Int((item.fullMarksRate * 100).rounded()))%) | \(points(item.mean)) / \(points(item.maximum)) |\n"
        }
        if !summary.reviews.isEmpty {
            out += "\n## Needs review (\(summary.reviews.count))\n\n| submission | item | why |\n|---|---|---|\n"
            for review in summary.reviews {
                out += "| \(markdown(review.submission)) | \(review.itemID): \(markdown(review.title)) | \(markdown(review.reasons.joined(separator: "; "))) |\n"
            }
        }
        if !summary.mistakes.isEmpty {
            out += "\n## Most common mistakes\n\n" + summary.mistakes.map { "- \($0.count)× \(markdown($0.line))\n" }.joined()
        }
        if !summary.similar.isEmpty {
            out += "\n## Similar submissions (for a person to look at; not a deduction)\n\n"
            out += summary.similar.map { "- \(markdown($0.first)) and \(markdown($0.second)): \(ClassSummary.describe($0))\n" }.joined()
        }
        return out
    }

    /// Text for a Markdown table cell or list item: pipes escaped, one line.
    private static func markdown(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

extension GradeReports {
    /// Writes a class's reports under `folder`: per submission (in a folder named by its report) report.md,
    /// report.json, results.json, report.html and its figures; for the class summary.md, summary.html,
    /// gradebook.csv and junit.xml.
    public static func writeClassReports(_ reports: [GradeReport], to folder: String) throws {
        for report in reports {
            let own = folder + "/" + report.submission
            try write(markdown(report), to: own + "/report.md")
            try write(report.json(), to: own + "/report.json")
            try write(gradescope(report), to: own + "/results.json")
            try write(HTMLReports.submission(report), to: own + "/report.html")
            for check in report.checks {
                for (index, figure) in check.figures.enumerated() { try write(figure.svg, to: own + "/" + figureFile(check.itemID, index)) }
            }
        }
        try write(HTMLReports.classSummary(reports), to: folder + "/summary.html")
        try write(HTMLReports.junit(reports), to: folder + "/junit.xml")
        try write(gradebook(reports), to: folder + "/gradebook.csv")
        try write(classSummary(reports), to: folder + "/summary.md")
    }

    private static func write(_ text: String, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}
