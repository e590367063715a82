import Foundation
import Metrics
import TraceModel

/// A Grafana dashboard drawn offline: every time-series panel evaluated over the recorded data and written
/// as `panel-<id>.svg`, with `index.html` (the charts in panel order) and `results.json` (each panel's
/// queries, series and errors) beside them. The same data give the same bytes.
public struct DashboardPages {
    /// One drawn panel.
    public struct Panel: Sendable {
        public var id: Int
        public var title: String
        public var type: String
        public var queries: Int
        public var series: Int
        /// Each failing query, as "title refId: error".
        public var errors: [String]
        /// The chart's file name in the output folder.
        public var file: String
    }

    public var panels: [Panel] = []

    /// Evaluates and draws `board`'s series panels into the folder `out` (created), shading `shaded` on every chart.
    public static func write(_ saved: GrafanaDashboard, evaluator: PanelEvaluator, shaded: (from: Int64, to: Int64, label: String)?,
                             to out: String) throws -> DashboardPages {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let board = saved.resolvingVariables(with: evaluator)
        var pages = DashboardPages()
        var html = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>\(Markup.escape(board.title))</title></head><body>\n<h1>\(Markup.escape(board.title))</h1>\n"
        if !board.variables.isEmpty {
            html += "<p class=\"variables\">" + board.variables.map { variable in
                let shown = variable.values == ["$__all"] ? "All" : variable.values.joined(separator: " + ")
                return "<span class=\"variable\">\(Markup.escape(variable.name)) = <b>\(Markup.escape(shown))</b></span>"
            }.joined(separator: " &nbsp; ") + "</p>\n"
        }
        var panelsJSON: [JSONValue] = []
        for panel in board.panels where GrafanaDashboard.seriesPanelTypes.contains(panel.type) {
            let results = evaluator.evaluate(panel, variables: board.variables)
            let errors = results.compactMap { result in result.error.map { "\(panel.title) \(result.refId): \($0)" } }
            var chart = SVGChart(title: panel.title, series: results.flatMap { $0.series.map { ($0.legend, $0.samples) } },
                                 from: evaluator.from, to: evaluator.to, step: results.map(\.step).max() ?? evaluator.scrapeInterval)
            chart.shaded = shaded
            chart.note = errors.first
            chart.unit = panel.unit
            let file = "panel-\(panel.id).svg"
            try chart.svg.write(toFile: out + "/" + file, atomically: true, encoding: .utf8)
            html += "<h2>\(Markup.escape(panel.title))</h2>\n<img src=\"\(file)\" alt=\"\(Markup.escape(panel.title))\">\n"
            pages.panels.append(Panel(id: panel.id, title: panel.title, type: panel.type, queries: results.count,
                                      series: results.reduce(0) { $0 + $1.series.count }, errors: errors, file: file))
            panelsJSON.append(.object([
                ("id", .integer(Int64(panel.id))), ("title", .string(panel.title)), ("type", .string(panel.type)), ("svg", .string(file)),
                ("unit", panel.unit.map(JSONValue.string) ?? .null),
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
                                        ("variables", .array(board.variables.map { variable in
                                            .object([("name", .string(variable.name)), ("values", .array(variable.values.map(JSONValue.string))),
                                                     ("options", .array(variable.options.map(JSONValue.string)))])
                                        })),
                                        ("notes", .array(board.notes.map { .string($0) }))])
        try (summary.rendered + "\n").write(toFile: out + "/results.json", atomically: true, encoding: .utf8)
        return pages
    }
}
