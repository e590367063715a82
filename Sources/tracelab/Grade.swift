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

/// `tracelab grade`: grades submissions against the answer key and writes reports. Each submission is
/// graded in a child process (`tracelab grade-one`) with CPU, memory and wall-clock limits, as many at
/// once as there are cores, so a hostile submission is stopped and reported while the batch goes on.
struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grade lab submissions against the answer key and write reports.",
        discussion: """
        A submission is a folder, .zip or .tar.gz holding values.yaml (customRules, falco:), rules files, falco.yaml, \
        answers.md or answers.yaml, and dashboards (docs/submission-format.md). Reports go to OUT/<submission>/ \
        (report.md, report.json, results.json); the class gradebook.csv and summary.md go to OUT/. With --self, the \
        grade of one submission is printed for its author and nothing is written. Exit 1 when a submission could not \
        be graded.
        """)

    @Option(help: "The answer key.")
    var key = "answers/key.yaml"

    @Option(name: .customLong("default-rules"),
            help: "A default rules file to load before the students' rules instead of the key's default_rules (e.g. the course's own /etc/falco/falco_rules.yaml); repeat for several.")
    var defaultRules: [String] = []

    @Option(help: "Folder for the reports.")
    var out = "grades"

    @Flag(name: .customLong("self"), help: "Print the grade of one submission for its author; write nothing.")
    var selfCheck = false

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

    @Argument(help: "Submissions: folders, .zip or .tar.gz files.")
    var submissions: [String]

    func validate() throws {
        if submissions.isEmpty { throw ValidationError("name at least one submission") }
        if selfCheck && submissions.count != 1 { throw ValidationError("--self grades one submission") }
        if timeout < 1 || memory < 256 { throw ValidationError("--timeout must be at least 1 s and --memory at least 256 MiB") }
    }

    func run() throws {
        // The key is loaded (and its ground truth replayed) here once, so a broken key stops the batch before it starts.
        let (answerKey, _) = try loadGrader(key, defaultRules: defaultRules, warn: true)
        let limits = GradingLimits(seconds: timeout, memoryMiB: memory)
        let keyFingerprint = answerKey.fingerprint(engineVersion: TraceLab.version)
        var names: [String] = []
        var usedNames: Set<String> = []
        for path in submissions { names.append(Self.uniqueName(Submission.name(of: path), &usedNames)) }
        let fingerprints = submissions.map { Submission.fingerprint(path: $0) }
        // Resume: a submission whose content and key are unchanged keeps the grade written last time.
        var reports: [GradeReport?] = Array(repeating: nil, count: submissions.count)
        if !selfCheck && !regrade {
            for index in submissions.indices {
                guard let fingerprint = fingerprints[index],
                      let data = FileManager.default.contents(atPath: out + "/" + names[index] + "/report.json"),
                      let previous = GradeReports.decode(String(decoding: data, as: UTF8.self)),
                      previous.error == nil, previous.submissionFingerprint == fingerprint, previous.keyFingerprint == keyFingerprint else { continue }
                reports[index] = previous
            }
        }
        let pending = submissions.indices.filter { reports[$0] == nil }
        let workers = max(1, min(jobs ?? ProcessInfo.processInfo.activeProcessorCount, max(1, pending.count)))
        let progress = selfCheck ? nil : BatchProgress(total: pending.count)
        let graded = Self.gradeAll(pending.map { submissions[$0] }, key: key, defaultRules: defaultRules, answerKey: answerKey, limits: limits,
                                   workers: workers, progress: progress)
        progress?.finish()
        for (position, index) in pending.enumerated() {
            var report = graded[position].0
            report.submission = names[index]
            report.submissionFingerprint = fingerprints[index]
            report.keyFingerprint = keyFingerprint
            reports[index] = report
        }
        let allReports = reports.compactMap { $0 }
        if !selfCheck && pending.count < submissions.count {
            printError("tracelab: \(submissions.count - pending.count) submission(s) unchanged since the last grading; their grades are reused (--regrade to grade again)")
        }
        if selfCheck {
            print(GradeReports.markdown(allReports[0]), terminator: "")
        } else {
            for report in allReports {
                let folder = out + "/" + report.submission
                try Self.write(GradeReports.markdown(report), to: folder + "/report.md")
                try Self.write(GradeReports.json(report), to: folder + "/report.json")
                try Self.write(GradeReports.gradescope(report), to: folder + "/results.json")
                try Self.write(HTMLReports.submission(report), to: folder + "/report.html")
                for check in report.checks {
                    for (index, figure) in check.figures.enumerated() { try Self.write(figure.svg, to: folder + "/" + GradeReports.figureFile(check.itemID, index)) }
                }
            }
            try Self.write(HTMLReports.classSummary(allReports), to: out + "/summary.html")
            try Self.write(HTMLReports.junit(allReports), to: out + "/junit.xml")
            if !noDatabase {
                let store = try database.open()
                do {
                    let entries = zip(allReports, submissions).map { GradeArchive.Entry(report: $0, path: $1, reportJSON: GradeReports.json($0)) }
                    try GradeArchive.save(entries, keySHA256: keyFingerprint, into: store)
                } catch {
                    printError("tracelab: \(error)")
                    throw ExitCode(1)
                }
            }
            let summary = GradeReports.classSummary(allReports)
            try Self.write(GradeReports.gradebook(allReports), to: out + "/gradebook.csv")
            try Self.write(summary, to: out + "/summary.md")
            print(summary, terminator: "")
            print("\nreports in \(out)/: summary.md, summary.html, gradebook.csv, junit.xml, and report.md, report.html, report.json, results.json per submission")
        }
        if allReports.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }

    /// Grades submissions in child processes, `workers` at a time; reports (with each one's wall-clock
    /// seconds) come back in the order of `paths`.
    static func gradeAll(_ paths: [String], key: String, defaultRules: [String] = [], answerKey: AnswerKey, limits: GradingLimits, workers: Int,
                         progress: BatchProgress? = nil) -> [(GradeReport, Double)] {
        let results = GradeResults(count: paths.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < paths.count {
                let started = monotonicSeconds()
                let report: GradeReport
                switch gradeInChild(paths[index], key: key, defaultRules: defaultRules, limits: limits) {
                case .graded(let graded): report = graded
                case .stopped(let reason): report = failedReport(answerKey, path: paths[index], reason: reason)
                }
                results.set(index, report, seconds: monotonicSeconds() - started)
                progress?.advance()
                index += workers
            }
        }
        return results.all
    }

    static func failedReport(_ key: AnswerKey, path: String, reason: String) -> GradeReport {
        GradeReport(submission: Submission.name(of: path), keyName: key.name, keyVersion: key.version,
                           checks: key.items.map { CheckResult(itemID: $0.id, question: $0.question, title: $0.title, score: 0, maximum: $0.points,
                                                               status: .failed, feedback: ["not graded"], evidence: []) },
                           found: [], problems: [], error: reason)
    }

    /// What became of a grading child: its report, or why it was stopped.
    enum ChildOutcome {
        case graded(GradeReport)
        case stopped(String)
    }

    /// Runs `tracelab grade-one` on a submission and reads its JSON report. The child limits its own CPU
    /// time (`limits.seconds`, so a loaded machine does not stop a submission that is merely waiting for a
    /// core) and address space; the parent stops it after four times as long in wall-clock time (plus 30 s), a
    /// net for a child that makes no progress. Each way of ending is named.
    static func gradeInChild(_ path: String, key: String, defaultRules: [String], limits: GradingLimits) -> ChildOutcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["grade-one", "--key", key, "--cpu-seconds", String(limits.seconds), "--memory", String(limits.memoryMiB)]
            + defaultRules.flatMap { ["--default-rules", $0] } + ["--", path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return .stopped("the grading process could not start: \(error)") }
        let pid = process.processIdentifier
        let wallSeconds = limits.seconds * 4 + 30
        let timedOut = ManagedFlag()
        let timer = DispatchWorkItem {
            timedOut.set()
            kill(pid, SIGKILL)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(wallSeconds), execute: timer)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timer.cancel()
        switch process.terminationReason {
        case .exit:
            if let report = GradeReports.decode(String(decoding: data, as: UTF8.self)) { return .graded(report) }
            return .stopped("the grading process ended (status \(process.terminationStatus)) without a report, probably out of memory (over \(limits.memoryMiB) MiB)")
        case .uncaughtSignal:
            let signal = process.terminationStatus
            if timedOut.isSet { return .stopped("the grading process was stopped after \(wallSeconds) s of wall-clock time without finishing") }
            if signal == SIGXCPU || signal == SIGKILL { return .stopped("the grading process was stopped: over its \(limits.seconds) s of CPU time") }
            if signal == SIGABRT || signal == SIGSEGV || signal == SIGBUS || signal == SIGILL || signal == SIGTRAP {
                return .stopped("the grading process crashed (signal \(signal)); with \(limits.memoryMiB) MiB of memory allowed, a refused allocation ends this way too")
            }
            return .stopped("the grading process was stopped by signal \(signal)")
        @unknown default:
            return .stopped("the grading process ended in an unknown way")
        }
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

