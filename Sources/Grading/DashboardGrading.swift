import Metrics
import TraceModel

extension Grader {
    /// A recording's series, read once per grader.
    func metricStore(_ path: String) throws(TraceLabError) -> MetricStore {
        if let known = metricStores[path] { return known }
        let store = try MetricStore.load(path: path).store
        metricStores[path] = store
        return store
    }

    /// One panel's verdict: how far it gets (nothing for a panel that reads none of the scenario's metrics or
    /// returns no data, two thirds when it shows data of the scenario's metrics, all when it singles out the attacker
    /// during the attack: its peak in the window is more than twice every other series' and at least twice its
    /// own median outside), why, and its picture.
    struct PanelVerdict {
        var fraction: Double
        var feedback: String
        var evidence: [String]
        var figure: (title: String, svg: String)?
    }

    /// The dashboard item: every panel of every submitted dashboard is evaluated over the recording as
    /// Grafana would query it; the best panel decides.
    func dashboard(_ item: AnswerKey.Item, _ spec: AnswerKey.DashboardCheck, _ context: SubmissionContext) throws(TraceLabError) -> CheckResult {
        let dashboards = context.submission.dashboards
        guard !dashboards.isEmpty else {
            return result(item, fraction: 0, feedback: ["No Grafana dashboard was found: export it from Grafana (Export, Save to file) and hand in the .json file."], evidence: [])
        }
        let store = try metricStore(spec.recording)
        let evaluator = PanelEvaluator(store: store)
        let recorded = Set(store.series.compactMap(\.labels.metricName))
        var verdicts: [PanelVerdict] = []
        var notes: [String] = []
        for (name, bytes) in dashboards {
            let board: GrafanaDashboard
            do { board = try GrafanaDashboard.parse(bytes, name: name) } catch {
                notes.append("\(error)")
                continue
            }
            let panels = board.panels.filter { GrafanaDashboard.seriesPanelTypes.contains($0.type) && !$0.targets.isEmpty }
            if panels.isEmpty { notes.append("\(name): no panel with a Prometheus query") }
            for panel in panels {
                verdicts.append(verdict(panel, board: board, file: name, evaluator: evaluator, store: store, recorded: recorded, spec))
            }
        }
        guard let best = verdicts.enumerated().max(by: { ($0.element.fraction, -$0.offset) < ($1.element.fraction, -$1.offset) })?.element else {
            return result(item, fraction: 0, feedback: ["No panel of the dashboard could be evaluated."] + notes, evidence: [])
        }
        // When no panel earns anything, each says why (the wrong metric, a metric the recording lacks, no data).
        let feedback = best.fraction > 0 ? [best.feedback] : verdicts.map(\.feedback)
        return result(item, fraction: best.fraction, feedback: feedback + notes, evidence: best.evidence, figures: best.figure.map { [$0] } ?? [])
    }

