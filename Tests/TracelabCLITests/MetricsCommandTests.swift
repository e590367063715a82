import Foundation
import TestSupport
import Testing

/// `tracelab query`, `dashboard`, `detect` on metric files, and metric files in the database.
@Suite("tracelab metrics commands")
struct MetricsCommandTests {
    static let recording = "traces/metrics/lab-attacks.om"

    @Test("query: Prometheus's API JSON, table and CSV; a bad query gives Prometheus's error body and exit 1")
    func query() throws {
        let json = try CLITests.run(["query", "--format", "json", #"count(container_cpu_usage_seconds_total{container!=""})"#, Self.recording])
        #expect(json.status == 0 && json.stdout.hasPrefix(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["#), "\(json.stdout) \(json.stderr)")
        let range = try CLITests.run(["query", "--step", "60s", "--format", "csv", #"sum by (pod) (rate(container_cpu_usage_seconds_total{container!=""}[1m]))"#, Self.recording])
        #expect(range.status == 0 && range.stdout.hasPrefix("series,timestamp,value\n") && range.stdout.contains(#"{pod=""dos-attack""}"#), "\(range.stderr)")
        let bad = try CLITests.run(["query", "--format", "json", "sum(rate(x[5m])", Self.recording])
        #expect(bad.status == 1 && bad.stdout == #"{"status":"error","errorType":"bad_data","error":"1:16: parse error: unclosed left parenthesis"}"# + "\n")
    }

    @Test("dashboard: an SVG per panel, index.html and results.json; detect names the DoS pod")
    func dashboardAndDetect() throws {
        let out = Scratch.directory.appendingPathComponent("tracelab-cli-\(getpid())-dashboard").path
        try? FileManager.default.removeItem(atPath: out)
        let result = try CLITests.run(["dashboard", "--out", out, "answers/dashboards/dos-attack.json", Self.recording])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        for file in ["panel-1.svg", "panel-2.svg", "index.html", "results.json"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file)")
        }
        let results = try String(contentsOfFile: out + "/results.json", encoding: .utf8)
        #expect(results.contains(#""expr":"sum(rate(container_cpu_usage_seconds_total{namespace=\"default\", container!=\"\"}[20s])) by (pod)""#), "\(results.prefix(400))")
        let detect = try CLITests.run(["detect", Self.recording])
        #expect(detect.status == 0 && detect.stdout.contains("cpu-dos [cpu] default/dos-attack cpu DoS"), "\(detect.stdout)")
    }

    @Test("ingest stores a metric file once; query --db reads the stored series")
    func ingestAndQueryDatabase() throws {
        let db = Scratch.directory.appendingPathComponent("tracelab-cli-\(getpid())-metrics.sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        let first = try CLITests.run(["ingest", "--db", db, Self.recording])
        #expect(first.status == 0 && first.stdout.contains("ingested"), "\(first.stdout) \(first.stderr)")
        let again = try CLITests.run(["ingest", "--db", db, Self.recording])
        #expect(again.status == 0 && again.stdout.contains("already present"))
        let fromFile = try CLITests.run(["query", "--format", "json", "count(node_cpu_seconds_total)", Self.recording])
        let fromDatabase = try CLITests.run(["query", "--format", "json", "--db", db, "count(node_cpu_seconds_total)"])
        #expect(fromDatabase.status == 0 && fromDatabase.stdout == fromFile.stdout, "\(fromDatabase.stdout) \(fromDatabase.stderr)")
    }
}
