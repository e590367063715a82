import Grading
import TraceModel

/// Renders grades: per submission Markdown, JSON and Gradescope's `results.json`; per class a gradebook
/// CSV and a Markdown summary. Every renderer is a pure function of its input, so the same grades give
/// byte-identical files.
public enum GradeReports {
    /// Points as a person writes them: `2`, `1.5`, `0.67`.
    public static func points(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(format2: rounded)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// The report as JSON (keys in a fixed order), for tools. With `withRuns`, also the replays the grading made
    /// with every alert (the grading child's answer to `tracelab grade`, which stores them); report.json leaves them out.
    public static func json(_ report: GradeReport, withRuns: Bool = false) -> String {
        let checks: [JSONValue] = report.checks.map { check in
            .object([("id", .string(check.itemID)), ("question", .string(check.question)), ("title", .string(check.title)),
                     ("score", .double(check.score)), ("max_score", .double(check.maximum)), ("status", .string(check.status.rawValue)),
                     ("feedback", .array(check.feedback.map { .string($0) })), ("evidence", .array(check.evidence.map { .string($0) })),
                     ("figures", .array(check.figures.map { .object([("title", .string($0.title)), ("svg", .string($0.svg))]) }))])
        }
        let value = JSONValue.object([
            ("submission", .string(report.submission)), ("key", .string(report.keyName)), ("key_version", .integer(Int64(report.keyVersion))),
            ("score", .double(report.score)), ("max_score", .double(report.maximum)),
            ("error", report.error.map { .string($0) } ?? .null),
            ("submission_sha256", report.submissionFingerprint.map { .string($0) } ?? .null),
            ("key_sha256", report.keyFingerprint.map { .string($0) } ?? .null),
            ("found", .array(report.found.map { .string($0) })), ("problems", .array(report.problems.map { .string($0) })),
            ("checks", .array(checks)), ("deployment", .array(report.deployment.map { .string($0) })),
        ] + (withRuns ? [("runs", .array(report.runs.map(\.json)))] : []))
        return value.rendered + "\n"
    }

    /// Reads back what `json(_:)` wrote (a grading child process's answer); nil when it is not such a report.
    public static func decode(_ text: String) -> GradeReport? {
        guard case .object(let top) = try? JSONParser.parse(Array(text.utf8)) else { return nil }
        func member(_ members: [(String, JSONValue)], _ key: String) -> JSONValue? { members.first { $0.0 == key }?.1 }
        func string(_ value: JSONValue?) -> String? { if case .string(let text)? = value { return text } else { return nil } }
        func number(_ value: JSONValue?) -> Double? {
            switch value {
            case .double(let number)?: return number
            case .integer(let number)?: return Double(number)
            default: return nil
            }
        }
        func strings(_ value: JSONValue?) -> [String] { if case .array(let items)? = value { return items.compactMap { string($0) } } else { return [] } }
        guard let submission = string(member(top, "submission")), let key = string(member(top, "key")),
              case .array(let checkValues)? = member(top, "checks") else { return nil }
        var checks: [CheckResult] = []
        for value in checkValues {
            guard case .object(let check) = value, let id = string(member(check, "id")), let score = number(member(check, "score")),
                  let maximum = number(member(check, "max_score")), let status = string(member(check, "status")).flatMap(CheckResult.Status.init(rawValue:)) else { return nil }
            var figures: [(title: String, svg: String)] = []
            if case .array(let items)? = member(check, "figures") {
                for item in items {
                    guard case .object(let figure) = item, let title = string(member(figure, "title")), let svg = string(member(figure, "svg")) else { continue }
                    figures.append((title, svg))
                }
            }
            checks.append(CheckResult(itemID: id, question: string(member(check, "question")) ?? id, title: string(member(check, "title")) ?? "",
                                      score: score, maximum: maximum, status: status, feedback: strings(member(check, "feedback")), evidence: strings(member(check, "evidence")),
                                      figures: figures))
        }
        var report = GradeReport(submission: submission, keyName: key, keyVersion: Int(number(member(top, "key_version")) ?? 1), checks: checks,
                                 found: strings(member(top, "found")), problems: strings(member(top, "problems")), error: string(member(top, "error")))
        report.deployment = strings(member(top, "deployment"))
        if case .array(let runs)? = member(top, "runs") { report.runs = runs.compactMap(ReplayRun.init(json:)) }
        report.submissionFingerprint = string(member(top, "submission_sha256"))
        report.keyFingerprint = string(member(top, "key_sha256"))
        return report
    }

    /// Gradescope's `results.json`: one test per item, with the feedback and evidence as its output.
    public static func gradescope(_ report: GradeReport) -> String {
        let tests: [JSONValue] = report.checks.map { check in
            .object([("name", .string("\(check.question): \(check.title)")), ("number", .string(check.itemID)),
                     ("score", .double(check.score)), ("max_score", .double(check.maximum)),
                     ("status", .string(check.score >= check.maximum ? "passed" : "failed")),
                     ("output", .string((check.feedback + (check.evidence.isEmpty ? [] : ["", "Evidence:"] + check.evidence)).joined(separator: "\n"))),
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

    /// The class gradebook: a row per submission, a column per item, then the total.
    public static func gradebook(_ reports: [GradeReport]) -> String {
        let items = reports.first(where: { !$0.checks.isEmpty })?.checks.map(\.itemID) ?? []
        var out = CSV.row(["submission"] + items + ["total", "max", "error"]) + "\n"
        for report in reports {
            let scores = items.map { id in report.checks.first { $0.itemID == id }.map { points($0.score) } ?? "0" }
            out += CSV.row([report.submission] + scores + [points(report.score), points(report.maximum), report.error ?? ""]) + "\n"
        }
        return out
    }

    /// The class summary in Markdown: scores, per-item pass rates and the most common feedback.
    public static func classSummary(_ reports: [GradeReport]) -> String {
        var out = "# Class summary: \(reports.count) submission\(reports.count == 1 ? "" : "s")\n\n"
        out += "| submission | score |\n|---|---:|\n"
        for report in reports {
            out += "| \(markdown(report.submission)) | \(report.error == nil ? "\(points(report.score)) / \(points(report.maximum))" : "not graded: \(markdown(report.error ?? ""))") |\n"
        }
        let graded = reports.filter { $0.error == nil }
        guard let first = graded.first else { return out }
        out += "\n| item | full marks | mean |\n|---|---:|---:|\n"
        for (index, check) in first.checks.enumerated() {
            let results = graded.compactMap { $0.checks.indices.contains(index) ? $0.checks[index] : nil }
            let full = results.filter { $0.score >= $0.maximum }.count
            let mean = results.reduce(0) { $0 + $1.score } / Double(max(1, results.count))
            out += "| \(check.itemID) | \(full) of \(results.count) | \(points(mean)) / \(points(check.maximum)) |\n"
        }
        let common = commonFeedback(graded)
        if !common.isEmpty {
            out += "\n## Most common feedback\n\n" + common.map { "- \($0.count)× \(markdown($0.line))\n" }.joined()
        }
        return out
    }

    /// The ten feedback lines given most often on items short of full marks, most frequent first (ties by text).
    public static func commonFeedback(_ reports: [GradeReport]) -> [(line: String, count: Int)] {
        var counts: [String: Int] = [:]
        for report in reports {
            for check in report.checks where check.score < check.maximum {
                for line in check.feedback { counts["\(check.itemID): \(line)", default: 0] += 1 }
            }
        }
        return counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(10).map { (line: $0.key, count: $0.value) }
    }

    /// Text for a Markdown table cell or list item: pipes escaped, one line.
    private static func markdown(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
}

extension String {
    /// Two decimals, without Foundation's locale.
    init(format2 value: Double) {
        let hundredths = Int((abs(value) * 100).rounded())
        let fraction = hundredths % 100
        self = (value < 0 ? "-" : "") + String(hundredths / 100) + "." + (fraction < 10 ? "0" : "") + String(fraction)
    }

    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
