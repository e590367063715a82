import Foundation
import Metrics
import Testing
import TraceModel

/// Prometheus's own PromQL test files (`promql/promqltest/testdata`, read from ../shared/upstream/promql),
/// run by a harness for their stable float features. The pass counts per file are in docs/conformance.md.
@Suite("PromQL conformance")
struct PromQLConformanceTests {
    static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/upstream/promql").path
    /// The files of the stable float features, and the share of their evals that must pass.
    static let files = ["selectors", "staleness", "operators", "aggregators", "functions", "at_modifier", "range_queries", "literals", "subquery", "collision", "trig_functions"]

    @Test("Prometheus's test files: at least 95% of the float evals pass", arguments: files)
    func conformance(file: String) throws {
        let path = Self.shared + "/\(file).test"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            print("note: \(path) is absent (a clone without ../shared); Prometheus's test files are not run here")
            return
        }
        let result = PromQLTestFile.run(text, name: file)
        let reasons = result.skipReasons.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print("\(file).test: \(result.passed)/\(result.total) evals pass; \(result.skipped) skipped\(reasons.isEmpty ? "" : " (\(reasons))")")
        for failure in result.failures.prefix(15) { print("  \(failure)") }
        #expect(result.total > 0)
        #expect(Double(result.passed) >= 0.95 * Double(result.total), "\(file): \(result.passed)/\(result.total)")
    }
}
