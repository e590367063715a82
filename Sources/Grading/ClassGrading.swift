import Foundation
import TraceModel

/// Limits on one grading process.
public struct GradingLimits: Sendable {
    /// CPU seconds the child may use (RLIMIT_CPU); the parent's wall-clock net is four times this plus 30 s.
    public var seconds: Int
    /// Address space the child may use, in MiB (RLIMIT_AS).
    public var memoryMiB: Int

    public init(seconds: Int, memoryMiB: Int) {
        self.seconds = seconds
        self.memoryMiB = memoryMiB
    }
}

/// Grading a class: each submission in a child process of its own (`tracelab grade-one`, which limits its own CPU
/// time, memory and file writes), as many at once as asked, so a hostile submission is stopped and reported while
/// the batch goes on; unchanged submissions keep the grade written last time.
public enum ClassGrading {
    /// What a batch is graded with.
    public struct Setup: Sendable {
        /// The executable whose `grade-one` subcommand grades one submission.
        public var executable: String
        /// The answer key file.
        public var key: String
        /// Default rules that replace the key's (empty: the key's own).
        public var defaultRules: [String]
        public var limits: GradingLimits
        /// Children at once.
        public var workers: Int
        /// Whether each child also sends back the runs its grading made (every alert of its replays), for a batch
        /// whose grades go into the database with their runs; otherwise only the report travels.
        public var keepRuns: Bool

        public init(executable: String, key: String, defaultRules: [String] = [], limits: GradingLimits, workers: Int, keepRuns: Bool = false) {
            self.executable = executable
            self.key = key
            self.defaultRules = defaultRules
            self.limits = limits
            self.workers = workers
            self.keepRuns = keepRuns
        }
    }

    /// A graded batch: a report per submission, in the order given, and how many were reused unchanged.
    public struct Batch {
        public var reports: [GradeReport]
        public var reused: Int
    }

    /// Grades `submissions` for `answerKey`. Each report is named by a folder-safe, unique name; with `resumeFrom`, a
    /// submission whose content and key are unchanged since the report.json under that folder keeps that grade.
    public static func grade(_ submissions: [String], answerKey: AnswerKey, keyFingerprint: String, setup: Setup,
                             resumeFrom folder: String?, onGraded: @Sendable () -> Void = {}) -> Batch {
        let names = uniqueNames(submissions.map(Submission.name(of:)))
        let fingerprints = submissions.map { Submission.fingerprint(path: $0) }
        var reports: [GradeReport?] = submissions.indices.map { index in
            guard let folder, let fingerprint = fingerprints[index],
                  let data = FileManager.default.contents(atPath: folder + "/" + names[index] + "/report.json"),
                  let previous = GradeReport(json: String(decoding: data, as: UTF8.self)),
                  previous.error == nil, previous.submissionFingerprint == fingerprint, previous.keyFingerprint == keyFingerprint else { return nil }
            return previous
        }
        let pending = submissions.indices.filter { reports[$0] == nil }
        let graded = gradeAll(pending.map { submissions[$0] }, answerKey: answerKey, setup: setup, onGraded: onGraded)
        for (position, index) in pending.enumerated() {
            var report = graded[position].report
            report.submission = names[index]
            report.submissionFingerprint = fingerprints[index]
            report.keyFingerprint = keyFingerprint
            reports[index] = report
        }
        return Batch(reports: reports.compactMap { $0 }, reused: submissions.count - pending.count)
    }

    /// Grades submissions in child processes, `setup.workers` at a time; reports (with each one's wall-clock
    /// seconds) come back in the order of `paths`.
    public static func gradeAll(_ paths: [String], answerKey: AnswerKey, setup: Setup,
                                onGraded: @Sendable () -> Void = {}) -> [(report: GradeReport, seconds: Double)] {
        let results = GradeResults(count: paths.count)
        let workers = max(1, min(setup.workers, paths.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: paths.count, by: workers) {
                let started = monotonicSeconds()
                results.set(index, gradeIsolatingChecks(paths[index], answerKey: answerKey, setup: setup), seconds: monotonicSeconds() - started)
                onGraded()
            }
        }
        return results.all
    }

    /// Grades a submission in a child; when the child is stopped (CPU time, memory, a crash) while a check runs, that
    /// check alone fails with the reason and the submission is graded again without it, so every other item keeps its
    /// score. Stopped outside any check (reading the submission, say), the whole submission fails with the reason.
    public static func gradeIsolatingChecks(_ path: String, answerKey: AnswerKey, setup: Setup) -> GradeReport {
        var skipping: [String: String] = [:]
        while true {
            switch gradeInChild(path, setup: setup, skipping: skipping) {
            case .graded(let report):
                return report
            case .stopped(let reason, let step):
                guard let step, skipping[step] == nil, skipping.count <= answerKey.items.count else {
                    return failedReport(answerKey, path: path, reason: reason)
                }
                skipping[step] = "This check was stopped and scores 0: \(reason). The other items were graded without it."
            }
        }
    }

    /// The report of a submission that could not be graded: every item at 0, with the reason.
    public static func failedReport(_ key: AnswerKey, path: String, reason: String) -> GradeReport {
        GradeReport(submission: Submission.name(of: path), keyName: key.name, keyVersion: key.version,
                    checks: key.items.map { CheckResult(itemID: $0.id, question: $0.question, title: $0.title, score: 0, maximum: $0.points,
                                                        status: .failed, feedback: ["not graded"], evidence: []) },
                    found: [], problems: [], error: reason)
    }

    /// What became of a grading child: its report, or why it was stopped and the step (an item id, or the deployment
    /// review) it was in, when it had begun one.
    public enum ChildOutcome {
        case graded(GradeReport)
        case stopped(String, step: String?)
    }

