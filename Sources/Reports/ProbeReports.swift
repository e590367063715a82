import Scenarios
import TraceModel

/// Renderings of a robustness probe (`tracelab probe`): a text matrix with the deciding events, JSON, a
/// Markdown report (docs/robustness.md) and a self-contained HTML page.
public enum ProbeReports {
    /// A cell of the matrix: the rule caught the variant or missed it; the last column says whether a default
    /// rule caught it.
    static func symbol(_ row: RobustnessProbe.Row, _ rule: String) -> String {
        row.byProbed.contains { $0.rule == rule } ? "X" : "."
    }

    /// The HTML class of an in-scope cell: right or wrong against what should be caught.
    static func cellClass(_ expectation: Scenario.Variant.Catch, caught: Bool) -> String {
        switch (expectation, caught) {
        case (.yes, true): "caught"
        case (.yes, false): "missed"
        case (.no, true): "false"
        case (.no, false): "right"
        case (.either, _): "either"
        }
    }

    /// What the probed rules did with a variant, against what they should have done.
    static func verdict(_ row: RobustnessProbe.Row) -> String {
        switch (row.variant.expectation, row.caught) {
        case (.yes, true): "caught"
        case (.yes, false): "MISSED"
        case (.no, true): "FALSE ALARM"
        case (.no, false): "not caught (right)"
        case (.either, true): "caught (either is right)"
        case (.either, false): "not caught (either is right)"
        }
    }

