import TraceModel

/// Template variables resolved against the recording as Grafana resolves them against Prometheus: a query
/// variable's options come from `label_values(label)`, `label_values(selector, label)`, `metrics(regex)` or
/// `query_result(expr)` over the dashboard's time range (after the variables before it are substituted),
/// filtered or extracted by its `regex`, sorted as Prometheus's label-values API returns them; the saved
/// `current` value is kept when it is one of them (or All), else the first option is taken, as Grafana does
/// on load. An interval variable set to `auto` takes the range divided into its `auto_count` steps, rounded as
/// Grafana rounds intervals, and at least its `auto_min`.
extension GrafanaDashboard {
    public func resolvingVariables(with evaluator: PanelEvaluator) -> GrafanaDashboard {
        var resolved = self
        for index in resolved.variables.indices where resolved.variables[index].type == "interval" {
            let variable = resolved.variables[index]
            guard let count = variable.autoCount,
                  variable.values.isEmpty || variable.values == ["auto"] || variable.values == ["$__auto_interval_\(variable.name)"] else { continue }
            let minimum = variable.autoMinimum.flatMap(PromQLParser.duration) ?? 10_000
            let interval = max(PanelEvaluator.roundInterval((evaluator.to - evaluator.from) / Int64(max(1, count))), minimum)
            resolved.variables[index].values = [PanelEvaluator.durationText(interval)]
        }
        // The series with a sample in the range, found once, when the first query variable needs them.
        let store = evaluator.engine.store
        var inRange: [Int]?
        for index in resolved.variables.indices where resolved.variables[index].type == "query" {
            // Each query sees the variables before it: a bound keeps a hostile dashboard's chain from growing quadratically.
            guard index < Self.maximumResolvedVariables else {
                resolved.notes.append("variables past the first \(Self.maximumResolvedVariables) are not resolved from the recording; their saved values are used")
                break
            }
            var variable = resolved.variables[index]
            guard let query = variable.query?.trimmingCharacters(in: .whitespaces), !query.isEmpty else { continue }
            let text = PanelEvaluator.substitute(query, variables: Array(resolved.variables[..<index]), builtins: evaluator.builtins(step: evaluator.scrapeInterval))
            let series = inRange ?? store.series.indices.filter { store.series[$0].timestamps.contains { $0 >= evaluator.from && $0 <= evaluator.to } }
            inRange = series
            guard var options = Self.options(of: text, evaluator: evaluator, inRange: series) else {
                resolved.notes.append("variable \(variable.name): query \(query) is not one TraceLab evaluates (label_values, metrics, query_result); its saved value is used")
                continue
            }
            // Grafana searches each option with the regex and keeps its first capture group, or the whole match.
            if let pattern = variable.regex.flatMap(Self.regexBody), let regex = try? RE2Pattern("(?s).*?(" + pattern + ").*") {
                options = options.compactMap { option in regex.groups(option).flatMap { groups in (groups.count > 2 ? groups[2] : nil) ?? groups[1] } }
                var seen: Set<String> = []
                options = options.filter { seen.insert($0).inserted }
            }
            variable.options = options
            let all = variable.values == ["$__all"] || variable.values == ["All"]
            if !all, variable.values.isEmpty || !variable.values.allSatisfy(options.contains) {
                variable.values = options.first.map { [$0] } ?? []
            }
            resolved.variables[index] = variable
        }
        return resolved
    }

    /// Variables resolved from the recording at most (Grafana's own dashboards have a few dozen).
    public static let maximumResolvedVariables = 200

    /// `/pattern/flags` → `pattern` (Grafana writes variable regexes as JavaScript literals).
    static func regexBody(_ text: String) -> String? {
        guard text.hasPrefix("/"), let end = text.lastIndex(of: "/"), end > text.startIndex else { return text }
        let flags = text[text.index(after: end)...]
        let body = String(text[text.index(after: text.startIndex)..<end])
        return flags.contains("i") ? "(?i)" + body : body
    }

    /// The options a variable query gives over the evaluator's range; nil for a query TraceLab does not evaluate.
    /// - Parameter inRange: the positions of the store's series with a sample in the evaluator's range.
    static func options(of query: String, evaluator: PanelEvaluator, inRange: [Int]) -> [String]? {
        func arguments(_ function: String) -> String? {
            guard query.hasPrefix(function + "("), query.hasSuffix(")") else { return nil }
            return String(query.dropFirst(function.count + 1).dropLast())
        }
        let store = evaluator.engine.store
        if let inside = arguments("label_values") {
            // label_values(label) or label_values(selector, label): the label is after the last comma outside braces.
            var depth = 0, split: String.Index?
            for index in inside.indices {
                switch inside[index] {
                case "{", "(": depth += 1
                case "}", ")": depth -= 1
                case "," where depth == 0: split = index
                default: break
                }
            }
            let label = (split.map { String(inside[inside.index(after: $0)...]) } ?? inside).trimmingCharacters(in: .whitespaces)
            var candidates = inRange
            if let split {
                let selectorText = String(inside[..<split]).trimmingCharacters(in: .whitespaces)
                guard let parsed = try? PromQLParser.parse(selectorText), case .selector(let selector) = parsed.node else { return nil }
                let positions = Set(evaluator.engine.selected(selector))
                candidates = candidates.filter(positions.contains)
            }
            return Set(candidates.compactMap { store.series[$0].labels[label] }).sorted()
        }
        if let pattern = arguments("metrics") {
            guard let regex = try? RE2Pattern("(?s).*?(?:" + pattern.trimmingCharacters(in: .whitespaces) + ").*") else { return nil }
            return Set(inRange.compactMap { store.series[$0].labels.metricName }).filter(regex.fullMatch).sorted()
        }
        if let expression = arguments("query_result") {
            guard let parsed = try? PromQLParser.parse(expression), case .vector(let elements)? = try? evaluator.engine.instant(parsed, at: evaluator.to) else { return nil }
            // Grafana's text for each result: the series, its value and the time in milliseconds.
            return elements.map { "\($0.labels) \(SVGChart.trim($0.value)) \(evaluator.to)" }
        }
        return nil
    }
}
