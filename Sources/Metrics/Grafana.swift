import TraceModel

/// A Grafana dashboard as exported (the dashboard object, or `{"dashboard": {...}}` from the HTTP API),
/// reduced to what evaluation needs: panels with their Prometheus targets, and template variables.
/// Rows (collapsed ones hold their panels) and the old `rows` layout (schema < 16) are flattened.
public struct GrafanaDashboard: Sendable {
    public var title: String
    public var schemaVersion: Int?
    public var panels: [Panel]
    public var variables: [Variable]
    /// What was read but cannot be evaluated, with the panel it belongs to.
    public var notes: [String]

    public struct Panel: Sendable {
        public var id: Int
        public var title: String
        public var type: String
        public var targets: [Target]
        /// The panel's minimum interval (`interval`) and `maxDataPoints`, when set.
        public var interval: String?
        public var maxDataPoints: Int?
        /// The unit values are written in (`fieldConfig.defaults.unit`, or the old graph's left `yaxes` format).
        public var unit: String?
    }

    public struct Target: Sendable {
        public var refId: String
        public var expr: String
        public var legendFormat: String
        public var interval: String?
        public var hidden: Bool
    }

    public struct Variable: Sendable {
        public var name: String
        public var type: String
        /// The current value(s); `$__all` for "All".
        public var values: [String]
        public var allValue: String?
        /// The options offered, for "All".
        public var options: [String]
        /// A query variable's query (`label_values(...)`, `query_result(...)`), and the regex that filters or
        /// extracts its values.
        public var query: String? = nil
        public var regex: String? = nil
        public var multi = false
        public var includeAll = false
        /// An interval variable's `auto` option: the range divided into `autoCount` steps, at least `autoMinimum`.
        public var autoCount: Int? = nil
        public var autoMinimum: String? = nil
    }

    /// Panel types that draw Prometheus series; others (text, news, dashlist...) have no queries to run.
    public static let seriesPanelTypes: Set<String> = ["timeseries", "graph", "stat", "gauge", "bargauge", "table", "heatmap", "barchart", "state-timeline", "status-history", "piechart", "trend", "xychart"]