    private func verdict(_ panel: GrafanaDashboard.Panel, board: GrafanaDashboard, file: String, evaluator: PanelEvaluator, store: MetricStore, recorded: Set<String>,
                         _ spec: AnswerKey.DashboardCheck) -> PanelVerdict {
        let results = evaluator.evaluate(panel, variables: board.variables)
        let queries = results.map { "\($0.refId): \($0.expr) (step \($0.step / 1000) s)" }
        let errors = results.compactMap { result in result.error.map { "\(result.refId): \($0)" } }
        let where_ = "Panel \"\(panel.title)\" (\(file))"
        // What the queries read: each selector's metric names among the recording's (a name regex may select several),
        // or the name it asks for when the recording has none by it.
        var reads: [String] = [], absent: [String] = []
        for result in results where result.error == nil {
            for selector in result.selectors {
                let names = recorded.filter { name in selector.matchers.allSatisfy { $0.name != Labels.metricNameLabel || $0.matches(name) } }
                if names.isEmpty, let asked = selector.name { absent.append(asked) } else { reads += names.sorted() }
            }
        }
        if !spec.metrics.isEmpty, !reads.isEmpty, !reads.contains(where: { name in spec.metrics.contains { name.hasPrefix($0) } }) {
            let read = Array(Set(reads)).sorted().prefix(4).joined(separator: ", ")
            return PanelVerdict(fraction: 0, feedback: "\(where_) reads \(read), which does not measure \(spec.describes): this scenario is measured by \(spec.metrics.map { $0 + "…" }.joined(separator: ", ")). A panel that happens to move during the attack does not count.",
                                evidence: queries, figure: nil)
        }
        if reads.isEmpty, !absent.isEmpty {
            let suggestions = Self.similarMetrics(to: absent, in: recorded, families: spec.metrics)
            let missing = Array(Set(absent)).sorted().joined(separator: ", ")
            let hint = suggestions.isEmpty ? "." : "; metrics that measure this: \(suggestions.joined(separator: ", "))."
            return PanelVerdict(fraction: 0, feedback: "\(where_) returns no data: the recording has no metric \(missing) (not one the lab's exporters, node_exporter and cAdvisor, expose)" + hint,
                                evidence: queries + errors, figure: nil)
        }
        let series = results.flatMap(\.series)
        var chart = SVGChart(title: panel.title, series: series.map { ($0.legend, $0.samples) }, from: evaluator.from, to: evaluator.to,
                             step: results.map(\.step).max() ?? evaluator.scrapeInterval)
        chart.shaded = (spec.attackFrom, spec.attackTo, "attack")
        chart.note = errors.first
        let figure = (title: "\(file): \(panel.title)", svg: chart.svg)
        guard !series.isEmpty else {
            let reason = errors.isEmpty ? "returns no data over the recording" + (Self.emptyMatcher(results, store).map { ": " + $0 } ?? ": check the metric names and labels against the lab's")
                : "does not evaluate: \(errors.joined(separator: "; "))"
            return PanelVerdict(fraction: 0, feedback: "\(where_) \(reason).", evidence: queries + errors, figure: figure)
        }
        func isAttacker(_ labels: Labels, _ legend: String) -> Bool {
            spec.singleOut.contains { labels[$0.label] == $0.value || legend.contains($0.value) }
        }
        func values(_ samples: [Sample], inside: Bool) -> [Double] {
            samples.filter { ($0.timestamp >= spec.attackFrom && $0.timestamp <= spec.attackTo) == inside && $0.value.isFinite }.map(\.value)
        }
        func peak(_ samples: [Sample], inside: Bool) -> Double? { values(samples, inside: inside).max() }
        // Outside the window the attacker's typical level counts, not its peak, and only five minutes or
        // more away from it: a rate over a long window keeps rising and falling for that long around the
        // attack. A pod that did not exist then (the lab's DoS pod) rises by definition.
        func typical(_ samples: [Sample]) -> Double? {
            let margin: Int64 = 300_000
            let outside = samples.filter { ($0.timestamp < spec.attackFrom - margin || $0.timestamp > spec.attackTo + margin) && $0.value.isFinite }.map(\.value).sorted()
            return outside.isEmpty ? nil : outside[outside.count / 2]
        }
        let attackers = series.filter { isAttacker($0.labels, $0.legend) }
        let others = series.filter { !isAttacker($0.labels, $0.legend) }
        let wanted = spec.singleOut.map { "\($0.label)=\"\($0.value)\"" }.joined(separator: " or ")
        guard !attackers.isEmpty else {
            return PanelVerdict(fraction: 2.0 / 3, feedback: "\(where_) shows \(series.count) series, but none is \(spec.describes) (\(wanted)): keep that label in the query (sum by it, or do not aggregate it away).",
                                evidence: queries, figure: figure)
        }
        let attackerPeak = attackers.compactMap { peak($0.samples, inside: true) }.max() ?? 0
        let attackerBefore = attackers.compactMap { typical($0.samples) }.max()
        let othersPeak = others.compactMap { peak($0.samples, inside: true) }.max() ?? 0
        let rises = attackerBefore.map { attackerPeak >= 2 * max($0, 1e-12) } ?? true
        let standsOut = attackerPeak > 2 * othersPeak
        let numbers = "\(spec.describes) peaks at \(SVGChart.si(attackerPeak)) during the attack" + (attackerBefore.map { " (typically \(SVGChart.si($0)) outside it)" } ?? "")
            + ", every other series at most \(SVGChart.si(othersPeak))"
        if rises && standsOut {
            return PanelVerdict(fraction: 1, feedback: "\(where_) singles out \(spec.describes) during the attack: \(numbers).", evidence: queries, figure: figure)
        }
        let why = !standsOut ? "does not stand out from the other series" : "is as high outside the attack as during it"
        return PanelVerdict(fraction: 2.0 / 3, feedback: "\(where_) shows \(spec.describes), but it \(why): \(numbers).", evidence: queries, figure: figure)
    }

