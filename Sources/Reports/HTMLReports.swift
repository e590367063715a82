import Grading
import TraceModel

/// HTML renderings of grades: a page per submission and a class page with SVG charts (score histogram,
/// per-item full-marks rates). Self-contained: inline CSS, no scripts, every text escaped.
public enum HTMLReports {
    static let style = """
    body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
    table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
    td.n{text-align:right}.passed{color:#176f2c}.partial{color:#9a6700}.failed{color:#b42318}.review{color:#6639ba}
    .decision{border-left:4px solid #6639ba;padding-left:.6rem}
    pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;font-size:.85rem}h2{margin-top:2rem}
    """

    private static func statusClass(_ status: CheckResult.Status) -> String {
        switch status {
        case .passed: "passed"
        case .partial: "partial"
        case .failed: "failed"
        case .needsReview: "review"
        }
    }

    private static func page(_ title: String, _ body: String) -> String {
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(Markup.escape(title))</title><style>\(style)</style></head><body>\n\(body)</body></html>\n"
    }

    /// One submission: score table, what was found, problems, each item with feedback and evidence.
    public static func submission(_ report: GradeReport) -> String {
        var body = "<h1>\(Markup.escape(report.submission)): \(GradeReports.points(report.score)) / \(GradeReports.points(report.maximum))</h1>\n"
        body += "<p>Graded with the key <code>\(Markup.escape(report.keyName))</code> version \(report.keyVersion).</p>\n"
        if let error = report.error { body += "<p class=\"failed\"><strong>Not graded:</strong> \(Markup.escape(error))</p>\n" }
        body += "<table><tr><th>item</th><th>question</th><th>score</th><th>status</th></tr>\n"
        for check in report.checks {
            body += "<tr><td><a href=\"#\(Markup.escape(check.itemID))\">\(Markup.escape(check.itemID))</a></td><td>\(Markup.escape(check.question))</td>"
                + "<td class=\"n\">\(GradeReports.points(check.score)) / \(GradeReports.points(check.maximum))</td>"
                + "<td class=\"\(statusClass(check.status))\">\(Markup.escape(check.status.rawValue))</td></tr>\n"
        }
        body += "</table>\n<h2>What was found</h2>\n<ul>\n"
        body += (report.found.isEmpty ? ["nothing the lab asks for"] : report.found).map { "<li>\(Markup.escape($0))</li>\n" }.joined() + "</ul>\n"
        if !report.problems.isEmpty { body += "<h2>Problems</h2>\n<ul>\n" + report.problems.map { "<li>\(Markup.escape($0))</li>\n" }.joined() + "</ul>\n" }
        if !report.deployment.isEmpty {
            body += "<h2>Your Falco as you configured it</h2>\n<ul>\n" + report.deployment.map { "<li>\(Markup.escape($0))</li>\n" }.joined() + "</ul>\n"
        }
        for check in report.checks {
            body += "<h2 id=\"\(Markup.escape(check.itemID))\">\(Markup.escape(check.itemID)): \(Markup.escape(check.title))</h2>\n"
            body += "<p class=\"\(statusClass(check.status))\"><strong>\(GradeReports.points(check.score)) / \(GradeReports.points(check.maximum))</strong>, \(Markup.escape(check.status.rawValue))</p>\n"
            if let decision = check.decision {
                body += "<p class=\"decision\"><strong>\(Markup.escape(decision.line(maximum: check.maximum)))</strong></p>\n"
            }
            body += "<ul>\n" + check.feedback.map { "<li>\(Markup.escape($0))</li>\n" }.joined() + "</ul>\n"
            if !check.evidence.isEmpty { body += "<pre>" + Markup.escape(check.evidence.joined(separator: "\n")) + "</pre>\n" }
            // Figures are SVG drawn by TraceLab itself (text in them escaped), so they are inlined.
            for figure in check.figures { body += "<figure>\(figure.svg)<figcaption>\(Markup.escape(figure.title))</figcaption></figure>\n" }
        }
        return page("\(report.submission): \(GradeReports.points(report.score))", body)
    }

