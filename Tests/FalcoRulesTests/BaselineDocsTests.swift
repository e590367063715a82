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

    @Test("the README's and docs/conformance.md's scap agreement figures are the baseline's")
    func scapFigures() throws {
        let suites = try Baseline.load()
        let conditions = try #require(suites["scap conditions against sysdig"])
        let total = conditions.kinds.values.reduce(0) { $0 + $1.total }, failing = conditions.kinds.values.reduce(0) { $0 + $1.failing.count }
        let fields = try #require(suites["scap fields against sysdig"])
        let disagreeing = fields.counts.keys.filter { $0.hasSuffix(" agrees") }.filter { key in
            fields.counts[key] != fields.counts[key.replacingOccurrences(of: " agrees", with: " events")]
        }
        let events = fields.counts["evt.type events"] ?? 0
        // Prose wraps: compare with every run of whitespace as one space.
        func prose(_ path: String) throws -> String {
            try String(contentsOfFile: Repository.file(path), encoding: .utf8).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        let readme = try prose("README.md"), conformance = try prose("docs/conformance.md")
        #expect(failing == 0, "the README says every condition agrees")
        #expect(readme.contains("all \(total.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))) conditions"))
        #expect(conformance.contains("Of the \(total.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))) it answers"))
        #expect(disagreeing == ["fd.cport agrees"], "\(disagreeing)")
        let cport = (fields.counts["fd.cport events"] ?? 0) - (fields.counts["fd.cport agrees"] ?? 0)
        #expect(readme.contains("\(fields.counts.count / 2 - 1) of \(fields.counts.count / 2) fields agree on all \(events.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))) events"))
        #expect(readme.contains("`fd.cport` differs on \(cport)") && conformance.contains("`fd.cport` on \(cport)"))
    }
}
