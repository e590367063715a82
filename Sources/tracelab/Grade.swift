import ArgumentParser
import Dispatch
import FalcoRules
import Foundation
import Grading
import Reports
import Store
import TraceModel
#if canImport(Glibc)
import Glibc
#endif

/// `tracelab grade`: grading a class (the default, `GradeBatch`) and recording staff decisions (`review`).
struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grade lab submissions against the answer key and write reports; record staff decisions on items.",
        subcommands: [GradeBatch.self, GradeReview.self], defaultSubcommand: GradeBatch.self)
}

/// `tracelab grade [run]`: grades submissions against the answer key and writes reports. Each submission is
/// graded in a child process (`tracelab grade-one`) with CPU, memory and wall-clock limits, as many at
/// once as there are cores, so a hostile submission is stopped and reported while the batch goes on.
struct GradeBatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Grade lab submissions against the answer key and write reports (the default of tracelab grade).",
        discussion: """
        A submission is a folder, .zip, .tar or .tar.gz holding values.yaml (customRules, falco:), rules files, falco.yaml, \
        answers.md or answers.yaml, and dashboards (docs/submission-format.md). Reports go to OUT/<submission>/ \
        (report.md, report.json, results.json); the class gradebook.csv and summary.md go to OUT/. With --self, the \
        grade of one submission is printed for its author and nothing is written. Exit 1 when a submission could not \
        be graded, and with --self when the grade is not full marks. Course staff's decisions on items (tracelab grade review) are applied from the database on every \
        grading while the submission is unchanged.
        """)

    @Option(help: "The answer key (default: answers/key.yaml here, else the one of the TraceLab checkout the executable was built in).")
    var key: String?

    /// The key given, or the default one found here or beside the executable.
    private func answerKeyPath() throws -> String {
        if let key { return key }
        if let shipped = ExecutableLocation.shipped("answers/key.yaml") { return shipped }
        throw ValidationError("no answer key: answers/key.yaml is neither here nor beside the tracelab executable; give --key PATH (the course's answer key)")
    }

    @Option(name: .customLong("default-rules"),
            help: "A default rules file to load before the students' rules instead of the key's default_rules (e.g. the course's own /etc/falco/falco_rules.yaml); repeat for several.")
    var defaultRules: [String] = []

    @Option(help: "Folder for the reports.")
    var out = "grades"

    @Flag(name: .customLong("self"), help: "Print the grade of one submission for its author; write nothing.")
    var selfCheck = false

    @Option(help: "With --self: text (the report) or json (report.json's content).")
    var format: OutputStyle = .text

    @Option(help: "Submissions graded at once (default: the number of cores).")
    var jobs: Int?

    @Option(help: "CPU seconds a submission's grading may use before it is stopped (a process making no progress is stopped after 4× as long plus 30 s of wall-clock time).")
    var timeout = 120

    @Option(help: "Memory a grading process may use, in MiB.")
    var memory = 4096

    @OptionGroup var database: DatabaseOption

    @Flag(name: .customLong("no-db"), help: "Do not keep the grades in the SQLite database.")
    var noDatabase = false

    @Flag(help: "Grade every submission again, even those unchanged since the last grading in --out.")
    var regrade = false

    @Option(help: "A roster (CSV: submission, id and/or email, name, ...) to write canvas.csv and moodle.csv, the gradebook as Canvas and Moodle import it.")
    var roster: String?

    @Option(help: "The assignment's name in the course site's gradebook (default: the key's name).")
    var assignment: String?

    @Argument(help: "Submissions: folders, .zip, .tar or .tar.gz files.")
    var submissions: [String]

    func validate() throws {
        if submissions.isEmpty { throw ValidationError("name at least one submission") }
        if selfCheck && submissions.count != 1 { throw ValidationError("--self grades one submission") }
        if timeout < 1 || memory < 256 { throw ValidationError("--timeout must be at least 1 s and --memory at least 256 MiB") }
    }

    func run() throws {
        // A broken roster or key stops the batch before it starts (the key's ground truth is replayed here once).
        let classRoster = try roster.map { path in
            do { return try Roster.load(path: path) } catch {
                printError("tracelab: \(error)")
                throw ExitCode(2)
            }
        }
        let key = try answerKeyPath()
        let (answerKey, _) = try loadGrader(key, defaultRules: defaultRules, warn: true)
        let keyFingerprint = answerKey.fingerprint(engineVersion: TraceLab.version)
        let setup = ClassGrading.Setup(executable: "/proc/self/exe", key: key, defaultRules: defaultRules,
                                       limits: GradingLimits(seconds: timeout, memoryMiB: memory),
                                       workers: jobs ?? ProcessInfo.processInfo.activeProcessorCount, keepRuns: !selfCheck && !noDatabase)
        let progress = selfCheck ? nil : BatchProgress(total: submissions.count)
        let batch = ClassGrading.grade(submissions, answerKey: answerKey, keyFingerprint: keyFingerprint, setup: setup,
                                       resumeFrom: selfCheck || regrade ? nil : out, onGraded: { progress?.advance() })
        progress?.finish()
        var reports = batch.reports
        // Staff decisions live in the database; a student's own check has none.
        let store = selfCheck || noDatabase ? nil : try database.open()
        if let store { StaffDecisions.apply(try storeCall { try store.overrides() }, to: &reports) }
        if batch.reused > 0 {
            printError("tracelab: \(batch.reused) submission(s) unchanged since the last grading; their grades are reused (--regrade to grade again)")
        }
        if selfCheck {
            if format == .json {
                let json = reports[0].json()
                print(json, terminator: json.hasSuffix("\n") ? "" : "\n")
            } else {
                print(GradeReports.markdown(reports[0]), terminator: "")
            }
            // A self-check that is not full marks fails, as a test suite does, so scripts can tell.
            if reports[0].score < reports[0].maximum { throw ExitCode(1) }
        } else {
            try GradeReports.writeClassReports(reports, to: out)
            if let classRoster {
                let export = GradebookExports.export(reports, roster: classRoster, assignment: assignment ?? answerKey.name)
                try Data(export.canvas.utf8).write(to: URL(fileURLWithPath: out + "/canvas.csv"))
                try Data(export.moodle.utf8).write(to: URL(fileURLWithPath: out + "/moodle.csv"))
                if !export.unmatched.isEmpty { printError("tracelab: warning: the roster names no student for \(export.unmatched.joined(separator: ", ")); not in canvas.csv or moodle.csv") }
                if !export.missing.isEmpty { printError("tracelab: warning: no submission from \(export.missing.joined(separator: ", ")) (empty grade in canvas.csv and moodle.csv)") }
            }
            if let store {
                do {
                    let entries = zip(reports, submissions).map { GradeArchive.Entry(report: $0, path: $1, reportJSON: $0.json()) }
                    try GradeArchive.save(entries, keySHA256: keyFingerprint, into: store)
                } catch {
                    printError("tracelab: \(error)")
                    throw ExitCode(1)
                }
            }
            print(GradeReports.classSummary(reports), terminator: "")
            print("\nreports in \(out)/: summary.md, summary.html, gradebook.csv, junit.xml\(classRoster == nil ? "" : ", canvas.csv, moodle.csv"), and report.md, report.html, report.json, results.json per submission")
        }
        if reports.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }
}

