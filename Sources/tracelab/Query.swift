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

/// `tracelab query`: PromQL over recorded metrics, packet captures or the database, as `promtool query instant`
/// and `promtool query range` ask a server; `tracelab query EXPR FILES` chooses from the flags given.
struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a PromQL expression (instant or range query) on metric recordings, packet captures or the database.",
        discussion: """
            Sources: OpenMetrics or Prometheus text files (several scrapes may be concatenated), and pcap/pcapng \
            captures (their per-host, per-second pcap_* series). With --db, every series stored in the database too. \
            As promtool: `query instant [--time T] EXPR FILES` and `query range [--start T] [--end T] [--step D] EXPR \
            FILES`; without a subcommand, a range query runs when --start, --end or --step is given. Times are Unix \
            seconds or RFC 3339 (--at, --from and --to are the older names). Without times, an instant query runs \
            at the last sample and a range query spans the data. An expression may start with '-' without '--'. A \
            metric name that no source has gets a warning. --format json prints exactly what Prometheus's HTTP API \
            returns.
            """,
        subcommands: [QueryAuto.self, QueryInstant.self, QueryRange.self],
        defaultSubcommand: QueryAuto.self)
}

/// What every form of `tracelab query` takes.
struct QueryOptions: ParsableArguments {
    @Option(name: [.customLong("time"), .customLong("at")], help: "Instant query time.")
    var time: TimeArgument?

    @Option(name: [.customLong("start"), .customLong("from")], help: "Range query start.")
    var start: TimeArgument?

    @Option(name: [.customLong("end"), .customLong("to")], help: "Range query end.")
    var end: TimeArgument?

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

    @Option(name: .customLong("prometheus-version"), help: "The Prometheus whose semantics apply: 3 (default) or 2 (Debian's 2.42: closed windows, rate clamped to the zero point first).")
    var prometheusVersion = 3

    @OptionGroup var strictness: StrictOption

    /// The expression, then metric files and captures. Taken as they come, so an expression such as `-up` needs no `--`.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The PromQL expression, then metric files and captures.", valueName: "expression-and-sources"))
    var words: [String] = []

    func validate() throws {
        if lookback.milliseconds <= 0 { throw ValidationError("--lookback must be a positive duration") }
        if prometheusVersion != 2 && prometheusVersion != 3 { throw ValidationError("--prometheus-version must be 2 or 3") }
        guard let expression = words.first else { throw ValidationError("give a PromQL expression, then metric files or captures") }
        // A word like --tme after the expression is a mistyped flag, not a file.
        if let flag = words.dropFirst().first(where: { $0.hasPrefix("--") }) ?? (expression.hasPrefix("--") ? expression : nil) {
            let known = ["--time", "--at", "--start", "--from", "--end", "--to", "--step", "--format", "--lookback", "--max-samples", "--db", "--prometheus-version", "--strict"]
            throw ValidationError("unknown option '\(flag)'\(Suggestion.hint(for: flag, among: known))")
        }
    }

    enum Mode { case automatic, instant, range }

    func run(_ mode: Mode) throws {
        let expression = words.first ?? ""
        let sources = Array(words.dropFirst())
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
        engine.semantics = prometheusVersion == 2 ? .prometheus2 : .prometheus3
        let span = store.timeRange ?? 0...0
        let isRange = mode == .range || (mode == .automatic && (start != nil || end != nil || step != nil))
        let from = start?.milliseconds ?? span.lowerBound, to = end?.milliseconds ?? span.upperBound
        let stepMilliseconds = step?.milliseconds ?? 15_000, instant = time?.milliseconds ?? span.upperBound
        let result: Result<PromValue, PromQLError> = Result { () throws(PromQLError) -> PromValue in
            let expr = try PromQLParser.parse(expression)
            let known = Set(store.metricNames)
            for name in Set(expr.selectors.compactMap(\.name)).sorted() where !known.contains(name) {
                printError("tracelab: warning: no series named '\(name)' in the sources\(Suggestion.hint(for: name, among: store.metricNames))")
            }
            return isRange ? .matrix(try engine.range(expr, start: from, end: to, step: stepMilliseconds)) : try engine.instant(expr, at: instant)
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

/// `tracelab query EXPR FILES`: instant or range from the flags given.
struct QueryAuto: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Instant query, or range query when --start, --end or --step is given.")
    @OptionGroup var options: QueryOptions
    func run() throws { try options.run(.automatic) }
}

/// `tracelab query instant`, as `promtool query instant`.
struct QueryInstant: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "instant", abstract: "Instant query at --time (default: the last sample).")
    @OptionGroup var options: QueryOptions
    func validate() throws {
        if options.start != nil || options.end != nil || options.step != nil { throw ValidationError("an instant query takes --time, not --start, --end or --step") }
    }
    func run() throws { try options.run(.instant) }
}

/// `tracelab query range`, as `promtool query range`.
struct QueryRange: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "range", abstract: "Range query from --start to --end every --step (default: the data's span, 15s).")
    @OptionGroup var options: QueryOptions
    func validate() throws {
        if options.time != nil { throw ValidationError("a range query takes --start, --end and --step, not --time") }
    }
    func run() throws { try options.run(.range) }
}