/// A flag set by one thread and read by another.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

/// Limits on one grading process.
struct GradingLimits: Sendable {
    var seconds: Int
    var memoryMiB: Int
}

/// Reports by submission index, with the seconds each took, filled by the workers.
final class GradeResults: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [(GradeReport, Double)?]

    init(count: Int) { reports = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ report: GradeReport, seconds: Double) {
        lock.lock()
        reports[index] = (report, seconds)
        lock.unlock()
    }

    var all: [(GradeReport, Double)] {
        lock.lock()
        defer { lock.unlock() }
        return reports.compactMap { $0 }
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
    @Argument var submission: String

    func run() throws {
        var cpu = rlimit(rlim_cur: rlim_t(cpuSeconds), rlim_max: rlim_t(cpuSeconds))
        setrlimit(__rlimit_resource_t(RLIMIT_CPU.rawValue), &cpu)
        var address = rlimit(rlim_cur: rlim_t(memory) << 20, rlim_max: rlim_t(memory) << 20)
        setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &address)
        // Grading writes no files; the report goes to the pipe.
        var files = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &files)
        let (answerKey, grader) = try loadGrader(key, defaultRules: defaultRules)
        let report: GradeReport
        do {
            report = grader.grade(try Submission.load(path: submission))
        } catch {
            report = Grade.failedReport(answerKey, path: submission, reason: error.description)
        }
        print(GradeReports.json(report, withRuns: true), terminator: "")
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
