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
    var at: TimeArgument?

    @Option(help: "Range query start.")
    var from: TimeArgument?

    @Option(help: "Range query end.")
    var to: TimeArgument?

    @Option(help: "Range query step (a duration: 15s, 1m; or seconds).")
    var step: DurationArgument?

    @Option(help: "Output format.")
    var format: QueryFormat = .table

    @Option(help: "Lookback of instant selectors (Prometheus's --query.lookback-delta).")
    var lookback = DurationArgument(milliseconds: 300_000)

    @Option(help: "Most samples a query may load.")
    var maxSamples = 50_000_000

    @Option(help: "Also load every series stored in this database.")
    var db: String?

    @Argument(help: "The PromQL expression.")
    var expression: String

    @Argument(help: "Metric files and captures.")
    var sources: [String] = []

    @OptionGroup var strictness: StrictOption

    func validate() throws {
        if lookback.milliseconds <= 0 { throw ValidationError("--lookback must be a positive duration") }
    }

    func run() throws {
        let store = MetricStore()
        var failed = false
        var problems = InputProblems()
        for path in sources {
            do {
                for problem in try MetricSources.load(path, into: store) { problems.report(problem) }
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
        engine.lookbackDelta = lookback.milliseconds
        let span = store.timeRange ?? 0...0
        let isRange = from != nil || to != nil || step != nil
        let start = from?.milliseconds ?? span.lowerBound, end = to?.milliseconds ?? span.upperBound
        let stepMilliseconds = step?.milliseconds ?? 15_000, instant = at?.milliseconds ?? span.upperBound
        let result: Result<PromValue, PromQLError> = Result { () throws(PromQLError) -> PromValue in
            let expr = try PromQLParser.parse(expression)
            return isRange ? .matrix(try engine.range(expr, start: start, end: end, step: stepMilliseconds)) : try engine.instant(expr, at: instant)
        }
        let value: PromValue
        switch result {
        case .success(let evaluated): value = evaluated
        case .failure(let error):
            if format == .json { print(QueryOutput.prometheusError(error)) } else { printError("tracelab: \(error.message)") }
            throw ExitCode(1)
        }
        switch format {
        case .json: print(QueryOutput.prometheusJSON(value))
        case .csv: print(QueryOutput.csv(value), terminator: "")
        case .table:
            let rows = QueryOutput.rows(value)
            // Milliseconds to nanoseconds, saturating: a sample far in the future prints as the latest time, not a trap.
            print(textTable(["series", "time", "value"], rows.map { row in
                let (nanoseconds, overflow) = UInt64(max(0, row.time)).multipliedReportingOverflow(by: 1_000_000)
                return [row.series, formatISOTime(overflow ? UInt64.max : nanoseconds), row.value.goText]
            }))
        }
        try problems.finish(strict: strictness.strict)
    }
}