    /// Why a query on recorded metrics selects nothing: the first label matcher no series of its metric satisfies,
    /// with the values the recording has for that label (`no container_cpu_usage_seconds_total series has
    /// namespace="prod"; recorded: default, kube-system`).
    static func emptyMatcher(_ results: [PanelEvaluator.TargetResult], _ store: MetricStore) -> String? {
        for result in results where result.error == nil {
            for selector in result.selectors {
                let named = selector.matchers.filter { $0.name == Labels.metricNameLabel }
                let series = store.series.filter { one in named.allSatisfy { $0.matches(one.labels.metricName ?? "") } }
                guard !series.isEmpty else { continue }
                for matcher in selector.matchers where matcher.name != Labels.metricNameLabel {
                    guard !series.contains(where: { matcher.matches($0.labels[matcher.name] ?? "") }) else { continue }
                    let values = Array(Set(series.compactMap { $0.labels[matcher.name] })).sorted()
                    let metric = selector.name ?? "the selected"
                    return "no \(metric) series has \(matcher.name)\(matcher.kind.rawValue)\"\(matcher.value)\"; "
                        + (values.isEmpty ? "none has a \(matcher.name) label" : "recorded: \(values.prefix(6).joined(separator: ", "))\(values.count > 6 ? ", ..." : "")")
                }
            }
        }
        return nil
    }

    /// Recorded metrics that share the most name words with the ones asked for (`node_network_tcp_connections` →
    /// `node_netstat_Tcp_CurrEstab`, ...), among the scenario's families when the key names them; at most four. Words
    /// are split at `_` and at camel case; a few words students use stand for the counters' own (connections for
    /// `CurrEstab` and `ActiveOpens`, packets for `Segs`) and count double.
    static func similarMetrics(to asked: [String], in recorded: Set<String>, families: [String]) -> [String] {
        let synonyms: [String: [String]] = ["connections": ["estab", "opens", "conntrack", "inuse"], "connection": ["estab", "opens", "conntrack"],
                                            "packets": ["segs", "packets"], "errors": ["errs", "fails", "resets"], "scan": ["rsts", "resets", "opens"]]
        func words(_ name: String) -> [String] {
            var out: [String] = []
            for part in name.split(separator: "_") {
                var word = ""
                for character in part {
                    if character.isUppercase, let last = word.last, last.isLowercase { out.append(word.lowercased()); word = "" }
                    word.append(character)
                }
                if !word.isEmpty { out.append(word.lowercased()) }
            }
            return out.filter { !["total", "seconds", "bytes"].contains($0) }
        }
        let wanted = Set(asked.flatMap(words))
        let specific = Set(wanted.flatMap { synonyms[$0] ?? [] })
        let pool = recorded.filter { name in families.isEmpty || families.contains { name.hasPrefix($0) } }
        let scored = pool.map { name -> (String, Int) in
            let have = Set(words(name))
            return (name, have.intersection(wanted).count + 2 * have.intersection(specific).count)
        }.filter { $0.1 > 0 }
        return scored.sorted { ($1.1, $0.0) < ($0.1, $1.0) }.prefix(4).map(\.0)
    }
}
