import Foundation
import Grading
import TraceModel

/// A class of generated submissions (variants of the examples) graded end to end, each in its own process as
/// `tracelab grade` does; total time and the per-submission median (target: 200 in under 30 s on 2 cores).
public struct GradeBenchmark {
    public var count = 200
    /// The answer key.
    public var key = "answers/key.yaml"
    /// Where the generated submissions are written.
    public var work = "/tmp/tracelab-bench-grade"
    /// Submissions graded at once.
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// The examples the class is generated from, in turn.
    public var examples = ["full-marks", "typical-partial", "broken", "hostile", "q5-on-default-macros", "sensitive-files-append",
                           "notice-below-priority", "own-rule-shadows-curl", "macro-typo"].map { "examples/submissions/" + $0 }

    public init() {}

    /// `tracelab` is the executable each submission is graded in (as `tracelab grade` starts its children).
    public func run(tracelab: String, output: BenchmarkOutput) throws {
        let answerKey = try AnswerKey.load(path: key)
        try? FileManager.default.removeItem(atPath: work)
        var paths: [String] = []
        for index in 0..<count {
            let target = work + "/student-\(String(format: "%03d", index))"
            try Self.copy(examples[index % examples.count], to: target, variant: index)
            paths.append(target)
        }
        let workers = max(1, workers)
        let started = monotonicSeconds()
        let setup = ClassGrading.Setup(executable: tracelab, key: key, limits: GradingLimits(seconds: 120, memoryMiB: 4096), workers: workers)
        let graded = ClassGrading.gradeAll(paths, answerKey: answerKey, setup: setup)
        let total = monotonicSeconds() - started
        let durations = graded.map(\.seconds).sorted()
        let failed = graded.filter { $0.report.error != nil }.count
        output(String(format: "graded %d submissions in %.2f s on %d workers (%.1f/s); per submission: median %.3f s, max %.3f s; %d not graded",
                      graded.count, total, workers, Double(graded.count) / total, median(durations), durations.last ?? 0, failed))
    }

    /// Copies an example, varying its answers and rules a little so submissions differ.
    static func copy(_ source: String, to target: String, variant: Int) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
        for relative in try manager.subpathsOfDirectory(atPath: source).sorted() {
            let from = source + "/" + relative, to = target + "/" + relative
            var isDirectory: ObjCBool = false
            if let destination = try? manager.destinationOfSymbolicLink(atPath: from) {
                try manager.createSymbolicLink(atPath: to, withDestinationPath: destination)
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