/// `tracelab grade review`: records course staff's decision on one item of one submission, kept in the database with
/// who, when and the submission's content hash; `tracelab grade` applies it while the submission is unchanged.
struct GradeReview: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Record course staff's score for one item of a submission, with a comment.",
        discussion: """
        The decision is kept in the database (--db) with the submission's SHA-256. Every later `tracelab grade` applies \
        it while the submission is unchanged, and the reports show it beside the grader's score; once the submission \
        changes, the item is marked for review again. The latest decision on an item is the one in force.
        """)

    @Option(help: "The answer key (the item must be one of its items).")
    var key = "answers/key.yaml"

    @Option(help: "The item's score (0 to the item's points).")
    var score: Double

    @Option(help: "Why: shown to the student in the reports.")
    var comment: String

    @Option(help: "Who decides (default: $USER).")
    var by: String?

    @OptionGroup var database: DatabaseOption

    @Argument(help: "The submission: the folder, .zip, .tar or .tar.gz that was graded.")
    var submission: String

    @Argument(help: "The item's id in the key (e.g. q2).")
    var item: String

    func run() throws {
        let answerKey: AnswerKey
        do { answerKey = try AnswerKey.load(path: key) } catch {
            printError("tracelab: \(error)")
            throw ExitCode(2)
        }
        guard let keyItem = answerKey.items.first(where: { $0.id == item }) else {
            printError("tracelab: \(key): no item \(item) (items: \(answerKey.items.map(\.id).joined(separator: ", ")))")
            throw ExitCode(2)
        }
        guard score >= 0, score <= keyItem.points else {
            printError("tracelab: --score \(score) is outside 0...\(keyItem.points), the points of \(item)")
            throw ExitCode(2)
        }
        guard let fingerprint = Submission.fingerprint(path: submission) else {
            printError("tracelab: \(submission): cannot be read")
            throw ExitCode(1)
        }
        let store = try database.open()
        let name = Submission.name(of: submission)
        let decision = try storeCall {
            try store.recordOverride(submission: name, itemID: item, score: score, comment: comment, submissionSHA256: fingerprint,
                                     recordedBy: by ?? environment()["USER"] ?? "staff")
        }
        print("recorded: \(name) \(item) = \(GradeReports.points(score)) / \(GradeReports.points(keyItem.points)) by \(decision.recordedBy) at \(decision.recordedAt); "
              + "`tracelab grade` applies it while the submission is unchanged")
    }
}