    /// Reads a dashboard; errors name the file and where (line:column).
    public static func parse(_ bytes: [UInt8], name: String) throws(TraceLabError) -> GrafanaDashboard {
        guard bytes.count <= 16 << 20 else { throw TraceLabError("a dashboard over 16 MiB is refused", at: SourceLocation(file: name, line: 0, column: 0)) }
        let root: JSONValue
        do { root = try JSONParser.parse(bytes) } catch {
            let (line, column) = Self.position(bytes, offset: error.column - 1)
            throw TraceLabError("not valid JSON: \(error.message)", at: SourceLocation(file: name, line: line, column: column, offset: error.column - 1))
        }
        var dashboard = root
        if let inner = root["dashboard"], case .object = inner { dashboard = inner }
        guard case .object = dashboard else { throw TraceLabError("a dashboard is a JSON object", at: SourceLocation(file: name, line: 1, column: 1)) }
        var notes: [String] = []
        var panels: [Panel] = []
        var nextID = 1
        func read(_ items: [JSONValue]) {
            for item in items {
                let type = Self.string(item, "type") ?? "graph"
                if type == "row" {
                    if case .array(let nested)? = item["panels"] { read(nested) }
                    continue
                }
                let id = Self.integer(item, "id") ?? nextID
                nextID = max(nextID, id + 1)
                let title = Self.string(item, "title") ?? "panel \(id)"
                var targets: [Target] = []
                if case .array(let list)? = item["targets"] {
                    for (index, target) in list.enumerated() {
                        let refId = Self.string(target, "refId") ?? String(UnicodeScalar(UInt8(65 + index % 26)))
                        // A target of another data source (Loki, Elasticsearch...) is not PromQL.
                        let source = target["datasource"].flatMap { Self.string($0, "type") }
                            ?? item["datasource"].flatMap { Self.string($0, "type") }
                        if let source, source != "prometheus", !source.hasPrefix("$"), source != "-- Mixed --", source != "datasource" {
                            notes.append("panel \(id) \"\(Self.string(item, "title") ?? "")\" target \(refId): data source \(source), not Prometheus; not evaluated")
                            continue
                        }
                        guard let expr = Self.string(target, "expr"), !expr.isEmpty else {
                            notes.append("panel \(id) \"\(title)\" target \(refId): no PromQL expression (another data source?)")
                            continue
                        }
                        targets.append(Target(refId: refId, expr: expr, legendFormat: Self.string(target, "legendFormat") ?? "",
                                              interval: Self.string(target, "interval").flatMap { $0.isEmpty ? nil : $0 },
                                              hidden: Self.bool(target, "hide") ?? false))
                    }
                }
                if !seriesPanelTypes.contains(type) {
                    notes.append("panel \(id) \"\(title)\": type \(type) is not evaluated" + (targets.isEmpty ? "" : " (its \(targets.count) queries are read)"))
                }
                var unit = item["fieldConfig"]?["defaults"].flatMap { Self.string($0, "unit") }
                if unit == nil, case .array(let axes)? = item["yaxes"], let first = axes.first { unit = Self.string(first, "format") }
                panels.append(Panel(id: id, title: title, type: type, targets: targets,
                                    interval: Self.string(item, "interval").flatMap { $0.isEmpty ? nil : $0 }, maxDataPoints: Self.integer(item, "maxDataPoints"),
                                    unit: unit.flatMap { $0.isEmpty ? nil : $0 }))
            }
        }
        if case .array(let items)? = dashboard["panels"] { read(items) }
        if case .array(let rows)? = dashboard["rows"] {
            for row in rows { if case .array(let items)? = row["panels"] { read(items) } }
        }
        var variables: [Variable] = []
        if let templating = dashboard["templating"], case .array(let list)? = templating["list"] {
            for item in list {
                guard let variableName = Self.string(item, "name") else { continue }
                var values: [String] = []
                if let current = item["current"] {
                    switch current["value"] {
                    case .string(let value)?: values = [value]
                    case .array(let items)?: values = items.compactMap { if case .string(let text) = $0 { text } else { nil } }
                    default: break
                    }
                }
                // An interval variable offering `auto` lists it first: without a saved value, it is the one taken.
                if values.isEmpty, Self.string(item, "type") == "interval", Self.bool(item, "auto") == true { values = ["auto"] }
                if values.isEmpty, let query = Self.string(item, "query"), ["constant", "textbox", "custom", "interval"].contains(Self.string(item, "type") ?? "") {
                    values = [query.split(separator: ",").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? query]
                }
                var options: [String] = []
                if case .array(let items)? = item["options"] {
                    options = items.compactMap { Self.string($0, "value") }.filter { $0 != "$__all" }
                }
                // Grafana 8+ keeps a query variable's query in an object ({"query": "...", "refId": ...}).
                let query = Self.string(item, "query") ?? item["query"].flatMap { Self.string($0, "query") }
                variables.append(Variable(name: variableName, type: Self.string(item, "type") ?? "query", values: values, allValue: Self.string(item, "allValue"),
                                          options: options, query: query, regex: Self.string(item, "regex").flatMap { $0.isEmpty ? nil : $0 },
                                          multi: Self.bool(item, "multi") ?? false, includeAll: Self.bool(item, "includeAll") ?? false,
                                          autoCount: Self.bool(item, "auto") == true ? Self.integer(item, "auto_count") ?? 30 : nil,
                                          autoMinimum: Self.string(item, "auto_min")))
            }
        }
        return GrafanaDashboard(title: Self.string(dashboard, "title") ?? name, schemaVersion: Self.integer(dashboard, "schemaVersion"),
                                panels: panels, variables: variables, notes: notes)
    }

