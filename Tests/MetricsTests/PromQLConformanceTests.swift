import Foundation
import Metrics
import TestSupport
import Testing
import TraceModel

/// Prometheus's own PromQL test files (`promql/promqltest/testdata`, read from ../shared/upstream/promql),
/// run by a harness for their stable float features. Every eval's outcome is pinned per file in
/// Tests/Baselines/conformance.json (from which docs/conformance.md's table is generated).
@Suite("PromQL conformance", .enabled(if: Prerequisite.shared.runnable, Comment(rawValue: Prerequisite.shared.skipReason)))
struct PromQLConformanceTests {
    /// The files of the stable float features.
    static let files = ["selectors", "staleness", "operators", "aggregators", "functions", "at_modifier", "range_queries", "literals", "subquery", "collision", "trig_functions"]

    @Test("Prometheus's test files: every eval as pinned, instant evals also in range mode", arguments: files)
    func conformance(file: String) throws {
        let text = try String(contentsOfFile: try Repository.shared("upstream/promql/\(file).test"), encoding: .utf8)
        let result = PromQLTestFile.run(text, name: file)
        let reasons = result.skipReasons.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print("\(file).test: \(result.passed)/\(result.total) evals pass; \(result.skipped) skipped\(reasons.isEmpty ? "" : " (\(reasons))")")
        for failure in result.failures.prefix(15) { print("  \(failure)") }
        let problems = Baseline.check("promqltest \(file)", result.tally)
        #expect(problems.isEmpty, "\(problems)")
    }
}