    /// The class page: a histogram of totals, each item's full-marks rate and mean (with its title), the items to
    /// review and why, the most common mistakes, and the scores with links to each report.
    public static func classSummary(_ reports: [GradeReport]) -> String {
        let summary = ClassSummary(reports)
        var body = "<h1>Class summary: \(reports.count) submission\(reports.count == 1 ? "" : "s")</h1>\n"
        if !summary.items.isEmpty {
            body += "<h2>Scores</h2>\n" + histogram(summary.fractions)
            body += "<h2>Items</h2>\n" + passRates(summary.items.map { ($0.id, $0.fullMarksRate) })
            body += "<table id=\"items\"><tr><th>item</th><th>title</th><th>full marks</th><th>mean</th></tr>\n"
            for item in summary.items {
                body += "<tr><td>\(Markup.escape(item.id))</td><td>\(Markup.escape(item.title))</td>"
                    + "<td class=\"n\">\(item.fullMarks) of \(item.graded) (\(Int((item.fullMarksRate * 100).rounded()))%)</td>"
                    + "<td class=\"n\">\(GradeReports.points(item.mean)) / \(GradeReports.points(item.maximum))</td></tr>\n"
            }
            body += "</table>\n"
        }
        body += "<h2>Needs review (\(summary.reviews.count))</h2>\n"
        if summary.reviews.isEmpty {
            body += "<p>The grader decided every item.</p>\n"
        } else {
            body += "<table id=\"review\"><tr><th>submission</th><th>item</th><th>why</th></tr>\n"
            for review in summary.reviews {
                body += "<tr><td><a href=\"\(Markup.escape(review.submission))/report.html#\(Markup.escape(review.itemID))\">\(Markup.escape(review.submission))</a></td>"
                    + "<td>\(Markup.escape(review.itemID)): \(Markup.escape(review.title))</td>"
                    + "<td><ul>" + review.reasons.map { "<li>\(Markup.escape($0))</li>" }.joined() + "</ul></td></tr>\n"
            }
            body += "</table>\n"
        }
        if !summary.mistakes.isEmpty {
            body += "<h2>Most common mistakes</h2>\n<table id=\"mistakes\"><tr><th>submissions</th><th>item: feedback</th></tr>\n"
                + summary.mistakes.map { "<tr><td class=\"n\">\($0.count)</td><td>\(Markup.escape($0.line))</td></tr>\n" }.joined() + "</table>\n"
        }
        if !summary.similar.isEmpty {
            body += "<h2>Similar submissions</h2>\n<p>For a person to look at; never a deduction. What more than a quarter of the class shares is left out.</p>\n"
                + "<table id=\"similar\"><tr><th>submissions</th><th>how alike</th></tr>\n"
                + summary.similar.map { "<tr><td>\(Markup.escape($0.first)) and \(Markup.escape($0.second))</td><td>\(Markup.escape(ClassSummary.describe($0)))</td></tr>\n" }.joined()
                + "</table>\n"
        }
        body += "<h2>Submissions</h2>\n<table id=\"submissions\"><tr><th>submission</th><th>score</th></tr>\n"
        for report in reports {
            let score = report.error.map { "not graded: " + $0 } ?? "\(GradeReports.points(report.score)) / \(GradeReports.points(report.maximum))"
            body += "<tr><td><a href=\"\(Markup.escape(report.submission))/report.html\">\(Markup.escape(report.submission))</a></td><td>\(Markup.escape(score))</td></tr>\n"
        }
        body += "</table>\n"
        return page("Class summary", body)
    }

    /// The totals in eleven bins, as an SVG bar chart: 0–9%, 10–19%, ... 90–99%, and full marks alone.
    static func histogram(_ fractions: [Double]) -> String {
        var bins = Array(repeating: 0, count: 11)
        for fraction in fractions { bins[fraction >= 1 ? 10 : min(9, max(0, Int(fraction * 10)))] += 1 }
        let tallest = max(1, bins.max() ?? 1)
        let width = 44, height = 160
        // 20 px above the bars for the tallest bar's count, 25 below for the axis labels.
        let top = 20
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width * bins.count + 20)\" height=\"\(top + height + 25)\" role=\"img\" aria-label=\"score histogram\">\n"
        for (index, count) in bins.enumerated() {
            let barHeight = count * height / tallest
            let x = 10 + index * width
            let range = index == 10 ? "100%" : "\(index * 10)–\(index * 10 + 9)%"
            svg += "<rect x=\"\(x + 2)\" y=\"\(top + height - barHeight)\" width=\"\(width - 4)\" height=\"\(barHeight)\" fill=\"#4a78c2\"><title>\(range): \(count)</title></rect>\n"
            svg += "<text x=\"\(x + width / 2)\" y=\"\(top + height + 15)\" font-size=\"10\" text-anchor=\"middle\">\(index == 10 ? "100%" : "\(index * 10)%")</text>\n"
            if count > 0 { svg += "<text x=\"\(x + width / 2)\" y=\"\(top + height - barHeight - 5)\" font-size=\"10\" text-anchor=\"middle\">\(count)</text>\n" }
        }
        return svg + "</svg>\n"
    }

    /// Horizontal bars: the share of submissions with full marks on each item (the label column fits the longest id).
    static func passRates(_ rates: [(String, Double)]) -> String {
        let rowHeight = 22, barWidth = 300
        let labelWidth = max(120, 8 * (rates.map(\.0.count).max() ?? 0) + 12)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + barWidth + 60)\" height=\"\(rates.count * rowHeight + 10)\" role=\"img\" aria-label=\"full marks per item\">\n"
        for (index, (item, rate)) in rates.enumerated() {
            let y = 5 + index * rowHeight
            let percent = Int((rate * 100).rounded())
            svg += "<text x=\"0\" y=\"\(y + 15)\" font-size=\"12\">\(Markup.escape(item))</text>\n"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(Int(rate * Double(barWidth)))\" height=\"\(rowHeight - 6)\" fill=\"#2f9e44\"/>\n"
            svg += "<text x=\"\(labelWidth + barWidth + 5)\" y=\"\(y + 15)\" font-size=\"12\">\(percent)%</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// JUnit XML: a test suite per submission, a test case per item; partial and failed items are failures.
    public static func junit(_ reports: [GradeReport]) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tracelab grade\">\n"
        for report in reports {
            let failures = report.checks.filter { $0.score < $0.maximum }.count
            out += "  <testsuite name=\"\(Markup.escape(report.submission))\" tests=\"\(report.checks.count)\" failures=\"\(failures)\" errors=\"\(report.error == nil ? 0 : 1)\">\n"
            if let error = report.error { out += "    <properties><property name=\"error\" value=\"\(Markup.escape(error))\"/></properties>\n" }
            for check in report.checks {
                out += "    <testcase classname=\"\(Markup.escape(report.submission))\" name=\"\(Markup.escape(check.itemID)): \(Markup.escape(check.title))\">\n"
                if check.score < check.maximum {
                    out += "      <failure message=\"\(GradeReports.points(check.score)) / \(GradeReports.points(check.maximum)) (\(Markup.escape(check.status.rawValue)))\">"
                        + Markup.escape((check.feedback + check.evidence).joined(separator: "\n")) + "</failure>\n"
                }
                out += "    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }
}