    static func percent(_ value: Double) -> String {
        let tenths = Int((value * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    static func coverageLine(_ attack: RobustnessProbe.Attack) -> String {
        var line = "\(attack.name): \(attack.caught) of \(attack.shouldCatch) caught (\(percent(attack.coverage)))"
        if !attack.falseAlarms.isEmpty { line += ", false alarms: \(attack.falseAlarms.joined(separator: ", "))" }
        if !attack.inScope { line += " — not in scope (no variant caught; name it with --behaviour to count it)" }
        return line
    }

    /// The text report: coverage per attack, the matrix (one column per probed rule that caught something, and
    /// the default rules), then each variant's verdict with the event that decided it, or the hint for a miss.
    public static func text(_ probe: RobustnessProbe, rulesFiles: [String]) -> String {
        var out = "Robustness of \(rulesFiles.joined(separator: ", ")) against \(probe.corpus): \(probe.rows.count) variants, \(probe.events) events\n\n"
        out += "Coverage (variants a correct rule should catch, caught by the probed rules):\n"
        for attack in probe.attacks { out += "  \(coverageLine(attack))\n" }
        let columns = probe.catchingRules
        out += "\nMatrix: X caught, . missed; the last column: d when a default rule caught the variant\n"
        if columns.isEmpty {
            out += "  (no probed rule alerted on any variant)\n"
        } else {
            for (index, rule) in columns.enumerated() { out += "  [\(index + 1)] \(rule)\n" }
        }
        let width = max(probe.rows.map(\.variant.name.count).max() ?? 0, 7)
        let header = columns.indices.map { String("[\($0 + 1)]".padding(toLength: 5, withPad: " ", startingAt: 0)) }.joined() + "default"
        out += "  " + "variant".padding(toLength: width, withPad: " ", startingAt: 0) + "  should " + header + "\n"
        for row in probe.rows {
            let cells = columns.map { symbol(row, $0).padding(toLength: 5, withPad: " ", startingAt: 0) }.joined() + (row.byDefault.isEmpty ? "." : "d")
            out += "  " + row.variant.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + row.variant.expectation.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0) + cells + "\n"
        }
        out += "\nVariants:\n"
        for row in probe.rows {
            out += "  \(verdict(row)): \(row.variant.name) (\(row.variant.does))\n"
            for caught in row.byProbed { out += "    \(caught.rule): \(caught.event)\n" }
            if row.missed || row.variant.expectation == .either && !row.caught {
                if row.byDefault.isEmpty {
                    out += "    no default rule alerts either\n"
                } else {
                    for caught in row.byDefault { out += "    default rule \(caught.rule): \(caught.event)\n" }
                }
                if let hint = row.variant.hint { out += "    hint: \(hint)\n" }
            }
        }
        for warning in probe.warnings { out += "warning: \(warning)\n" }
        return out
    }

    /// The JSON report: the probed rules, coverage per attack, and every variant with its expectation, verdict,
    /// the rules that caught it (probed and default) with their first events, and its hint.
    public static func json(_ probe: RobustnessProbe, rulesFiles: [String]) -> JSONValue {
        func catches(_ list: [RobustnessProbe.Catch]) -> JSONValue {
            .array(list.map { .object([("rule", .string($0.rule)), ("event", .string($0.event))]) })
        }
        return .object([
            ("corpus", .string(probe.corpus)),
            ("rules_files", .array(rulesFiles.map(JSONValue.string))),
            ("probed_rules", .array(probe.probedRules.map(JSONValue.string))),
            ("events", .integer(Int64(probe.events))),
            ("minimum_coverage", probe.minimumCoverage.map(JSONValue.double) ?? .null),
            ("attacks", .array(probe.attacks.map { attack in
                .object([("attack", .string(attack.name)), ("should_catch", .integer(Int64(attack.shouldCatch))),
                         ("caught", .integer(Int64(attack.caught))), ("coverage", .double(attack.coverage)),
                         ("false_alarms", .array(attack.falseAlarms.map(JSONValue.string))), ("in_scope", .bool(attack.inScope))])
            })),
            ("variants", .array(probe.rows.map { row in
                .object([("variant", .string(row.variant.name)), ("behaviour", .string(row.variant.behaviour)),
                         ("target", row.variant.target.map(JSONValue.string) ?? .null), ("catch", .string(row.variant.expectation.rawValue)),
                         ("verdict", .string(verdict(row))), ("does", .string(row.variant.does)),
                         ("caught_by", catches(row.byProbed)), ("default_rules", catches(row.byDefault)),
                         ("hint", row.variant.hint.map(JSONValue.string) ?? .null)])
            })),
            ("warnings", .array(probe.warnings.map(JSONValue.string))),
        ])
    }

    /// Markdown: coverage per attack, then a table per attack of every variant, the rules that caught it and
    /// the event that decided (the rule set probed whole, so no default-rules column).
    public static func markdown(_ probe: RobustnessProbe) -> String {
        var out = "| attack | caught | coverage | false alarms |\n|---|---:|---:|---|\n"
        for attack in probe.attacks {
            out += "| \(attack.name) | \(attack.caught) of \(attack.shouldCatch) | \(percent(attack.coverage)) | \(attack.falseAlarms.joined(separator: ", ")) |\n"
        }
        for attack in probe.attacks {
            out += "\n**\(attack.name)**\n\n| variant | should catch | verdict | caught by (first event) |\n|---|---|---|---|\n"
            for row in probe.rows where row.variant.attack == attack.name {
                let by = row.byProbed.map { "\($0.rule) (\($0.event))" }.joined(separator: "; ")
                out += "| `\(row.variant.name)`: \(markdownCell(row.variant.does)) | \(row.variant.expectation.rawValue) | \(verdict(row)) | \(markdownCell(by)) |\n"
            }
        }
        return out
    }

    private static func markdownCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// A self-contained page: coverage, the matrix with a coloured cell per variant and rule (the deciding event
    /// as the cell's title), and the variants with their events and hints. No scripts; every text escaped.
    public static func html(_ probe: RobustnessProbe, rulesFiles: [String]) -> String {
        let style = """
        body{font-family:system-ui,sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem;color:#222}
        table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
        td.caught,td.right{background:#d3f3dc}td.missed,td.false{background:#fbd5d2}td.out,td.either{background:#f2f2f2;color:#888}
        td.default{background:#fff1c2}td.n{text-align:right}
        th.rule{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal;max-height:14rem}
        .MISSED,.FALSE{color:#b42318}.hint{color:#555}
        """
        let columns = probe.catchingRules
        var body = "<h1>Rule robustness</h1>\n<p>\(Markup.escape(rulesFiles.joined(separator: ", "))) against <code>\(Markup.escape(probe.corpus))</code>: "
            + "\(probe.rows.count) variants, \(probe.events) events.</p>\n<h2>Coverage</h2>\n<table><tr><th>attack</th><th>caught</th><th>coverage</th><th>false alarms</th><th>in scope</th></tr>\n"
        for attack in probe.attacks {
            body += "<tr><td>\(Markup.escape(attack.name))</td><td class=\"n\">\(attack.caught) of \(attack.shouldCatch)</td><td class=\"n\">\(percent(attack.coverage))</td>"
                + "<td>\(Markup.escape(attack.falseAlarms.joined(separator: ", ")))</td><td>\(attack.inScope ? "yes" : "no")</td></tr>\n"
        }
        body += "</table>\n<h2>Matrix</h2>\n<p>Green: right (caught what should be caught, or left alone what should not). Red: a miss or a false alarm. Grey: an attack not in scope, or a variant either answer suits. Yellow, last column: default rules that caught it.</p>\n"
        body += "<table id=\"matrix\"><tr><th>variant</th><th>should catch</th>" + columns.map { "<th class=\"rule\">\(Markup.escape($0))</th>" }.joined() + "<th>default rules</th></tr>\n"
        let inScope = Set(probe.attacks.filter(\.inScope).map(\.name))
        for row in probe.rows {
            body += "<tr><td><a href=\"#\(Markup.escape(row.variant.name))\">\(Markup.escape(row.variant.name))</a></td><td>\(row.variant.expectation.rawValue)</td>"
            for rule in columns {
                let caught = row.byProbed.first { $0.rule == rule }
                let state = inScope.contains(row.variant.attack) ? cellClass(row.variant.expectation, caught: caught != nil) : "out"
                body += "<td class=\"\(state)\" title=\"\(Markup.escape(caught?.event ?? "missed"))\">\(symbol(row, rule))</td>"
            }
            body += "<td\(row.byDefault.isEmpty ? "" : " class=\"default\"")>\(Markup.escape(row.byDefault.map(\.rule).joined(separator: ", ")))</td></tr>\n"
        }
        body += "</table>\n<h2>Variants</h2>\n"
        for row in probe.rows {
            let verdict = verdict(row)
            body += "<h3 id=\"\(Markup.escape(row.variant.name))\">\(Markup.escape(row.variant.name)): <span class=\"\(verdict.split(separator: " ").first.map(String.init) ?? "")\">\(Markup.escape(verdict))</span></h3>\n"
            body += "<p>\(Markup.escape(row.variant.does)) (\(Markup.escape(row.variant.attack)); should be caught: \(row.variant.expectation.rawValue))</p>\n<ul>\n"
            for caught in row.byProbed { body += "<li>\(Markup.escape(caught.rule)): \(Markup.escape(caught.event))</li>\n" }
            for caught in row.byDefault { body += "<li>default rule \(Markup.escape(caught.rule)): \(Markup.escape(caught.event))</li>\n" }
            body += "</ul>\n"
            if !row.caught, let hint = row.variant.hint { body += "<p class=\"hint\">Hint: \(Markup.escape(hint))</p>\n" }
        }
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Rule robustness</title><style>\(style)</style></head><body>\n\(body)</body></html>\n"
    }
}
