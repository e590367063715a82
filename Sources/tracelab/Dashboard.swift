import ArgumentParser
import Foundation
import Metrics
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
    var from: String?

    @Option(help: "Range end; default: the last sample.")
    var to: String?

    @Option(help: "Shade this window on every chart: FROM,TO (Unix seconds or RFC 3339).")
    var shade: String?

    @Option(help: "The data source's scrape interval (default: the recording's own sample spacing).")
    var scrapeInterval: String?

    @Option(help: "Output folder.")
    var out: String

    @Argument(help: "The dashboard JSON file.")
    var dashboard: String

    @Argument(help: "Metric files and captures.")
    var sources: [String]

    func run() throws {
        guard let bytes = FileBytes.read(dashboard) else { throw ValidationError("\(dashboard): cannot read the file") }
        let board: GrafanaDashboard
        do { board = try GrafanaDashboard.parse(bytes, name: dashboard) } catch {
            printError("tracelab: \(error)")
            throw ExitCode(1)
        }
        let store = MetricStore()
        for source in sources {
            for problem in try MetricSources.load(source, into: store) { printError("tracelab: \(problem)") }
        }
        var evaluator = PanelEvaluator(store: store)
        evaluator.from = try Query.time(from, option: "from", default: evaluator.from)
        evaluator.to = try Query.time(to, option: "to", default: evaluator.to)
        if let scrapeInterval {
            guard let value = PromQLParser.duration(scrapeInterval) else { throw ValidationError("--scrape-interval: not a duration: \(scrapeInterval)") }
            evaluator.scrapeInterval = value
        }
        var shaded: (Int64, Int64, String)?
        if let shade {
            let parts = shade.split(separator: ",").map(String.init)
            guard parts.count == 2, let start = QueryOutput.parseTime(parts[0]), let end = QueryOutput.parseTime(parts[1]) else {
                throw ValidationError("--shade: FROM,TO expected, got \(shade)")
            }
            shaded = (start, end, "attack")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for note in board.notes { printError("tracelab: \(dashboard): \(note)") }
        var failed = false
        var rows: [[String]] = []
        var html = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>\(Markup.escape(board.title))</title></head><body>\n<h1>\(Markup.escape(board.title))</h1>\n"
        var panelsJSON: [JSONValue] = []
        for panel in board.panels where GrafanaDashboard.seriesPanelTypes.contains(panel.type) {
            let results = evaluator.evaluate(panel, variables: board.variables)
            let errors = results.compactMap { result in result.error.map { "\(panel.title) \(result.refId): \($0)" } }
            for error in errors { printError("tracelab: \(dashboard): \(error)") }
            failed = failed || !errors.isEmpty
            var chart = SVGChart(title: panel.title, series: results.flatMap { $0.series.map { ($0.legend, $0.samples) } },
                                 from: evaluator.from, to: evaluator.to, step: results.map(\.step).max() ?? evaluator.scrapeInterval)
            chart.shaded = shaded.map { (from: $0.0, to: $0.1, label: $0.2) }
            chart.note = errors.first
            let file = "panel-\(panel.id).svg"
            try chart.svg.write(toFile: out + "/" + file, atomically: true, encoding: .utf8)
            html += "<h2>\(Markup.escape(panel.title))</h2>\n<img src=\"\(file)\" alt=\"\(Markup.escape(panel.title))\">\n"
            rows.append([String(panel.id), panel.title, panel.type, String(results.count), String(results.reduce(0) { $0 + $1.series.count }),
                         errors.isEmpty ? "ok" : "error", file])
            panelsJSON.append(.object([
                ("id", .integer(Int64(panel.id))), ("title", .string(panel.title)), ("type", .string(panel.type)), ("svg", .string(file)),
                ("targets", .array(results.map { result in
                    .object([("refId", .string(result.refId)), ("expr", .string(result.expr)), ("step_ms", .integer(result.step)),
                             ("series", .array(result.series.map { .string($0.legend) })), ("error", result.error.map { .string($0) } ?? .null)])
                })),
            ]))
        }
        html += "</body></html>\n"
        try html.write(toFile: out + "/index.html", atomically: true, encoding: .utf8)
        let summary = JSONValue.object([("dashboard", .string(board.title)), ("from_ms", .integer(evaluator.from)), ("to_ms", .integer(evaluator.to)),
                                        ("scrape_interval_ms", .integer(evaluator.scrapeInterval)), ("panels", .array(panelsJSON)),
                                        ("notes", .array(board.notes.map { .string($0) }))])
        try (summary.rendered + "\n").write(toFile: out + "/results.json", atomically: true, encoding: .utf8)
        print(textTable(["panel", "title", "type", "queries", "series", "status", "chart"], rows))
        print("wrote \(out)/index.html, \(rows.count) charts, results.json")
        if failed { throw ExitCode(1) }
    }
}
