import Foundation
@testable import Metrics
import TestSupport
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
        // Found by fuzzing: a timestamp past 64-bit milliseconds trapped on the conversion; now it is a located problem.
        let (farStore, far) = Self.store("v 2 " + String(repeating: "8", count: 40) + "\nv 3 1700000000\n# EOF\n", format: .openMetrics)
        #expect(far.problems.map(\.description).contains { $0.contains(":1:") && $0.contains("the timestamp is out of range") }, "\(far.problems)")
        #expect(farStore.series.first?.values == [3])
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

    /// Parse and type errors with the message and position Prometheus gives (checked against Debian's Prometheus 2.42
    /// by `PrometheusDifferentialTests.errors`): a type error points at the argument or operand at fault, a
    /// comparison of scalars at its operator, a modifier or count error at the node's start.
    static let parseErrorCases: [(String, String)] = [
        ("sum(rate(x[5m])", "1:16: parse error: unclosed left parenthesis"),
        ("sum(rate(x[5m])) by", "1:20: parse error: unexpected end of input in grouping opts, expected \"(\""),
        ("{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"),
        ("{job=~\".*\"}", "1:1: parse error: vector selector must contain at least one non-empty matcher"),
        ("nosuch(x)", "1:1: parse error: unknown function with name \"nosuch\""),
        ("x[5x]", "1:3: parse error: bad number or duration syntax: \"5x\""),
        ("(x", "1:3: parse error: unclosed left parenthesis"),
        ("x)", "1:3: parse error: unexpected right parenthesis ')'"),
        ("rate(x)", "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector"),
        ("sum(rate(x))", "1:10: parse error: expected type range vector in call to function \"rate\", got instant vector"),
        ("x\n + rate(y)", "2:9: parse error: expected type range vector in call to function \"rate\", got instant vector"),
        ("sum by (a) (x) > bool rate(y)", "1:28: parse error: expected type range vector in call to function \"rate\", got instant vector"),
        ("histogram_quantile(x, y)", "1:20: parse error: expected type scalar in call to function \"histogram_quantile\", got instant vector"),
        ("vector(x)", "1:8: parse error: expected type scalar in call to function \"vector\", got instant vector"),
        ("sort(x[1m:])", "1:6: parse error: expected type instant vector in call to function \"sort\", got range vector"),
        ("abs(x, y)", "1:1: parse error: expected 1 argument(s) in call to \"abs\", got 2"),
        ("sum(abs(x, y))", "1:5: parse error: expected 1 argument(s) in call to \"abs\", got 2"),
        ("time(1)", "1:1: parse error: expected 0 argument(s) in call to \"time\", got 1"),
        ("label_replace(x, \"a\", \"b\", \"c\")", "1:1: parse error: expected 5 argument(s) in call to \"label_replace\", got 4"),
        ("sum(x[5m])", "1:5: parse error: expected type instant vector in aggregation expression, got range vector"),
        ("rate(x[5m]) + sum(y[1m])", "1:19: parse error: expected type instant vector in aggregation expression, got range vector"),
        ("topk(\"a\", x)", "1:6: parse error: expected type scalar in aggregation parameter, got string"),
        ("count_values(1, x)", "1:14: parse error: expected type string in aggregation parameter, got scalar"),
        ("1 > 2", "1:3: parse error: comparisons between scalars must use BOOL modifier"),
        ("2 * (1 > 2)", "1:8: parse error: comparisons between scalars must use BOOL modifier"),
        ("foo and 1", "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"),
        ("x > bool 1 and 2", "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"),
        ("x[5m] + 1", "1:1: parse error: binary expression must contain only scalar and instant vector types"),
        ("1 + x[5m]", "1:5: parse error: binary expression must contain only scalar and instant vector types"),
        ("sum(x) / on(a) 2", "1:1: parse error: vector matching only allowed between instant vectors"),
        ("x or on(a) group_left(b) y", "1:1: parse error: no grouping allowed for \"or\" operation"),
        ("-x[5m]", "1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got \"range vector\""),
        ("- \"a\"", "1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got \"string\""),
        ("x[5m:1m] offset 1m [2m]", "1:20: parse error: ranges only allowed for vector selectors"),
        ("x[1m][5m:]", "1:1: parse error: subquery is only allowed on instant vector, got matrix instead"),
        ("x offset 1m offset 2m", "1:1: parse error: offset may not be set multiple times"),
        ("1 + (x offset 1m offset 2m)", "1:6: parse error: offset may not be set multiple times"),
        ("rate(x[1m]) offset 1m", "1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"),
        ("sum(x) @ 5", "1:1: parse error: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery"),
        ("x @ 1 @ 2", "1:1: parse error: @ <timestamp> may not be set multiple times"),
        ("x[1m:] offset 5m @ 10 @ 20", "1:1: parse error: @ <timestamp> may not be set multiple times"),
    ]

    @Test("PromQL parse and type errors carry Prometheus's messages and positions")
    func parseErrors() {
        for (query, message) in Self.parseErrorCases {
            do {
                _ = try PromQLParser.parse(query)
                Issue.record("\(query) parsed")
            } catch {
                #expect(error.message == message, "\(query)")
            }
        }
        // Hostile nesting is refused, not a stack overflow.
        #expect(throws: PromQLError.self) { try PromQLParser.parse(String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)) }
        // So is a chain of 20,000 binary operators, which nests as deep without a parenthesis (it overflowed the
        // evaluator's stack); a chain within the limit evaluates.
        let chain = Array(repeating: "up", count: 20_000).joined(separator: " or ")
        #expect { try PromQLParser.parse(chain) } throws: { error in
            (error as? PromQLError)?.message == "1:1198: parse error: expression nested more than 200 deep (counting each binary operator of a chain)"
        }
        let sum = Array(repeating: "1", count: 150).joined(separator: " + ")
        #expect(throws: Never.self) { try PromQLEngine(store: MetricStore()).instant(try PromQLParser.parse("(" + sum + ")"), at: 0) }
    }

    @Test("range queries evaluated across all steps at once equal step-by-step evaluation, bit for bit")
    func acrossSteps() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let (store, outcome) = try MetricStore.load(path: root + "/traces/metrics/lab-attacks.om")
        #expect(outcome.problems.isEmpty)
        let range = try #require(store.timeRange)
        // A series that ends with a stale marker (a pod deleted mid-recording).
        let gone = Labels(name: "container_cpu_usage_seconds_total", [("pod", "gone")])
        for (index, value) in [1.0, 5, 9, staleNaN].enumerated() { store.append(gone, range.lowerBound + 120_000 + Int64(index) * 15_000, value) }
        let queries = PrometheusDifferentialTests.queries + [
            #"rate(container_cpu_usage_seconds_total[1m]) * 100 > 5"#,
            #"100 - rate(container_cpu_usage_seconds_total[5m] offset 1m) > bool 0.5"#,
            #"sum without (cpu) (rate(container_cpu_usage_seconds_total[1m] @ end()))"#,
            #"avg by (namespace) (container_memory_usage_bytes) / 2"#,
            #"count({__name__=~"container_.*", pod!=""}) by (pod)"#,
            #"rate({__name__=~"container_cpu_usage_seconds_total|container_network_transmit_packets_total"}[1m])"#,
            #"sum(max by (pod) (container_memory_usage_bytes))"#,
            #"last_over_time(container_memory_usage_bytes[2m])"#,
            #"quantile_over_time(0.9, container_memory_usage_bytes[2m])"#,
            #"2 * 3"#,
        ]
        var compared = 0
        var stepByStep: [String] = []
        for query in queries {
            let expr = try PromQLParser.parse(query)
            let times = Array(stride(from: range.lowerBound, through: range.upperBound, by: 15_000))
            if PromQLEngine(store: store).evaluateAcrossSteps(expr, times: times) == nil { stepByStep.append(query) }
            let stepwise = PromQLEngine(store: store)
            stepwise.evaluatesAcrossSteps = false
            let across = PromQLEngine(store: store)
            let expected = Result { try stepwise.range(expr, start: range.lowerBound, end: range.upperBound, step: 15_000) }
            let actual = Result { try across.range(expr, start: range.lowerBound, end: range.upperBound, step: 15_000) }
            switch (expected, actual) {
            case (.success(let a), .success(let b)):
                #expect(a.map(\.labels) == b.map(\.labels), "\(query)")
                #expect(a.map { $0.samples.map(\.timestamp) } == b.map { $0.samples.map(\.timestamp) }, "\(query)")
                #expect(a.map { $0.samples.map(\.value.bitPattern) } == b.map { $0.samples.map(\.value.bitPattern) }, "\(query)")
                compared += a.reduce(0) { $0 + $1.samples.count }
            case (.failure(let a), .failure(let b)):
                #expect("\(a)" == "\(b)", "\(query)")
            default:
                Issue.record("\(query): step by step \(expected), across steps \(actual)")
            }
        }
        #expect(compared > 10_000)
        // Parameters that are not numbers, k-selection, label functions, subqueries, absent(), vector matching, an
        // aggregation of an aggregation and a scalar result are evaluated step by step; the rest across steps.
        #expect(stepByStep == [
            #"topk(3, sum by (pod) (rate(container_cpu_usage_seconds_total{container!=""}[1m])))"#,
            #"quantile(0.9, rate(container_cpu_usage_seconds_total{container!=""}[1m]))"#,
            #"bottomk(2, sum by (pod) (rate(container_cpu_usage_seconds_total[1m])))"#,
            #"label_replace(sum by (pod) (rate(container_cpu_usage_seconds_total[1m])), "app", "$1", "pod", "([a-z]+).*")"#,
            #"max_over_time(rate(container_cpu_usage_seconds_total{container!=""}[1m])[5m:30s])"#,
            #"absent(container_cpu_usage_seconds_total{pod="nonexistent"})"#,
            #"sum(rate(container_cpu_usage_seconds_total[1m])) by (pod) unless on(pod) container_memory_usage_bytes{pod="web"}"#,
            #"timestamp(container_memory_usage_bytes{pod="web", container="nginx"})"#,
            #"clamp_max(rate(container_cpu_usage_seconds_total[1m]), 0.5)"#,
            #"container_memory_usage_bytes{container!=""} / on(pod) group_left sum by (pod) (container_memory_usage_bytes{container=""})"#,
            #"sum(max by (pod) (container_memory_usage_bytes))"#,
            #"2 * 3"#,
        ])
    }

    @Test("label regexes are RE2: (.*.*)*x over long labels answers at once; RE2's refusals are PromQL errors")
    func regexIsLinear() throws {
        let store = MetricStore()
        for index in 0..<200 { store.append(Labels(name: "up", [("id", String(repeating: "a", count: 60 + index) + (index == 7 ? "x" : "y"))]), 1000, 1) }
        let engine = PromQLEngine(store: store)
        guard case .vector(let elements) = try engine.instant(try PromQLParser.parse(#"up{id=~"(.*.*)*x"}"#), at: 1000) else { throw PromQLError("not a vector") }
        #expect(elements.count == 1 && elements.first?.labels["id"]?.hasSuffix("x") == true)
        #expect(throws: PromQLError.self) { try PromQLParser.parse(#"up{id=~"(a"}"#) }
        do { _ = try PromQLParser.parse(#"up{id=~"(a"}"#) } catch { #expect(error.message == #"invalid regular expression "(a": missing ): (a"#, "\(error.message)") }
        guard case .vector(let replaced) = try engine.instant(try PromQLParser.parse(#"label_replace(up{id=~".*x"}, "head", "$1", "id", "(a{3})(.*)")"#), at: 1000) else {
            throw PromQLError("not a vector")
        }
        #expect(replaced.first?.labels["head"] == "aaa")
    }

    @Test("hostile subqueries, offsets and @ times: refused or empty, never a hang or a trap")
    func hostileSubqueries() throws {
        let store = MetricStore()
        for second in 0..<100 { store.append(Labels(name: "x", [("i", "1")]), Int64(second) * 1000, Double(second)) }
        let engine = PromQLEngine(store: store)
        // A 1 ms step over 30 days: 2.6 billion inner steps, refused before one is evaluated.
        do {
            _ = try engine.instant(try PromQLParser.parse("max_over_time(x[30d:1ms])"), at: 100_000)
            Issue.record("a 30-day subquery at 1 ms ran")
        } catch {
            #expect(error.message.hasPrefix("subqueries of this query would evaluate more than 1000000 steps (this one: 2592000000 steps of 1 ms)"), "\(error.message)")
        }
        // The same inside a range query: the budget is for the whole query, every outer step included.
        #expect(throws: PromQLError.self) { try engine.range(try PromQLParser.parse("max_over_time(x[1h:10ms])"), start: 0, end: 100_000, step: 1000) }
        // A fine subquery that fits is answered.
        #expect(throws: Never.self) { try engine.instant(try PromQLParser.parse("max_over_time(x[10s:100ms])"), at: 50_000) }
        // Offsets and @ times at the ends of 64 bits select nothing, and an @ past them is a parse error.
        for query in ["x offset 292y", "x offset -292y", "x @ 9000000000000000", "rate(x[292y] @ -9000000000000000)", "x[100y:1y] offset 200y"] {
            let result = try engine.instant(try PromQLParser.parse(query), at: 50_000)
            switch result {
            case .vector(let elements): #expect(elements.isEmpty, "\(query)")
            case .matrix(let series): #expect(series.isEmpty, "\(query)")
            default: Issue.record("\(query): \(result)")
            }
        }
        #expect(throws: PromQLError.self) { try PromQLParser.parse("x @ 1e300") }
        #expect(QueryOutput.parseTime("1e30") == nil && QueryOutput.parseTime("1700000000.5") == 1_700_000_000_500)
        #expect(throws: PromQLError.self) { try PromQLParser.parse("x[290000000y2000000000w]") }
        // Found by fuzzing: a duration with more digits than 64 bits hold used to stop the lexer without moving on.
        for query in ["4444444444444444444444sum", "up[1d]44444444444444444444444444444444444444444444sum", "x[99999999999999999999s]",
                      "time(up[1001111111111111111111_00]0)s"] {
            do { _ = try PromQLParser.parse(query); Issue.record("\(query) parsed") } catch { #expect(error.message.contains("duration out of range"), "\(error.message)") }
        }
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

/// Grafana's template variables and units over the lab recording.
@Suite("Grafana variables and units")
struct GrafanaVariableTests {
    static let recording = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/traces/metrics/lab-attacks.om"

    /// A dashboard as Grafana 10 exports it: a chained query variable, a multi-value one with All, a custom one.
    static let dashboard = """
    {"title": "Pods", "templating": {"list": [
      {"name": "namespace", "type": "query", "query": {"query": "label_values(container_cpu_usage_seconds_total, namespace)", "refId": "A"},
       "current": {"text": "default", "value": "default"}},
      {"name": "pod", "type": "query", "query": "label_values(container_cpu_usage_seconds_total{namespace=\\"$namespace\\"}, pod)",
       "multi": true, "includeAll": true, "current": {"text": ["All"], "value": ["$__all"]}, "regex": "/^(d.*|web)$/"},
      {"name": "gone", "type": "query", "query": "label_values(container_cpu_usage_seconds_total, namespace)", "current": {"text": "old-namespace", "value": "old-namespace"}},
      {"name": "picked", "type": "custom", "query": "web,client", "multi": true, "current": {"text": ["web", "client"], "value": ["web", "client"]}}
    ]},
    "panels": [
      {"id": 1, "type": "timeseries", "title": "CPU", "fieldConfig": {"defaults": {"unit": "percentunit"}},
       "targets": [{"refId": "A", "expr": "sum by (pod) (rate(container_cpu_usage_seconds_total{namespace=\\"$namespace\\", pod=~\\"$pod\\"}[$__rate_interval]))", "legendFormat": "{{pod}}"}]},
      {"id": 2, "type": "graph", "title": "Memory", "yaxes": [{"format": "bytes"}, {"format": "short"}],
       "targets": [{"refId": "A", "expr": "sum(container_memory_working_set_bytes{pod=~\\"${picked:regex}\\"})"}]}
    ]}
    """

    @Test("query variables resolve from the recording (chained, regex-filtered, a stale saved value replaced); multi values regex-escaped")
    func variables() throws {
        let (store, _) = try MetricStore.load(path: Self.recording)
        let evaluator = PanelEvaluator(store: store)
        let board = try GrafanaDashboard.parse(Array(Self.dashboard.utf8), name: "pods.json").resolvingVariables(with: evaluator)
        let byName = Dictionary(uniqueKeysWithValues: board.variables.map { ($0.name, $0) })
        #expect(byName["namespace"]?.options == ["default", "kube-system"] && byName["namespace"]?.values == ["default"])
        #expect(byName["pod"]?.options == ["dos-attack", "web"] && byName["pod"]?.values == ["$__all"])
        #expect(byName["gone"]?.values == ["default"], "a saved value no longer offered falls back to the first option")
        let results = evaluator.evaluate(board.panels[0], variables: board.variables)
        #expect(results[0].expr.hasPrefix(#"sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="default", pod=~"(dos-attack|web)"}["#), "\(results[0].expr)")
        #expect(results[0].series.map(\.legend) == ["dos-attack", "web"])
        let memory = evaluator.evaluate(board.panels[1], variables: board.variables)
        #expect(memory[0].expr == #"sum(container_memory_working_set_bytes{pod=~"(web|client)"})"#)
        #expect(memory[0].series.map(\.legend) == [memory[0].expr], "a series without labels is named by its expression")
        #expect(board.panels.map(\.unit) == ["percentunit", "bytes"])
        // Grafana's escaping of multi-value variables for Prometheus, and its formats.
        let dotted = GrafanaDashboard.Variable(name: "v", type: "custom", values: ["a.b", "c|d"], allValue: nil, options: [], multi: true)
        #expect(PanelEvaluator.substitute(#"x{l=~"$v"} ${v:pipe} ${v:csv} ${v:json} ${v:raw}"#, variables: [dotted], builtins: [:])
                == #"x{l=~"(a\\.b|c\\|d)"} a.b|c|d a.b,c|d ["a.b","c|d"] a.b,c|d"#)
    }

    @Test("interval variables: a saved value as it is; auto from the range, its step count and its minimum")
    func intervals() throws {
        let (store, _) = try MetricStore.load(path: Self.recording)
        let evaluator = PanelEvaluator(store: store)
        let json = """
        {"title": "i", "panels": [], "templating": {"list": [
          {"name": "fixed", "type": "interval", "query": "1m,10m,30m", "current": {"value": "10m"}},
          {"name": "picked", "type": "interval", "query": "1m,10m,30m", "auto": true, "auto_count": 30, "auto_min": "10s", "current": {"value": "$__auto_interval_picked"}},
          {"name": "fresh", "type": "interval", "query": "1m,10m", "auto": true, "auto_count": 10, "auto_min": "5m"},
          {"name": "plain", "type": "interval", "query": "5m,1h"}]}}
        """
        let board = try GrafanaDashboard.parse(Array(json.utf8), name: "i.json").resolvingVariables(with: evaluator)
        // The recording spans 16 minutes: 960 s / 30 = 32 s, rounded as Grafana rounds it to 30 s; / 10 = 96 s, under the 5 m minimum.
        #expect(board.variables.map(\.values) == [["10m"], ["30s"], ["5m"], ["5m"]])
    }

    @Test("units as Grafana writes them")
    func units() {
        #expect(GrafanaUnit.format(1536, unit: "bytes") == "1.5 KiB")
        #expect(GrafanaUnit.format(3 * 1024 * 1024, unit: "bytes") == "3 MiB")
        #expect(GrafanaUnit.format(1500, unit: "decbytes") == "1.5 kB")
        #expect(GrafanaUnit.format(0.25, unit: "percentunit") == "25%")
        #expect(GrafanaUnit.format(42, unit: "percent") == "42%")
        #expect(GrafanaUnit.format(0.5, unit: "s") == "500 ms" && GrafanaUnit.format(90, unit: "s") == "1.5 min")
        #expect(GrafanaUnit.format(2500, unit: "reqps") == "2.5K req/s")
        #expect(GrafanaUnit.format(12_000_000, unit: "bps") == "12 Mbps" && GrafanaUnit.format(2048, unit: "Bps") == "2.05 kB/s")
        #expect(GrafanaUnit.format(1_500_000, unit: "short") == "1.5 Mil" && GrafanaUnit.format(7, unit: "none") == "7")
        #expect(GrafanaUnit.format(3, unit: "widgets") == "3 widgets")
    }
}

/// Grafana's "Node Exporter Full" over a recording of the real node_exporter scraped by the real Prometheus.
@Suite("Node Exporter Full", .enabled(if: Prerequisite.shared.runnable, Comment(rawValue: Prerequisite.shared.skipReason)))
struct NodeExporterFullTests {
    @Test("the dashboard's variables resolve from the recording and 106 of its 125 query panels draw data (85%)")
    func panelsWithData() throws {
        let recording = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/traces/metrics/node-exporter.om"
        let (store, outcome) = try MetricStore.load(path: recording)
        #expect(outcome.problems.isEmpty, "\(outcome.problems.prefix(3))")
        let evaluator = PanelEvaluator(store: store)
        let dashboard = try Repository.shared("upstream/dashboards/node-exporter-full-1860.json")
        let board = try GrafanaDashboard.parse(Array(try Data(contentsOf: URL(fileURLWithPath: dashboard))), name: dashboard).resolvingVariables(with: evaluator)
        let byName = Dictionary(uniqueKeysWithValues: board.variables.map { ($0.name, $0) })
        #expect(byName["job"]?.values == ["node"] && byName["nodename"]?.options == ["node-a", "node-b"] && byName["node"]?.values == ["198.51.100.2:9100"])
        let panels = board.panels.filter { GrafanaDashboard.seriesPanelTypes.contains($0.type) && !$0.targets.isEmpty }
        let drawn = panels.filter { panel in evaluator.evaluate(panel, variables: board.variables).contains { $0.error == nil && !$0.series.isEmpty } }
        #expect(panels.count == 125 && drawn.count == 106, "\(drawn.count) of \(panels.count)")
    }
}