/// Loads the answer key (with `defaultRules` in place of its own when given) and a grader over it; exit 2
/// with the key's error when either fails. With `warn`, says once on standard error which of the names
/// Falco's default rules define the default rules in use lack.
func loadGrader(_ key: String, defaultRules: [String] = [], warn: Bool = false) throws -> (AnswerKey, Grader) {
    do {
        var answerKey = try AnswerKey.load(path: key)
        if !defaultRules.isEmpty { answerKey.defaultRules = defaultRules }
        let grader = try Grader(key: answerKey)
        if warn, !grader.missingDefaultNames.isEmpty {
            printError("tracelab: warning: " + FalcoDefaultNames.warning(missing: grader.missingDefaultNames, in: answerKey.defaultRules))
        }
        return (answerKey, grader)
    } catch {
        printError("tracelab: \(error)")
        throw ExitCode(2)
    }
}

/// `tracelab grade-one`: the child process of `tracelab grade`. Limits its own CPU time, address space and
/// file writes, grades one submission and prints the JSON report on standard output.
struct GradeOne: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade-one", abstract: "Grade one submission and print its JSON report (used by tracelab grade).", shouldDisplay: false)

    @Option var key = "answers/key.yaml"
    @Option(name: .customLong("default-rules")) var defaultRules: [String] = []
    @Option(name: .customLong("cpu-seconds")) var cpuSeconds = 120
    @Option var memory = 4096
    @Flag(name: .customLong("with-runs")) var withRuns = false
    /// `ITEM=REASON`: an item (or the deployment review) not to run, scored 0 with the reason.
    @Option(name: .customLong("skip")) var skip: [String] = []
    @Argument var submission: String

    func run() throws {
        ClassGrading.limitThisProcess(GradingLimits(seconds: cpuSeconds, memoryMiB: memory))
        let (answerKey, grader) = try loadGrader(key, defaultRules: defaultRules)
        var skipping: [String: String] = [:]
        for entry in skip {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            skipping[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        let report: GradeReport
        do {
            // Each step is announced on standard error before it runs, so the parent knows which one ran away.
            let limits = GradingLimits(seconds: cpuSeconds, memoryMiB: memory)
            report = grader.grade(try Submission.load(path: submission), skipping: skipping) { step in
                FileHandle.standardError.write(Data((ClassGrading.stepMarker + step + "\n").utf8))
                ClassGrading.limitStep(limits)
            }
        } catch {
            report = ClassGrading.failedReport(answerKey, path: submission, reason: error.description)
        }
        print(report.json(withRuns: withRuns), terminator: "")
    }
}

/// A progress bar for a batch of submissions on a terminal (count, rate, ETA); silent when standard
/// error is not a terminal, since the per-submission lines follow anyway.
final class BatchProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private var done = 0
    private let started = monotonicSeconds()
    private let isTerminal = isatty(2) != 0

    init(total: Int) { self.total = total }

    func advance() {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        guard isTerminal else { return }
        let elapsed = monotonicSeconds() - started
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 30
        let filled = total > 0 ? done * width / total : width
        let line = "\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] \(done)/\(total) submissions, "
            + String(format: "%.1f/s, ETA %.0fs  ", rate, eta)
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    func finish() {
        if isTerminal { _ = "\r\u{1B}[K".withCString { write(2, $0, strlen($0)) } }
    }
}
