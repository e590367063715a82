import ArgumentParser
import TraceModel
import Foundation
import Grading

/// `tracelab bench grade`: a class of generated submissions (variants of the examples) graded end to end,
/// each in its own process as `tracelab grade` does; total time and the per-submission median.
struct BenchGrade: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Measure grading: generated variants of examples/submissions graded end to end (target: 200 in under 30 s).")

    @Option(help: "Submissions to generate and grade.")
    var count = 200

    @Option(help: "The answer key.")
    var key = "answers/key.yaml"

    @Option(help: "Where the generated submissions are written.")
    var work = "/tmp/tracelab-bench-grade"

    @Option(help: "Submissions graded at once (default: the number of cores).")
    var jobs: Int?

    func run() throws {
        let answerKey = try AnswerKey.load(path: key)
        let examples = ["full-marks", "typical-partial", "broken", "hostile", "q5-on-default-macros", "sensitive-files-append",
                        "notice-below-priority", "own-rule-shadows-curl", "macro-typo"].map { "examples/submissions/" + $0 }
        try? FileManager.default.removeItem(atPath: work)
        var paths: [String] = []
        for index in 0..<count {
            let target = work + "/student-\(String(format: "%03d", index))"
            try copy(examples[index % examples.count], to: target, variant: index)
            paths.append(target)
        }
        let workers = max(1, jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        let started = monotonicSeconds()
        let setup = ClassGrading.Setup(executable: "/proc/self/exe", key: key, limits: GradingLimits(seconds: 120, memoryMiB: 4096), workers: workers)
        let graded = ClassGrading.gradeAll(paths, answerKey: answerKey, setup: setup)
        let total = monotonicSeconds() - started
        let durations = graded.map(\.seconds).sorted()
        let median = durations.isEmpty ? 0 : durations[durations.count / 2]
        let failed = graded.filter { $0.report.error != nil }.count
        print(String(format: "graded %d submissions in %.2f s on %d workers (%.1f/s); per submission: median %.3f s, max %.3f s; %d not graded",
                     graded.count, total, workers, Double(graded.count) / total, median, durations.last ?? 0, failed))
    }

    /// Copies an example, varying its answers and rules a little so submissions differ.
    private func copy(_ source: String, to target: String, variant: Int) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
        for relative in try manager.subpathsOfDirectory(atPath: source).sorted() {
            let from = source + "/" + relative, to = target + "/" + relative
            var isDirectory: ObjCBool = false
            if (try? manager.destinationOfSymbolicLink(atPath: from)) != nil {
                try manager.createSymbolicLink(atPath: to, withDestinationPath: manager.destinationOfSymbolicLink(atPath: from))
                continue
            }
            guard manager.fileExists(atPath: from, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                try manager.createDirectory(atPath: to, withIntermediateDirectories: true)
                continue
            }
            var data = try Data(contentsOf: URL(fileURLWithPath: from))
            if var text = String(data: data, encoding: .utf8) {
                if variant % 3 == 1 { text = text.replacingOccurrences(of: "Warning", with: "WARN") }
                if variant % 5 == 2 { text = text.replacingOccurrences(of: "priority: WARNING", with: "priority: NOTICE") }
                if variant % 7 == 3 { text = text.replacingOccurrences(of: "%container.name", with: "") }
                text += variant % 2 == 0 ? "\n" : "\n# variant \(variant)\n"
                data = Data(text.utf8)
            }
            try data.write(to: URL(fileURLWithPath: to))
        }
    }
}
