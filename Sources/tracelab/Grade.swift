import ArgumentParser
import Foundation
import Grading
import Reports
import TraceModel

/// `tracelab grade`: grades submissions against the answer key and writes reports.
struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grade lab submissions against the answer key and write reports.",
        discussion: """
        Each submission is a folder holding values.yaml (customRules, falco:), rules files, falco.yaml, answers.md or \
        answers.yaml, and dashboards. Reports go to OUT/<submission>/ (report.md, report.json, results.json); the class \
        gradebook.csv and summary.md go to OUT/. With --self, a student's view is printed instead. Exit 1 when a \
        submission could not be graded.
        """)

    @Option(help: "The answer key.")
    var key = "answers/key.yaml"

    @Option(help: "Folder for the reports.")
    var out = "grades"

    @Flag(name: .customLong("self"), help: "Print the grade of one submission for its author; write nothing.")
    var selfCheck = false

    @Argument(help: "Submissions: folders, .zip or .tar.gz files.")
    var submissions: [String]

    func validate() throws {
        if submissions.isEmpty { throw ValidationError("name at least one submission folder") }
        if selfCheck && submissions.count != 1 { throw ValidationError("--self grades one submission") }
    }

    func run() throws {
        let answerKey: AnswerKey
        let grader: Grader
        do {
            answerKey = try AnswerKey.load(path: key)
            grader = try Grader(key: answerKey)
        } catch {
            printError("tracelab: \(error)")
            throw ExitCode(2)
        }
        var reports: [GradeReport] = []
        var usedNames: Set<String> = []
        for path in submissions {
            var report: GradeReport
            do {
                report = grader.grade(try Submission.load(path: path))
            } catch {
                report = grader.ungraded(Self.baseName(path), reason: error.description)
            }
            report.submission = Self.uniqueName(report.submission, &usedNames)
            if selfCheck {
                print(GradeReports.markdown(report), terminator: "")
            } else {
                let folder = out + "/" + report.submission
                try Self.write(GradeReports.markdown(report), to: folder + "/report.md")
                try Self.write(GradeReports.json(report), to: folder + "/report.json")
                try Self.write(GradeReports.gradescope(report), to: folder + "/results.json")
                print("\(report.submission): \(GradeReports.points(report.score)) / \(GradeReports.points(report.maximum))" + (report.error.map { " (not graded: \($0))" } ?? ""))
            }
            reports.append(report)
        }
        if !selfCheck {
            try Self.write(GradeReports.gradebook(reports), to: out + "/gradebook.csv")
            try Self.write(GradeReports.classSummary(reports), to: out + "/summary.md")
            print("reports in \(out)/ (summary.md, gradebook.csv, <submission>/report.md)")
        }
        if reports.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }

    private static func baseName(_ path: String) -> String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        return trimmed.split(separator: "/").last.map(String.init) ?? trimmed
    }

    /// A folder name safe to create under the output folder: letters, digits, `.`, `-`, `_`, no leading dot, unique.
    private static func uniqueName(_ name: String, _ used: inout Set<String>) -> String {
        var safe = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") ? $0 : "_" }.prefix(100))
        while safe.hasPrefix(".") { safe.removeFirst() }
        if safe.isEmpty { safe = "submission" }
        var candidate = safe
        var counter = 2
        while !used.insert(candidate).inserted {
            candidate = "\(safe)-\(counter)"
            counter += 1
        }
        return candidate
    }

    private static func write(_ text: String, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}
