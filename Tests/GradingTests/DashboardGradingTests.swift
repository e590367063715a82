import Foundation
import Grading
import Reports
import Testing
import TraceModel

/// The dashboard items: every panel evaluated over the recording; the best panel decides, with its picture.
@Suite("dashboard grading")
struct DashboardGradingTests {
    @Test("a panel that sums the pod away earns two thirds and says why; the panel is drawn into the report")
    func typicalPartial() throws {
        let report = try GradingTests.grade(GradingTests.root + "/examples/submissions/typical-partial")
        let dos = try #require(report.checks.first { $0.itemID == "dos-dashboard" })
        #expect(dos.score == 2 && dos.feedback.first?.contains("none is the DoS pod (pod=\"dos-attack\")") == true, "\(dos.feedback)")
        #expect(dos.figures.count == 1 && dos.figures[0].svg.hasPrefix("<svg") && dos.figures[0].svg.contains(">attack<"))
        #expect(dos.evidence.contains { $0.contains("sum(rate(container_cpu_usage_seconds_total{namespace=\"default\"}[1m]))") })
        let scan = try #require(report.checks.first { $0.itemID == "scan-dashboard" })
        #expect(scan.score == 3, "\(scan.feedback)")
        // Figures survive the report's JSON (the child process's answer, and the database's copy).
        let decoded = try #require(GradeReport(json: report.json()))
        #expect(decoded.checks.first { $0.itemID == "dos-dashboard" }?.figures.first?.svg == dos.figures[0].svg)
        #expect(GradeReports.markdown(report).contains("![typical-partial" ) == false && GradeReports.markdown(report).contains("(dos-dashboard-figure-1.svg)"))
        #expect(HTMLReports.submission(report).contains("<figure><svg"))
    }

    @Test("no dashboard, a broken one, and hostile queries: clear feedback, never a crash")
    func badDashboards() throws {
        let broken = try GradingTests.grade(GradingTests.root + "/examples/submissions/broken")
        #expect(broken.checks.first { $0.itemID == "dos-dashboard" }?.feedback.first?.hasPrefix("No Grafana dashboard was found") == true)
        let folder = try GradingTests.scratch("bad-dashboard")
        try "{\"panels\": [\n  {\"type\": \"timeseries\", \"targets\": [{\"expr\": \"up\"}]},\n  oops\n]}".write(toFile: folder + "/dash.json", atomically: true, encoding: .utf8)
        let report = try GradingTests.grade(folder)
        let item = try #require(report.checks.first { $0.itemID == "dos-dashboard" })
        #expect(item.score == 0)
        // A file that does not parse as JSON is not taken for a dashboard; what was found says so.
        #expect(report.found.contains { $0.contains("dash.json: JSON that is not a Grafana dashboard") || $0.contains("dash.json") }, "\(report.found)")
        // A query on a recorded metric with a label value the recording lacks says which matcher and what is recorded.
        let wrongLabel = try GradingTests.scratch("wrong-label")
        try #"{"panels": [{"type": "timeseries", "title": "CPU", "targets": [{"expr": "sum by (pod) (rate(container_cpu_usage_seconds_total{namespace=\"prod\"}[1m]))"}]}]}"#
            .write(toFile: wrongLabel + "/dashboard.json", atomically: true, encoding: .utf8)
        let labelled = try #require(try GradingTests.grade(wrongLabel).checks.first { $0.itemID == "dos-dashboard" })
        #expect(labelled.score == 0 && labelled.feedback.joined(separator: "\n").contains("returns no data over the recording: no container_cpu_usage_seconds_total series has namespace=\"prod\"; recorded: default") == true,
                "\(labelled.feedback)")
        let hostile = try GradingTests.grade(GradingTests.root + "/examples/submissions/hostile")
        let deep = try #require(hostile.checks.first { $0.itemID == "dos-dashboard" })
        #expect(deep.score == 0 && deep.feedback.first?.contains("nested more than 200 deep") == true, "\(deep.feedback)")
    }
}
