import Foundation
@testable import Grading
import Metrics
import Reports
import FalcoRules
import Scenarios
import Store
import TestSupport
import Testing
import TraceModel

/// The class summary and a submission's report opened in a real browser (Debian's headless Chromium): the DOM it
/// builds holds the review list, the tables and the charts, and the screenshot shows the charts' bars.
@Suite("reports in a browser", .serialized)
struct BrowserTests {
    /// Runs headless Chromium on a file and returns what it prints (the DOM with `--dump-dom`).
    static func chromium(_ arguments: [String], page: String) throws -> String {
        let profile = Scratch.directory.appendingPathComponent("tracelab-chromium-\(getpid())").path
        let (status, output) = try Subprocess.run(try Prerequisite.chromium.path(),
                                                  ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=\(profile)", "--hide-scrollbars"] + arguments + ["file://" + page])
        #expect(status == 0)
        return output
    }

    @Test("the class summary and a report render in headless Chromium with their review list, tables and charts",
          .enabled(if: Prerequisite.chromium.runnable, Comment(rawValue: Prerequisite.chromium.skipReason)))
    func classPages() throws {
        let grader = try GradingTests.makeGrader()
        var reports = try ["full-marks", "typical-partial", "written-answers", "catch-all-rules"].map { name in
            try GradingTests.grade(GradingTests.root + "/examples/submissions/" + name, with: grader)
        }
        // A staff decision on typical-partial's q2, as `tracelab grade review` records it, and one on catch-all-rules made
        // on an earlier version of it (so that item needs review again).
        for index in reports.indices { reports[index].submissionFingerprint = "sha256-of-" + reports[index].submission }
        StaffDecisions.apply([StoredOverrideFixture.decision(submission: "typical-partial", item: "q2", score: 4, fingerprint: "sha256-of-typical-partial"),
                              StoredOverrideFixture.decision(submission: "catch-all-rules", item: "curl-rule", score: 1, fingerprint: "an earlier version")],
                             to: &reports)
        let folder = try GradingTests.scratch("browser")
        try GradeReports.writeClassReports(reports, to: folder)

        let reviews = ClassSummary(reports).reviews
        let dom = try Self.chromium(["--dump-dom"], page: folder + "/summary.html")
        #expect(dom.contains("<h1>Class summary: 4 submissions</h1>"))
        #expect(dom.contains("<h2>Needs review (\(reviews.count))</h2>") && !reviews.isEmpty)
        let reviewTable = try #require(dom.components(separatedBy: "<table id=\"review\">").dropFirst().first?.components(separatedBy: "</table>").first)
        #expect(reviewTable.components(separatedBy: "<tr>").count - 2 == reviews.count)
        for review in reviews { #expect(dom.contains("href=\"\(review.submission)/report.html#\(review.itemID)\"")) }
        #expect(reviews.map { "\($0.submission) \($0.itemID)" } == ["catch-all-rules curl-rule"])
        #expect(dom.contains("was made on an earlier version of this submission"))
        // Both charts are in the DOM as SVG: eleven histogram bars, one full-marks bar per item.
        let histogram = try #require(dom.components(separatedBy: "aria-label=\"score histogram\"").dropFirst().first?.components(separatedBy: "</svg>").first)
        #expect(histogram.components(separatedBy: "<rect").count - 1 == 11)
        let rates = try #require(dom.components(separatedBy: "aria-label=\"full marks per item\"").dropFirst().first?.components(separatedBy: "</svg>").first)
        #expect(rates.components(separatedBy: "<rect").count - 1 == reports[0].checks.count)
        #expect(dom.contains("<table id=\"items\">") && dom.contains("The curl rule fires on curl run in nginx-pod"))

        // The screenshot shows the histogram's blue bars and the green full-marks bars.
        _ = try Self.chromium(["--screenshot=\(folder)/summary.png", "--window-size=1000,1400"], page: folder + "/summary.html")
        let image = try PNGImage(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/summary.png"))))
        #expect(image.width == 1000 && image.height == 1400)
        #expect(image.count(of: (0x4A, 0x78, 0xC2)) > 2000, "histogram bars")
        #expect(image.count(of: (0x2F, 0x9E, 0x44)) > 2000, "full-marks bars")

        let report = try Self.chromium(["--dump-dom"], page: folder + "/typical-partial/report.html")
        #expect(report.contains("<p class=\"decision\"><strong>Staff decision: 4 / 5 (the grader gave 3), by ta-kim on 2026-12-04T10:00:00Z: quotes the alert</strong></p>"))
        #expect(report.contains("<figure><svg") && report.contains("id=\"dos-dashboard\""))
    }

    @Test("a dashboard page with its variables resolved and its units on the axes renders in headless Chromium",
          .enabled(if: Prerequisite.chromium.runnable, Comment(rawValue: Prerequisite.chromium.skipReason)))
    func dashboardPage() throws {
        let (store, _) = try MetricStore.load(path: GradingTests.root + "/traces/metrics/lab-attacks.om")
        let json = """
        {"title": "Pods", "templating": {"list": [
          {"name": "namespace", "type": "query", "query": "label_values(container_cpu_usage_seconds_total, namespace)", "current": {"value": "default"}},
          {"name": "pod", "type": "query", "query": "label_values(container_cpu_usage_seconds_total{namespace=\\"$namespace\\"}, pod)",
           "multi": true, "includeAll": true, "current": {"value": ["$__all"]}}]},
         "panels": [
          {"id": 1, "type": "timeseries", "title": "CPU by pod", "fieldConfig": {"defaults": {"unit": "percentunit"}},
           "targets": [{"refId": "A", "expr": "sum by (pod) (rate(container_cpu_usage_seconds_total{namespace=\\"$namespace\\", pod=~\\"$pod\\", container!=\\"\\"}[1m]))", "legendFormat": "{{pod}}"}]},
          {"id": 2, "type": "timeseries", "title": "Memory", "fieldConfig": {"defaults": {"unit": "bytes"}},
           "targets": [{"refId": "A", "expr": "sum(container_memory_working_set_bytes{namespace=\\"$namespace\\", container!=\\"\\"})"}]}]}
        """
        let board = try GrafanaDashboard.parse(Array(json.utf8), name: "pods.json")
        let folder = try GradingTests.scratch("dashboard-browser")
        let pages = try DashboardPages.write(board, evaluator: PanelEvaluator(store: store), shaded: nil, to: folder)
        #expect(pages.panels.map(\.series) == [4, 1] && pages.panels.allSatisfy { $0.errors.isEmpty }, "\(pages.panels)")
        let cpu = try String(contentsOfFile: folder + "/panel-1.svg", encoding: .utf8)
        let memory = try String(contentsOfFile: folder + "/panel-2.svg", encoding: .utf8)
        #expect(cpu.contains("%</text>") && memory.contains("iB</text>"), "axis labels carry the panel's unit")
        #expect(memory.contains(">sum(container_memory_working_set_bytes{namespace=&quot;default&quot;, container!=&quot;&quot;})<"), "an unlabelled series is named by its query")
        let dom = try Self.chromium(["--dump-dom"], page: folder + "/index.html")
        #expect(dom.contains("<span class=\"variable\">namespace = <b>default</b></span>") && dom.contains("<span class=\"variable\">pod = <b>All</b></span>"), "\(dom.prefix(600))")
        #expect(dom.components(separatedBy: "<img src=\"panel-").count - 1 == 2)
        // The screenshot shows the charts: the classic palette's first two series colours are drawn.
        _ = try Self.chromium(["--screenshot=\(folder)/dashboard.png", "--window-size=1000,1000"], page: folder + "/index.html")
        let image = try PNGImage(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/dashboard.png"))))
        #expect(image.width == 1000 && image.height == 1000)
        #expect(image.count(of: (0x7E, 0xB2, 0x6D)) > 200, "first series (classic palette green)")
        #expect(image.count(of: (0xEA, 0xB8, 0x39)) > 200, "second series (classic palette yellow)")
    }

    @Test("the probe's page renders in headless Chromium: one matrix row per variant, coloured cells, the hints",
          .enabled(if: Prerequisite.chromium.runnable, Comment(rawValue: Prerequisite.chromium.skipReason)))
    func probePage() throws {
        let loader = RulesLoader()
        try #require(loader.load(path: GradingTests.root + "/rules/default_rules.yaml").successful)
        let defaultItems = loader.itemLog.count
        let rule = """
        - rule: Curl run in a pod
          desc: curl started inside a container
          condition: spawned_process and container and proc.name = curl
          output: "curl in %container.name"
          priority: WARNING
        """
        try #require(loader.load(bytes: Array(rule.utf8), name: "curl.yaml").successful)
        let probe = try RobustnessProbe.run(corpus: try Scenario.load(path: GradingTests.root + "/scenarios/evasions.yaml"), loader: loader,
                                            probed: RobustnessProbe.rules(loadedAfter: defaultItems, in: loader))
        let folder = try GradingTests.scratch("probe-browser")
        try ProbeReports.html(probe, rulesFiles: ["curl.yaml"]).write(toFile: folder + "/probe.html", atomically: true, encoding: .utf8)
        let dom = try Self.chromium(["--dump-dom"], page: folder + "/probe.html")
        let matrix = try #require(dom.components(separatedBy: "<table id=\"matrix\">").dropFirst().first?.components(separatedBy: "</table>").first)
        #expect(matrix.components(separatedBy: "<tr>").count - 2 == 61, "a row per variant")
        #expect(matrix.components(separatedBy: "<td class=\"caught\"").count - 1 == 1, "curl alone is caught")
        #expect(matrix.components(separatedBy: "<td class=\"missed\"").count - 1 == 6, "the six other downloaders are missed")
        #expect(matrix.components(separatedBy: "<td class=\"right\"").count - 1 == 1, "curl on the host is rightly left alone")
        #expect(matrix.components(separatedBy: "<td class=\"out\"").count - 1 == 53, "the other attacks are out of scope")
        #expect(matrix.components(separatedBy: "<td class=\"default\"").count - 1 == probe.rows.filter { !$0.byDefault.isEmpty }.count)
        #expect(dom.contains("<p class=\"hint\">Hint: a copy of curl named kfetch: proc.name = curl misses it;"))
        _ = try Self.chromium(["--screenshot=\(folder)/probe.png", "--window-size=1000,2400"], page: folder + "/probe.html")
        let image = try PNGImage(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/probe.png"))))
        #expect(image.count(of: (0xFB, 0xD5, 0xD2)) > 1000, "missed cells (red)")
        #expect(image.count(of: (0xD3, 0xF3, 0xDC)) > 300, "the caught cell and the host's curl (green)")
    }
}

/// A recorded decision for tests.
enum StoredOverrideFixture {
    static func decision(submission: String, item: String, score: Double, fingerprint: String?) -> StoredOverride {
        StoredOverride(submission: submission, itemID: item, score: score, comment: "quotes the alert", submissionSHA256: fingerprint ?? "",
                       recordedBy: "ta-kim", recordedAt: "2026-12-04T10:00:00Z")
    }
}

/// An 8-bit RGB or RGBA PNG, decoded (zlib and the five row filters) to count pixels of a colour.
struct PNGImage {
    let width: Int
    let height: Int
    let channels: Int
    let pixels: [UInt8]

    init(_ bytes: [UInt8]) throws {
        func u32(_ at: Int) -> Int { Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) }
        guard bytes.count > 33, bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { throw TraceLabError("not a PNG", at: nil) }
        width = u32(16)
        height = u32(20)
        guard bytes[24] == 8, bytes[25] == 2 || bytes[25] == 6 else { throw TraceLabError("not 8-bit RGB(A)", at: nil) }
        channels = bytes[25] == 6 ? 4 : 3
        var data: [UInt8] = []
        var offset = 8
        while offset + 8 <= bytes.count {
            let length = u32(offset)
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            if type == "IDAT" { data += bytes[(offset + 8)..<(offset + 8 + length)] }
            offset += 12 + length
        }
        let raw = try SubmissionArchive.inflate(data, windowBits: 15, limit: 64 << 20, name: "screenshot.png")
        let stride = width * channels
        var out = [UInt8](repeating: 0, count: stride * height)
        for row in 0..<height {
            let filter = raw[row * (stride + 1)]
            for column in 0..<stride {
                let x = raw[row * (stride + 1) + 1 + column]
                let a = column >= channels ? Int(out[row * stride + column - channels]) : 0
                let b = row > 0 ? Int(out[(row - 1) * stride + column]) : 0
                let c = row > 0 && column >= channels ? Int(out[(row - 1) * stride + column - channels]) : 0
                let predictor: Int
                switch filter {
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: predictor = 0
                }
                out[row * stride + column] = UInt8((Int(x) + predictor) & 0xFF)
            }
        }
        pixels = out
    }

    /// Pixels of this colour (within 2 per channel, for anti-aliasing).
    func count(of colour: (UInt8, UInt8, UInt8)) -> Int {
        var count = 0
        var index = 0
        while index + 2 < pixels.count {
            if abs(Int(pixels[index]) - Int(colour.0)) <= 2 && abs(Int(pixels[index + 1]) - Int(colour.1)) <= 2 && abs(Int(pixels[index + 2]) - Int(colour.2)) <= 2 { count += 1 }
            index += channels
        }
        return count
    }
}
