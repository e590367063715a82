import Foundation
import TestSupport
import Testing

/// docs/conformance.md's tables are generated from Tests/Baselines/conformance.json, never typed: this test
/// fails when they differ, and `TRACELAB_UPDATE_BASELINES=1 swift test --filter BaselineDocs` rewrites them.
@Suite("Baseline docs")
struct BaselineDocsTests {
    @Test("every generated table of docs/conformance.md equals its rendering from the baseline file")
    func generatedTables() throws {
        let path = Repository.file("docs/conformance.md")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let suites = try Baseline.load()
        let rendered = Baseline.renderDocs(text, suites: suites)
        #expect(text.components(separatedBy: "<!-- baseline: ").count - 1 >= 5, "docs/conformance.md has its generated blocks")
        if ProcessInfo.processInfo.environment["TRACELAB_UPDATE_BASELINES"] == "1" {
            try rendered.write(toFile: path, atomically: true, encoding: .utf8)
        } else {
            #expect(rendered == text, "docs/conformance.md's tables differ from the baseline file: TRACELAB_UPDATE_BASELINES=1 swift test --filter BaselineDocs")
        }
        // Every suite of the baseline file is shown somewhere.
        for name in suites.keys { #expect(rendered.contains("| \(name) |"), "\(name) is in no generated table") }
    }
}