    static func position(_ bytes: [UInt8], offset: Int) -> (Int, Int) {
        var line = 1, column = 1
        for byte in bytes.prefix(max(0, offset)) {
            if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    static func string(_ value: JSONValue, _ key: String) -> String? {
        if case .string(let text)? = value[key] { return text }
        return nil
    }

    static func integer(_ value: JSONValue, _ key: String) -> Int? {
        switch value[key] {
        case .integer(let number)?: return Int(exactly: number)
        case .unsigned(let number)?: return Int(exactly: number)
        case .double(let number)?: return number.isFinite && number == number.rounded() && abs(number) < 1e15 ? Int(number) : nil
        case .string(let text)?: return Int(text)
        default: return nil
        }
    }

    static func bool(_ value: JSONValue, _ key: String) -> Bool? {
        if case .bool(let flag)? = value[key] { return flag }
        return nil
    }
}

/// Evaluates a dashboard's panels over a time range the way Grafana asks Prometheus: the interval from
/// the range, `maxDataPoints` and the minimum interval, rounded as Grafana rounds it; `$__interval`,
/// `$__rate_interval`, `$__range` and template variables substituted; start and end aligned to the step.
public struct PanelEvaluator {
    public var from: Int64
    public var to: Int64
    /// The data source's scrape interval (Grafana's default 15 s; the recording's own when known).
    public var scrapeInterval: Int64 = 15_000
    /// Grafana's `maxDataPoints` defaults to the panel's width in pixels; 1,000 stands for a wide panel.
    public var defaultMaxDataPoints = 1000
    public let engine: PromQLEngine

    public init(engine: PromQLEngine, from: Int64, to: Int64) {
        self.engine = engine
        self.from = from
        self.to = to
    }

    /// An evaluator over a store's whole time span, with the store's own sample spacing as the scrape
    /// interval (Grafana's 15 s when it has none).
    public init(store: MetricStore) {
        let range = store.timeRange ?? 0...0
        self.init(engine: PromQLEngine(store: store), from: range.lowerBound, to: range.upperBound)
        if let spacing = store.typicalSpacing { scrapeInterval = spacing }
    }

    /// One target's outcome: the query sent, the step, the series with their legends, or the error.
    public struct TargetResult: Sendable {
        public var refId: String
        public var expr: String
        public var step: Int64
        public var series: [(legend: String, labels: Labels, samples: [Sample])]
        public var error: String?
        /// The query's selectors as parsed (empty when it does not parse), for saying what it reads.
        public var selectors: [VectorSelector] = []
    }

    public func evaluate(_ panel: GrafanaDashboard.Panel, variables: [GrafanaDashboard.Variable]) -> [TargetResult] {
        panel.targets.filter { !$0.hidden }.map { target in
            let minimum = (target.interval ?? panel.interval).flatMap { PromQLParser.duration($0.hasPrefix(">") ? String($0.dropFirst()) : $0) } ?? scrapeInterval
            let maxDataPoints = Int64(max(1, panel.maxDataPoints ?? defaultMaxDataPoints))
            let interval = max(Self.roundInterval((to - from) / maxDataPoints), minimum)
            // Prometheus refuses more than 11,000 points: Grafana raises the step to stay under it.
            let step = max(interval, (to - from) / 11_000 + 1)
            let expr = Self.substitute(target.expr, variables: variables, builtins: builtins(step: interval))
            do {
                let parsed = try PromQLParser.parse(expr)
                let start = from / step * step, end = to / step * step
                let series = try engine.range(parsed, start: start, end: end, step: step)
                return TargetResult(refId: target.refId, expr: expr, step: step,
                                    series: series.map { (Self.legend(target.legendFormat, $0.labels, expression: expr), $0.labels, $0.samples) }, error: nil,
                                    selectors: parsed.selectors)
            } catch {
                return TargetResult(refId: target.refId, expr: expr, step: step, series: [], error: "\(error)")
            }
        }
    }

    /// Grafana's global variables for an interval: `$__interval`, `$__rate_interval`, `$__range` and their forms.
    func builtins(step interval: Int64) -> [String: String] {
        ["__interval": Self.durationText(interval), "__interval_ms": String(interval),
         "__rate_interval": Self.durationText(max(interval + scrapeInterval, 4 * scrapeInterval)), "__range": Self.durationText(to - from),
         "__range_s": String((to - from) / 1000), "__range_ms": String(to - from)]
    }

    /// Grafana's `roundInterval`: a raw interval to a nice one.
    public static func roundInterval(_ milliseconds: Int64) -> Int64 {
        let table: [(Int64, Int64)] = [(15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500), (1500, 1000), (3500, 2000), (7500, 5000),
                                       (12_500, 10_000), (17_500, 15_000), (25_000, 20_000), (45_000, 30_000), (90_000, 60_000), (210_000, 120_000),
                                       (450_000, 300_000), (750_000, 600_000), (1_050_000, 900_000), (1_500_000, 1_200_000), (2_700_000, 1_800_000),
                                       (5_400_000, 3_600_000), (9_000_000, 7_200_000), (16_200_000, 10_800_000), (32_400_000, 21_600_000),
                                       (86_400_000, 43_200_000), (604_800_000, 86_400_000), (1_814_400_000, 604_800_000), (3_628_800_000, 2_592_000_000)]
        if milliseconds < 10 { return 1 }
        for (limit, value) in table where milliseconds < limit { return value }
        return 31_536_000_000
    }

    /// Milliseconds as a PromQL duration (`90s`, `1m`, `1500ms`).
    public static func durationText(_ milliseconds: Int64) -> String {
        if milliseconds % 1000 != 0 { return "\(milliseconds)ms" }
        let seconds = milliseconds / 1000
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// Replaces `$name`, `${name}`, `${name:format}` and `[[name]]` as Grafana does for a Prometheus query: one
    /// value of a single-value variable as it is; the values of a multi-value or include-All variable
    /// regex-escaped (for a string literal: `\\.`) and, when several, as `(a|b)`; "All" is `allValue`, else every
    /// option. Formats: `raw`, `regex`, `pipe`, `csv`, `json`, `glob`, `text`.
    public static func substitute(_ text: String, variables: [GrafanaDashboard.Variable], builtins: [String: String]) -> String {
        var chosen: [String: (values: [String], variable: GrafanaDashboard.Variable?)] = [:]
        for (name, value) in builtins { chosen[name] = ([value], nil) }
        for variable in variables {
            var current = variable.values
            if current == ["$__all"] || current == ["All"] {
                if let all = variable.allValue { chosen[variable.name] = ([all], nil); continue }
                current = variable.options.isEmpty ? [".*"] : variable.options
            }
            chosen[variable.name] = (current, variable)
        }
        func render(_ name: String, format: String?) -> String? {
            guard let (values, variable) = chosen[name] else { return nil }
            switch format {
            case "raw"?, "text"?: return values.joined(separator: ",")
            case "pipe"?: return values.joined(separator: "|")
            case "csv"?: return values.joined(separator: ",")
            case "json"?: return JSONValue.array(values.map(JSONValue.string)).rendered
            case "glob"?: return values.count == 1 ? values[0] : "{" + values.joined(separator: ",") + "}"
            case "regex"?:
                let escaped = values.map(Self.regexEscape)
                return escaped.count == 1 ? escaped[0] : "(" + escaped.joined(separator: "|") + ")"
            default:
                guard let variable, variable.multi || variable.includeAll || values.count > 1 else { return values.first ?? "" }
                let escaped = values.map(Self.prometheusRegexEscape)
                return escaped.count == 1 ? escaped[0] : "(" + escaped.joined(separator: "|") + ")"
            }
        }
        var out = ""
        let characters = Array(text)
        var index = 0
        func name(from start: Int, stop: (Character) -> Bool) -> (String, Int) {
            var end = start
            while end < characters.count, !stop(characters[end]) { end += 1 }
            return (String(characters[start..<end]), end)
        }
        while index < characters.count {
            let character = characters[index]
            if character == "$" {
                if index + 1 < characters.count, characters[index + 1] == "{" {
                    let (inside, end) = name(from: index + 2) { $0 == "}" }
                    let parts = inside.split(separator: ":", maxSplits: 1).map(String.init)
                    if end < characters.count, let value = render(parts.first ?? inside, format: parts.count > 1 ? parts[1] : nil) {
                        out += value
                        index = end + 1
                        continue
                    }
                } else {
                    let (word, end) = name(from: index + 1) { !($0.isLetter || $0.isNumber || $0 == "_") }
                    if let value = render(word, format: nil) {
                        out += value
                        index = end
                        continue
                    }
                }
            } else if character == "[", index + 1 < characters.count, characters[index + 1] == "[" {
                let (word, end) = name(from: index + 2) { $0 == "]" }
                if end + 1 < characters.count, characters[end + 1] == "]", let value = render(word, format: nil) {
                    out += value
                    index = end + 2
                    continue
                }
            }
            out.append(character)
            index += 1
        }
        return out
    }

    /// A value regex-escaped (Grafana's `${var:regex}`).
    static func regexEscape(_ value: String) -> String {
        var out = ""
        for character in value {
            if "\\^$.|?*+()[]{}/".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// A value escaped for a regex inside a PromQL string literal, as Grafana's Prometheus data source does for
    /// multi-value variables: each regex metacharacter gets a backslash written as `\\`.
    static func prometheusRegexEscape(_ value: String) -> String {
        var out = ""
        for character in value {
            if character == "\\" { out += "\\\\\\\\"; continue }
            if "$^*{}[]'+?.()|".contains(character) { out += "\\\\" }
            out.append(character)
        }
        return out
    }

    /// A legend: `{{label}}` replaced by the series' values; empty or `__auto` gives the series itself, and a
    /// series without labels (`sum(...)`) is named by its expression, as Grafana names it.
    public static func legend(_ format: String, _ labels: Labels, expression: String = "") -> String {
        guard !format.isEmpty, format != "__auto" else { return labels.labels.isEmpty && !expression.isEmpty ? expression : labels.description }
        var out = format
        while let open = out.range(of: "{{"), let close = out.range(of: "}}", range: open.upperBound..<out.endIndex) {
            let name = out[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            out.replaceSubrange(open.lowerBound..<close.upperBound, with: labels[name] ?? "")
        }
        return out
    }
}
