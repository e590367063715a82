import ArgumentParser
import FalcoRules
import Foundation
import Metrics
import Packets
import Replay
import Store
import TraceModel

/// Output formats of `tracelab query`.
enum QueryFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// `tracelab query`: PromQL over recorded metrics, packet captures or the database.
struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a PromQL expression (instant or range query) on metric recordings, packet captures or the database.",
        discussion: """
            Sources: OpenMetrics or Prometheus text files (several scrapes may be concatenated), and pcap/pcapng \
            captures (their per-host, per-second pcap_* series). With --db, every series stored in the database too. \
            Times are Unix seconds or RFC 3339. Without --at or --from/--to, an instant query runs at the last sample \
            and a range query spans the data. --format json prints exactly what Prometheus's HTTP API returns.
            """)

    @Option(help: "Instant query time.")
    var at: String?

    @Option(help: "Range query start.")
    var from: String?

    @Option(help: "Range query end.")
    var to: String?

    @Option(help: "Range query step (a duration: 15s, 1m).")
    var step: String?

    @Option(help: "Output format.")
    var format: QueryFormat = .table

    @Option(help: "Lookback of instant selectors (Prometheus's --query.lookback-delta).")
    var lookback = "5m"

    @Option(help: "Most samples a query may load.")
    var maxSamples = 50_000_000

    @Option(help: "Also load every series stored in this database.")
    var db: String?

    @Argument(help: "The PromQL expression.")
    var expression: String

    @Argument(help: "Metric files and captures.")
    var sources: [String] = []

    func run() throws {
        let store = MetricStore()
        var failed = false
        for path in sources {
            do {
                for problem in try MetricSources.load(path, into: store) { printError("tracelab: \(problem)") }
            } catch {
                printError("tracelab: \(error)")
                failed = true
            }
        }
        if let db {
            let database = try storeCall { try TraceStore(path: db, readOnly: true) }
            try storeCall { try MetricSources.load(database: database, into: store) }
        }
        if failed { throw ExitCode(1) }
        let engine = PromQLEngine(store: store)
        engine.maximumSamples = maxSamples
        guard let lookbackDelta = PromQLParser.duration(lookback), lookbackDelta > 0 else { throw ValidationError("--lookback: not a duration: \(lookback)") }
        engine.lookbackDelta = lookbackDelta
        let span = store.timeRange ?? 0...0
        func time(_ text: String?, _ name: String, default value: Int64) throws -> Int64 { try Self.time(text, option: name, default: value) }
        let value: PromValue
        do {
            let expr = try PromQLParser.parse(expression)
            if from != nil || to != nil || step != nil {
                let stepText = step ?? "15s"
                guard let stepMilliseconds = PromQLParser.duration(stepText) ?? Double(stepText).map({ Int64(($0 * 1000).rounded()) }) else {
                    throw ValidationError("--step: not a duration: \(stepText)")
                }
                value = .matrix(try engine.range(expr, start: try time(from, "from", default: span.lowerBound), end: try time(to, "to", default: span.upperBound), step: stepMilliseconds))
            } else {
                value = try engine.instant(expr, at: try time(at, "at", default: span.upperBound))
            }
        } catch let error as PromQLError {
            if format == .json { print(QueryOutput.prometheusError(error)) } else { printError("tracelab: \(error.message)") }
            throw ExitCode(1)
        }
        switch format {
        case .json: print(QueryOutput.prometheusJSON(value))
        case .csv: print(QueryOutput.csv(value), terminator: "")
        case .table:
            let rows = QueryOutput.rows(value)
            print(textTable(["series", "time", "value"], rows.map { [$0.series, formatISOTime(UInt64(max(0, $0.time)) * 1_000_000), $0.value.goText] }))
        }
    }

    /// A time option (Unix seconds or RFC 3339) in ms, or the default when not given.
    static func time(_ text: String?, option: String, default value: Int64) throws -> Int64 {
        guard let text else { return value }
        guard let parsed = QueryOutput.parseTime(text) else { throw ValidationError("--\(option): not a time (Unix seconds or RFC 3339): \(text)") }
        return parsed
    }
}
