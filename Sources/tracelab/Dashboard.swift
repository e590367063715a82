import ArgumentParser
import Foundation
import Metrics
import Reports
import Replay
import TraceModel

/// `tracelab dashboard`: a Grafana dashboard's panels evaluated over recorded metrics, drawn as SVG.
struct Dashboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a Grafana dashboard's panels over metric recordings or captures and draw each as an SVG chart.",
        discussion: """
            Reads the dashboard JSON (as exported, or as the HTTP API returns it), substitutes template variables \
            and $__interval, $__rate_interval, $__range as Grafana does, evaluates every Prometheus target over the \
            data's time span (or --from/--to), and writes DIR/panel-<id>.svg, DIR/index.html and DIR/results.json. \
            Exit 1 when the dashboard cannot be read or a query fails.
            """)

    @Option(help: "Range start (Unix seconds or RFC 3339); default: the first sample.")
    var from: TimeArgument?

    @Option(help: "Range end; default: the last sample.")
    var to: TimeArgument?

    @Option(help: "Shade this window on every chart: FROM,TO (Unix seconds or RFC 3339).")
    var shade: TimeWindowArgument?

    @Option(help: "The data source's scrape interval (default: the recording's own sample spacing).")
    var scrapeInterval: DurationArgument?

    @Option(help: "Output folder.")
    var out: String

    @Argument(help: "The dashboard JSON file.")
    var dashboard: String

    @Argument(help: "Metric files and captures.")
    var sources: [String]

    @OptionGroup var strictness: StrictOption

    func run() throws {
        guard let bytes = FileBytes.read(dashboard) else { throw ValidationError("\(dashboard): cannot read the file") }
        let board: GrafanaDashboard
        do { board = try GrafanaDashboard.parse(bytes, name: dashboard) } catch {
            printError("tracelab: \(error)")
            throw ExitCode(1)
        }
        let store = MetricStore()
        var problems = InputProblems()
        for source in sources {
            for problem in try MetricSources.load(source, into: store) { problems.report(problem) }
        }
        var evaluator = PanelEvaluator(store: store)
        evaluator.from = from?.milliseconds ?? evaluator.from
        evaluator.to = to?.milliseconds ?? evaluator.to
        if let scrapeInterval { evaluator.scrapeInterval = scrapeInterval.milliseconds }
        for note in board.notes { printError("tracelab: \(dashboard): \(note)") }
        let pages = try DashboardPages.write(board, evaluator: evaluator, shaded: shade.map { (from: $0.from, to: $0.to, label: "attack") }, to: out)
        for panel in pages.panels { for error in panel.errors { printError("tracelab: \(dashboard): \(error)") } }
        print(textTable(["panel", "title", "type", "queries", "series", "status", "chart"], pages.panels.map { panel in
            [String(panel.id), panel.title, panel.type, String(panel.queries), String(panel.series), panel.errors.isEmpty ? "ok" : "error", panel.file]
        }))
        print("wrote \(out)/index.html, \(pages.panels.count) charts, results.json")
        let failed = pages.panels.contains { !$0.errors.isEmpty }
        if failed { throw ExitCode(1) }
        try problems.finish(strict: strictness.strict)
    }
}
