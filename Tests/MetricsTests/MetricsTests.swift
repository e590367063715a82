import Foundation
@testable import Metrics
import Testing
import TraceModel

/// Exposition reading, PromQL errors and limits, API output, dashboards, charts and the DoS detector.
@Suite("metrics")
struct MetricsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func store(_ text: String, format: ExpositionReader.Format = .automatic) -> (MetricStore, ExpositionReader.Outcome) {
        let store = MetricStore()
        let outcome = ExpositionReader().read(Array(text.utf8), name: "t.om", into: store, format: format)
        return (store, outcome)
    }

    @Test("exposition: OpenMetrics seconds and Prometheus milliseconds, scrapes concatenated, escapes, NaN and Inf")
    func exposition() throws {
        let (om, outcome) = Self.store("""
            # TYPE cpu counter
            cpu_total{pod="a",note="x\\"y\\\\z\\nw"} 1 1700000000
            cpu_total{pod="a",note="x\\"y\\\\z\\nw"} 2.5 1700000015.5
            # TYPE mem gauge
            mem{pod="a"} NaN 1700000000
            mem{pod="a"} +Inf 1700000015
            # EOF
            """)
        #expect(outcome.format == .openMetrics && outcome.samples == 4 && outcome.problems.isEmpty, "\(outcome.problems)")
        let cpu = try #require(om.series.first { $0.labels.metricName == "cpu_total" })
        #expect(cpu.timestamps == [1_700_000_000_000, 1_700_000_015_500] && cpu.values == [1, 2.5])
        #expect(cpu.labels["note"] == "x\"y\\z\nw")
        #expect(om.series.first { $0.labels.metricName == "mem" }.map { $0.values[0].isNaN && $0.values[1] == .infinity } == true)
        // Prometheus text: milliseconds; two scrapes of the same family concatenated.
        let (prom, promOutcome) = Self.store("""
            # HELP up scrape health
            # TYPE up gauge
            up{job="node"} 1 1700000000000
            # TYPE up gauge
            up{job="node"} 0 1700000015000
            """)
        #expect(promOutcome.format == .prometheus && prom.series.first?.timestamps == [1_700_000_000_000, 1_700_000_015_000])
    }

    @Test("bad exposition lines are reported with line and column and skipped; out-of-order and duplicate samples are counted")
    func badExposition() {
        let labels = (0..<300).map { "l\($0)=\"v\"" }.joined(separator: ",")
        let (store, outcome) = Self.store("""
            good{a="1"} 1 1700000000
            good{a="1"} 2 1699999999
            good{a="1"} 1 1700000000
            broken{a="1" 1 1700000000
            novalue{a="1"}
            bad{a="1"} twelve 1700000000
            huge{\(labels)} 1 1700000000
            {a="1"} 1 1700000000
            late 1
            # EOF
            """)
        #expect(store.series.map(\.labels.metricName) == ["good"] && outcome.samples == 1)
        #expect(outcome.problems.contains { $0.hasPrefix("t.om:4:") && $0.contains("expected ',' or '}'") }, "\(outcome.problems)")
        #expect(outcome.problems.contains { $0.hasPrefix("t.om:5:") })
        #expect(outcome.problems.contains { $0.hasPrefix("t.om:6:12: bad sample value 'twelve'") }, "\(outcome.problems)")
        #expect(outcome.problems.contains { $0.hasPrefix("t.om:7:") && $0.contains("more than 256 labels") })
        #expect(outcome.problems.contains { $0.hasPrefix("t.om:8:1: expected a metric name") })
        #expect(outcome.problems.contains { $0.hasPrefix("t.om:9:") && $0.contains("without a timestamp") })
        #expect(outcome.problems.contains { $0.contains("1 samples out of order") } && outcome.problems.contains { $0.contains("1 duplicate samples") })
    }

    @Test("PromQL parse errors carry Prometheus's messages and positions")
    func parseErrors() {
        let cases: [(String, String)] = [
            ("sum(rate(x[5m])", "1:16: parse error: unclosed left parenthesis"),
            ("sum(rate(x[5m])) by", "1:20: parse error: unexpected end of input in grouping opts, expected \"(\""),
            ("rate(x)", "parse error: expected type range vector in call to function \"rate\", got instant vector"),
            ("{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"),
            ("{job=~\".*\"}", "1:1: parse error: vector selector must contain at least one non-empty matcher"),
            ("1 > 2", "parse error: comparisons between scalars must use BOOL modifier"),
            ("nosuch(x)", "1:1: parse error: unknown function with name \"nosuch\""),
            ("x[5x]", "1:3: parse error: bad number or duration syntax: \"5x\""),
            ("(x", "1:3: parse error: unclosed left parenthesis"),
            ("x)", "1:2: parse error: unexpected right parenthesis ')'"),
            ("x and 1", "parse error: set operator \"and\" not allowed in binary scalar expression"),
            ("x @ 1 @ 2", "1:7: parse error: @ <timestamp> may not be set multiple times"),
        ]
        for (query, message) in cases {
            do {
                _ = try PromQLParser.parse(query)
                Issue.record("\(query) parsed")
            } catch {
                #expect(error.message.hasSuffix(message) || error.message == message, "\(query): \(error.message)")
            }
        }
        // Hostile nesting is refused, not a stack overflow.
        #expect(throws: PromQLError.self) { try PromQLParser.parse(String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)) }
    }

    @Test("a query loading too many samples, or asking too many steps, fails with a clear error")
    func limits() throws {
        let store = MetricStore()
        for second in 0..<1000 { store.append(Labels(name: "x", [("i", "1")]), Int64(second) * 1000, Double(second)) }
        let engine = PromQLEngine(store: store)
        engine.maximumSamples = 500
        #expect { _ = try engine.instant(try PromQLParser.parse("sum_over_time(x[20m])"), at: 999_000) } throws: {
            "\($0)".contains("would load too many samples")
        }
        #expect { _ = try engine.range(try PromQLParser.parse("x"), start: 0, end: 20_000_000, step: 1) } throws: {
            "\($0)".contains("exceeded maximum resolution of 11000 points")
        }
    }

    @Test("query results as Prometheus's HTTP API writes them")
    func apiJSON() throws {
        let store = MetricStore()
        store.append(Labels(name: "up", [("job", "a")]), 1_700_000_000_000, 1)
        store.append(Labels(name: "up", [("job", "a")]), 1_700_000_015_000, 0.1 + 0.2)
        let engine = PromQLEngine(store: store)
        let vector = try engine.instant(try PromQLParser.parse("up"), at: 1_700_000_020_500)
        #expect(QueryOutput.prometheusJSON(vector) == #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1700000020.5,"0.30000000000000004"]}]}}"#)
        let scalar = try engine.instant(try PromQLParser.parse("1/0"), at: 1_700_000_000_000)
        #expect(QueryOutput.prometheusJSON(scalar) == #"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"+Inf"]}}"#)
        let matrix = PromValue.matrix(try engine.range(try PromQLParser.parse("up * 2"), start: 1_700_000_000_000, end: 1_700_000_015_000, step: 15_000))
        #expect(QueryOutput.prometheusJSON(matrix) == #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[[1700000000,"2"],[1700000015,"0.6000000000000001"]]}]}}"#)
        #expect(QueryOutput.prometheusError(PromQLError("1:1: parse error: x")) == #"{"status":"error","errorType":"bad_data","error":"1:1: parse error: x"}"#)
        #expect(1e21.goText == "1000000000000000000000" && 1e-7.goText == "0.0000001" && (-2.5).goText == "-2.5")
    }

    @Test("dashboards: exports and API bodies, rows, variables, intervals; bad JSON is located")
    func dashboards() throws {
        let text = """
            {"dashboard": {"title": "T", "schemaVersion": 39,
              "panels": [
                {"type": "row", "collapsed": true, "panels": [
                  {"id": 4, "type": "timeseries", "title": "cpu", "targets": [{"refId": "A", "expr": "rate(x{ns=\\"$ns\\"}[$__rate_interval])", "legendFormat": "{{pod}}"}]}]},
                {"id": 5, "type": "text", "title": "notes"},
                {"id": 6, "type": "timeseries", "title": "loki", "targets": [{"refId": "A"}]},
                {"id": 7, "type": "timeseries", "title": "logs", "datasource": {"type": "loki", "uid": "l"}, "targets": [{"refId": "A", "expr": "{app=\\"x\\"} |= \\"err\\""}]}],
              "templating": {"list": [{"name": "ns", "type": "custom", "current": {"value": ["a", "b"]}}]}}}
            """
        let board = try GrafanaDashboard.parse(Array(text.utf8), name: "d.json")
        #expect(board.title == "T" && board.panels.map(\.id) == [4, 5, 6, 7] && board.panels[0].targets.count == 1 && board.panels[3].targets.isEmpty)
        #expect(board.notes.contains { $0.contains("data source loki, not Prometheus") })
        #expect(board.notes.contains { $0.contains("type text is not evaluated") } && board.notes.contains { $0.contains("no PromQL expression") })
        let substituted = PanelEvaluator.substitute(board.panels[0].targets[0].expr, variables: board.variables, builtins: ["__rate_interval": "1m"])
        #expect(substituted == #"rate(x{ns="(a|b)"}[1m])"#)
        #expect(PanelEvaluator.roundInterval(3_600_000 / 1000) == 5000 && PanelEvaluator.roundInterval(16_000) == 15_000)
        #expect(PanelEvaluator.legend("{{pod}} on {{node}}", Labels(name: "x", [("pod", "web")])) == "web on ")
        do {
            _ = try GrafanaDashboard.parse(Array("{\n  \"panels\": [1,\n  }".utf8), name: "bad.json")
            Issue.record("bad JSON was read")
        } catch {
            #expect("\(error)".hasPrefix("bad.json:3:"), "\(error)")
        }
    }

    @Test("charts are SVG, deterministic, with the attack window shaded and gaps left open")
    func charts() {
        var chart = SVGChart(title: "cpu <per pod>", series: [("dos", [Sample(timestamp: 0, value: 0), Sample(timestamp: 5000, value: 1), Sample(timestamp: 30_000, value: 1)])],
                             from: 0, to: 60_000, step: 5000)
        chart.shaded = (10_000, 40_000, "attack")
        let svg = chart.svg
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg == chart.svg)
        #expect(svg.contains("cpu &lt;per pod&gt;") && svg.contains("fill-opacity=\"0.12\"") && svg.contains(">attack<"))
        // The 25 s gap breaks the line: one polyline of two points and one lone point.
        #expect(svg.components(separatedBy: "<polyline").count == 2 && svg.contains("<circle"))
    }

    @Test("the DoS detector finds the DoS pod in the lab recording and nothing else")
    func dosDetector() throws {
        let path = Self.root + "/traces/metrics/lab-attacks.om"
        let found = try DoSDetector().run(try MetricStore.load(path: path).store)
        #expect(found.map(\.pod) == ["dos-attack"] && found.first?.kind == .cpuDoS && found.first?.technique == "cpu", "\(found.map(\.summary))")
        let dos = try #require(found.first)
        #expect(dos.peak > 0.8 && dos.last - dos.first >= 120_000_000_000 && (dos.baseline ?? 1) < 0.1, "\(dos.summary)")
    }

    @Test("the DoS detector on constructed series: memory growth, and a busy pod measured against its own baseline")
    func dosConstructed() throws {
        let store = MetricStore()
        func labels(_ name: String, _ pod: String) -> Labels { Labels(name: name, [("namespace", "default"), ("pod", pod), ("container", "c")]) }
        var cpuBusy = 0.0, cpuQuiet = 0.0
        for step in 0..<240 {  // 20 minutes every 5 s
            let time = Int64(step) * 5000
            // A busy pod at 0.8 cores all along, rising to 1.2 for a while: under 5x its own baseline.
            cpuBusy += (step >= 100 && step < 140 ? 1.2 : 0.8) * 5
            cpuQuiet += 0.01 * 5
            store.append(labels("container_cpu_usage_seconds_total", "busy"), time, cpuBusy)
            store.append(labels("container_cpu_usage_seconds_total", "quiet"), time, cpuQuiet)
            // A pod whose working set grows by 8 MiB every 5 s from minute 5: 512 MiB more by minute 10.
            let grown = step >= 60 && step < 124 ? Double(step - 60) * 8 * 1024 * 1024 : (step >= 124 ? 512.0 * 1024 * 1024 : 0)
            store.append(labels("container_memory_working_set_bytes", "leaky"), time, 50 * 1024 * 1024 + grown)
            store.append(labels("container_memory_working_set_bytes", "quiet"), time, 30 * 1024 * 1024)
        }
        let found = try DoSDetector().run(store)
        #expect(found.map { "\($0.pod) \($0.technique) \($0.kind.rawValue)" } == ["leaky memory memory-dos"], "\(found.map(\.summary))")
        let leak = try #require(found.first)
        #expect(leak.first >= 60 * 5000 * 1_000_000 && leak.first <= 100 * 5000 * 1_000_000 && leak.peak >= 500 * 1024 * 1024 && leak.baselineSource == "the pod's first values")
    }
}
