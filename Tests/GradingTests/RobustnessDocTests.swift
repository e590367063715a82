import FalcoRules
import Foundation
import Grading
import Reports
import Scenarios
import TestSupport
import Testing

/// docs/robustness.md's tables are the probe's output: for the default rules (TraceLab's, and Falco's 3.2.0 and 5.x
/// files, which give the same tables) and for the lab's reference solution over the default rules.
@Suite("robustness report")
struct RobustnessDocTests {
    static let corpus = GradingTests.root + "/scenarios/evasions.yaml"

    /// The block of docs/robustness.md between `<!-- probe: NAME -->` and the next `<!-- /probe -->`.
    static func block(_ name: String) throws -> String {
        let doc = try String(contentsOfFile: GradingTests.root + "/docs/robustness.md", encoding: .utf8)
        let start = try #require(doc.range(of: "<!-- probe: \(name) -->\n"))
        let end = try #require(doc.range(of: "<!-- /probe -->", range: start.upperBound..<doc.endIndex))
        return String(doc[start.upperBound..<end.lowerBound])
    }

    /// The probe's Markdown for rules files probed alone (`--no-default-rules`), or over the default rules.
    static func markdown(_ files: [(name: String, bytes: [UInt8])], overDefaults: Bool) throws -> String {
        let loader = RulesLoader()
        if overDefaults { try #require(loader.load(path: GradingTests.root + "/rules/default_rules.yaml").successful) }
        let defaultItems = loader.itemLog.count
        for file in files { try #require(loader.load(bytes: file.bytes, name: file.name).successful, "\(file.name)") }
        let probe = try RobustnessProbe.run(corpus: try Scenario.load(path: corpus), loader: loader,
                                            probed: RobustnessProbe.rules(loadedAfter: defaultItems, in: loader))
        return ProbeReports.markdown(probe)
    }

    static func file(_ path: String) throws -> (name: String, bytes: [UInt8]) {
        (path, Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test("the default rules' table and the reference solution's are the probe's output, exactly")
    func shippedRules() throws {
        #expect(try Self.markdown([try Self.file(GradingTests.root + "/rules/default_rules.yaml")], overDefaults: false) == (try Self.block("default rules")))
        let values = GradingTests.root + "/answers/reference/values.yaml"
        let custom = try #require(try Submission.customRules(ofValues: Array(try Data(contentsOf: URL(fileURLWithPath: values))), path: values))
        #expect(try Self.markdown(custom.map { ($0.name, $0.bytes) }, overDefaults: true) == (try Self.block("reference solution")))
    }

    @Test("Falco's own 3.2.0 and 5.x rules files give the default rules' table", .enabled(if: Prerequisite.shared.runnable, Comment(rawValue: Prerequisite.shared.skipReason)),
          arguments: ["falco_rules-3.2.0", "falco_rules"])
    func upstreamRules(name: String) throws {
        #expect(try Self.markdown([try Self.file(try Repository.shared("upstream/\(name).yaml"))], overDefaults: false) == (try Self.block("default rules")))
    }
}