    /// The line a grading child writes on standard error before each step: the prefix, then the item id.
    public static let stepMarker = "tracelab-grading-step: "

    /// Runs `grade-one` on a submission and reads its JSON report. The child limits its own CPU time (so a loaded
    /// machine does not stop a submission that is merely waiting for a core) and address space; the parent stops it
    /// after four times as long in wall-clock time (plus 30 s), a net for a child that makes no progress. Each way
    /// of ending is named.
    public static func gradeInChild(_ path: String, setup: Setup, skipping: [String: String] = [:]) -> ChildOutcome {
        let limits = setup.limits
        let process = Process()
        process.executableURL = URL(fileURLWithPath: setup.executable)
        var arguments = ["grade-one", "--key", setup.key, "--cpu-seconds", String(limits.seconds), "--memory", String(limits.memoryMiB)]
        for file in setup.defaultRules { arguments += ["--default-rules", file] }
        if setup.keepRuns { arguments.append("--with-runs") }
        for (step, reason) in skipping.sorted(by: { $0.key < $1.key }) { arguments += ["--skip", step + "=" + reason] }
        process.arguments = arguments + ["--", path]
        let output = Pipe(), steps = Pipe()
        process.standardOutput = output
        process.standardError = steps
        do { try process.run() } catch { return .stopped("the grading process could not start: \(error)", step: nil) }
        // The step markers are read on their own thread, so neither pipe can fill while the other is drained.
        let markers = StepMarkers()
        let reader = Thread { markers.read(steps.fileHandleForReading) }
        reader.start()
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
        markers.waitUntilRead()
        let step = markers.last
        switch process.terminationReason {
        case .exit:
            if let report = GradeReport(json: String(decoding: data, as: UTF8.self)) { return .graded(report) }
            return .stopped("the grading process ended (status \(process.terminationStatus)) without a report: out of memory (over \(limits.memoryMiB) MiB)", step: step)
        case .uncaughtSignal:
            let signal = process.terminationStatus
            if timedOut.isSet { return .stopped("the grading process was stopped after \(wallSeconds) s of wall-clock time without finishing", step: step) }
            if signal == SIGXCPU, step != nil {
                return .stopped("it used more than its share of CPU time (half of the grading's \(limits.seconds) s)", step: step)
            }
            if signal == SIGXCPU || signal == SIGKILL { return .stopped("the grading process was stopped: over its \(limits.seconds) s of CPU time", step: step) }
            if signal == SIGABRT || signal == SIGSEGV || signal == SIGBUS || signal == SIGILL || signal == SIGTRAP {
                return .stopped("the grading process crashed (signal \(signal)); with \(limits.memoryMiB) MiB of memory allowed, a refused allocation ends this way too", step: step)
            }
            return .stopped("the grading process was stopped by signal \(signal)", step: step)
        @unknown default:
            return .stopped("the grading process ended in an unknown way", step: step)
        }
    }

    /// In the grading child, before each check: that check may use at most half of the grading's CPU time (and no more
    /// than is left of it). A check past its share gets SIGXCPU, which the parent reads as that check running away;
    /// past the whole limit the process gets SIGKILL.
    public static func limitStep(_ limits: GradingLimits) {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let used = Int(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + 1
        let soft = min(limits.seconds, used + max(1, limits.seconds / 2))
        var cpu = rlimit(rlim_cur: rlim_t(soft), rlim_max: rlim_t(limits.seconds))
        setrlimit(__rlimit_resource_t(RLIMIT_CPU.rawValue), &cpu)
    }

    /// In the grading child: limits this process's CPU time, address space and file writes (grading writes no files;
    /// the report goes to the pipe).
    public static func limitThisProcess(_ limits: GradingLimits) {
        // A check past its CPU share is stopped by SIGXCPU: it must not be ignored, as a parent's ignored signal would be.
        signal(SIGXCPU, SIG_DFL)
        var cpu = rlimit(rlim_cur: rlim_t(limits.seconds), rlim_max: rlim_t(limits.seconds))
        setrlimit(__rlimit_resource_t(RLIMIT_CPU.rawValue), &cpu)
        var address = rlimit(rlim_cur: rlim_t(limits.memoryMiB) << 20, rlim_max: rlim_t(limits.memoryMiB) << 20)
        setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &address)
        var files = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &files)
    }

    /// Folder names safe to create under the output folder: letters, digits, `.`, `-`, `_`, no leading dot, unique
    /// (a second "alice" becomes "alice-2").
    public static func uniqueNames(_ names: [String]) -> [String] {
        var used: Set<String> = []
        return names.map { name in
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
    }
}

/// The last step a grading child said it began, read from its standard error on a thread of its own.
final class StepMarkers: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var step: String?

    func read(_ handle: FileHandle) {
        var pending = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                if line.hasPrefix(ClassGrading.stepMarker) {
                    lock.lock()
                    step = String(line.dropFirst(ClassGrading.stepMarker.count))
                    lock.unlock()
                }
            }
            // Only the last line matters: a child printing without end is not buffered whole.
            if pending.count > 1 << 16 { pending.removeAll() }
        }
        done.signal()
    }

    func waitUntilRead() { done.wait() }

    var last: String? {
        lock.lock()
        defer { lock.unlock() }
        return step
    }
}

/// A flag set by one thread and read by another.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

/// Reports by submission index, with the seconds each took, filled by the workers.
final class GradeResults: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [(report: GradeReport, seconds: Double)?]

    init(count: Int) { reports = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ report: GradeReport, seconds: Double) {
        lock.lock()
        reports[index] = (report, seconds)
        lock.unlock()
    }

    var all: [(report: GradeReport, seconds: Double)] {
        lock.lock()
        defer { lock.unlock() }
        return reports.compactMap { $0 }
    }
}
