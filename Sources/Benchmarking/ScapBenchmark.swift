import FalcoRules
import Foundation
import Replay
import TraceModel
import TraceReaders

/// scap filtering and replay against sysdig. Each capture (a public one, as libscap wrote it, its event blocks
/// repeated by `ScapEnlarger`; or, when none is given, the shipped recordings written by `ScapWriter`) holds at
/// least `events` events or is enlarged `times` times. Each condition is filtered by `sysdig -r FILE -p %evt.num
/// COND` and `tracelab filter -p %evt.num COND FILE`, as processes, runs alternating; the median wall time, the
/// median CPU time and the largest peak RSS of each side are reported with the ratio of rates. Then the capture is
/// replayed through the rules in this process (median of the runs).
public struct ScapBenchmark {
    /// scap events each capture must hold at least (each syscall is an enter and an exit event).
    public var events = 1_000_000
    /// How many times each capture's event blocks are repeated (nil: as many times as reach `events`).
    public var times: Int?
    /// The conditions both tools filter with: a selective one (few events printed) and a broad one (most).
    public var conditions = ["evt.type in (open, openat) and fd.name startswith /etc", "proc.name exists"]
    public var repeats = 5
    /// Where the captures are written.
    public var work = "/tmp/tracelab-bench-scap"
    /// The recordings repeated into a capture when no capture is given.
    public var recordings = "traces/syscalls"
    /// Captures to enlarge (public ones, as written by libscap).
    public var captures: [String] = []

    public init() {}

    /// One capture × condition, measured on both sides.
    struct Row {
        var capture: String
        var condition: String
        var events: Int
        var ours: [RunCost]
        var theirs: [RunCost]
        var sameSelection: Bool?
        var lines: Int
    }

    /// `tracelab` is the executable whose `filter` is timed; `rules` (nil: the replay is skipped, with `whyNoRules`).
    public func run(tracelab: String, rules: (loader: RulesLoader, names: [String])?, whyNoRules: String, output: BenchmarkOutput) throws {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let file = work + "/bench.scap"
        let sysdig = "/usr/bin/sysdig"
        let hasSysdig = FileManager.default.isExecutableFile(atPath: sysdig)
        if !hasSysdig { output("anchor: sysdig is not installed (apt-get install sysdig): TraceLab's side only") }
        var rows: [Row] = []
        var replays: [(capture: String, rate: Double)] = []
        for source in captures.isEmpty ? [nil] : captures.map(Optional.some) {
            let total: Int
            if let source {
                let written = try ScapEnlarger.enlarge(source, to: file) { once in times ?? (events + once - 1) / once }
                total = written.total
                output(String(format: "capture: %@ (%d events) with its event blocks repeated %d times: %d events, %.1f MB",
                              source, written.perRound, written.rounds, total, Double(fileSize(file)) / 1e6))
            } else {
                total = try writeRecordings(to: file, output: output)
            }
            let name = source.map { ($0 as NSString).lastPathComponent } ?? "recordings"
            for condition in conditions {
                let row = try filter(file, name: name, events: total, condition: condition, tracelab: tracelab, sysdig: hasSysdig ? sysdig : nil)
                output(Self.describe(row))
                rows.append(row)
            }
            if let rules {
                let rate = try replay(file, events: total, rules: rules, output: output)
                replays.append((name, rate))
            } else {
                output("replay: skipped (\(whyNoRules))")
            }
        }
        if rows.count > 1 { summarize(rows, replays: replays, output: output) }
    }

    /// The shipped recordings repeated into one capture by TraceLab's scap writer; returns its events.
    private func writeRecordings(to capture: String, output: BenchmarkOutput) throws -> Int {
        var recorded: [Event] = []
        for trace in expandDirectories([recordings], suffixes: [".strace"]) {
            let (stream, _) = try TraceFiles.open(trace)
            while let event = try stream.next() { recorded.append(event) }
        }
        guard !recorded.isEmpty else { throw BenchmarkError("no recordings in \(recordings)") }
        // Each syscall becomes two scap events (procexit and signaldeliver one): repeat the recordings enough.
        let rounds = times ?? max(1, (events + 2 * recorded.count - 1) / (2 * recorded.count) + 1)
        let summary = try ScapWriter().write(opening: { RepeatedEvents(recorded, rounds: rounds) }, to: capture)
        output(String(format: "capture: %d scap events (%d generic) from %d recorded syscalls × %d rounds, written by TraceLab, %.1f MB",
                      summary.events, summary.genericEvents, recorded.count, rounds, Double(fileSize(capture)) / 1e6))
        return summary.events
    }

    private func fileSize(_ path: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }

    /// Filters the capture with both tools, alternating.
    private func filter(_ capture: String, name: String, events: Int, condition: String, tracelab: String, sysdig: String?) throws -> Row {
        let selectedOurs = work + "/tracelab.out", selectedTheirs = work + "/sysdig.out"
        var row = Row(capture: name, condition: condition, events: events, ours: [], theirs: [], lines: 0)
        for _ in 0..<max(1, repeats) {
            row.ours.append(try measuredRun(tracelab, ["filter", "-p", "%evt.num", condition, capture], output: selectedOurs, package: "tracelab"))
            if let sysdig { row.theirs.append(try measuredRun(sysdig, ["-r", capture, "-p", "%evt.num", condition], output: selectedTheirs, package: "sysdig")) }
        }
        let oursText = try Data(contentsOf: URL(fileURLWithPath: selectedOurs))
        row.lines = oursText.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
        if sysdig != nil { row.sameSelection = oursText == (try Data(contentsOf: URL(fileURLWithPath: selectedTheirs))) }
        return row
    }

    static func describe(_ row: Row) -> String {
        let ours = median(row.ours.map(\.seconds)), oursCPU = median(row.ours.map(\.cpuSeconds))
        let oursRSS = Double(row.ours.map(\.peakKiB).max() ?? 0) / 1024
        var text = String(format: "  filter '%@': tracelab %.0f events/s (median of %d: %.3f s, CPU %.3f s, peak RSS %@, %d lines)",
                          row.condition, Double(row.events) / ours, row.ours.count, ours, oursCPU, megabytes(oursRSS), row.lines)
        guard !row.theirs.isEmpty else { return text }
        let theirs = median(row.theirs.map(\.seconds)), theirsCPU = median(row.theirs.map(\.cpuSeconds))
        let theirsRSS = Double(row.theirs.map(\.peakKiB).max() ?? 0) / 1024
        text += String(format: "\n    sysdig -r FILE -p %%evt.num COND: %.0f events/s (median %.3f s, CPU %.3f s, peak RSS %@); rate ratio %.2f×, RSS ratio %@; same output: %@",
                       Double(row.events) / theirs, theirs, theirsCPU, megabytes(theirsRSS), theirs / ours,
                       theirsRSS > 0 ? String(format: "%.2f×", oursRSS / theirsRSS) : "-", row.sameSelection == true ? "yes" : "NO")
        return text
    }

    /// A peak RSS in MB; unknown without GNU time.
    static func megabytes(_ value: Double) -> String { value > 0 ? String(format: "%.0f MB", value) : "unknown (apt-get install time)" }

    /// Replays the capture through the rules `repeats` times; returns the median rate.
    private func replay(_ capture: String, events total: Int, rules: (loader: RulesLoader, names: [String]), output: BenchmarkOutput) throws -> Double {
        let engine = RuleEngine(loader: rules.loader)
        var seconds: [Double] = []
        var alerts = 0, replayed = 0
        for _ in 0..<max(1, repeats) {
            alerts = 0
            let start = monotonicSeconds()
            replayed = try TraceReplay.run(try ScapReader(path: capture), through: engine) { _, _ in alerts += 1 }
            seconds.append(monotonicSeconds() - start)
        }
        let rate = Double(total) / median(seconds)
        output(String(format: "  replay through %d rules of %@: %.0f events/s (median of %d: %.3f s; %d of %d events built, the others only move the tables; %d alerts)",
                      engine.rules.count, rules.names.joined(separator: ", "), rate, seconds.count, median(seconds), replayed, total, alerts))
        return rate
    }

    /// One line per capture and condition, then the lowest ratios.
    private func summarize(_ rows: [Row], replays: [(capture: String, rate: Double)], output: BenchmarkOutput) {
        func columns(_ cells: [String]) -> String {
            let widths = [42, 10, 9, 14, 12, 11, 10, 12]
            return "  " + cells.enumerated().map { index, cell in
                index < widths.count ? cell.padding(toLength: max(widths[index], cell.count + 1), withPad: " ", startingAt: 0) : cell
            }.joined()
        }
        output("summary (rate ratio: sysdig's median time / TraceLab's; RSS ratio: TraceLab's peak / sysdig's):")
        output(columns(["capture", "condition", "events", "tracelab ev/s", "sysdig ev/s", "rate ratio", "RSS ratio", "replay ev/s", "same output"]))
        for row in rows {
            let ours = median(row.ours.map(\.seconds)), theirs = median(row.theirs.map(\.seconds))
            let oursRSS = Double(row.ours.map(\.peakKiB).max() ?? 0), theirsRSS = Double(row.theirs.map(\.peakKiB).max() ?? 0)
            let kind = row.condition == conditions.first ? "selective" : row.condition == conditions.last ? "broad" : "other"
            let replay = replays.first { $0.capture == row.capture }.map { String(format: "%.0f", $0.rate) } ?? "-"
            let measured = !row.theirs.isEmpty
            output(columns([row.capture, kind, String(row.events), String(format: "%.0f", Double(row.events) / ours),
                            measured ? String(format: "%.0f", Double(row.events) / theirs) : "-",
                            measured ? String(format: "%.2f×", theirs / ours) : "-",
                            measured && theirsRSS > 0 ? String(format: "%.2f×", oursRSS / theirsRSS) : "-", replay,
                            row.sameSelection.map { $0 ? "yes" : "NO" } ?? "-"]))
        }
        let ratios = rows.filter { !$0.theirs.isEmpty }.map { median($0.theirs.map(\.seconds)) / median($0.ours.map(\.seconds)) }
        if let lowest = ratios.min() { output(String(format: "lowest rate ratio: %.2f× of sysdig's", lowest)) }
        if let slowest = replays.map(\.rate).min() { output(String(format: "slowest replay: %.0f events/s", slowest)) }
    }
}

/// Recorded events played `rounds` times, each round later in time by the recordings' span (sysdig does not
/// need time order; each round keeps the recordings' own).
final class RepeatedEvents: EventStream, @unchecked Sendable {
    private let events: [Event]
    private let rounds: Int
    private let span: UInt64
    private var round = 0, index = 0
    private var number: UInt64 = 0
    let traceHeader: TraceHeader? = TraceHeader(hostname: "minikube", source: "tracelab bench scap")
    var bytesRead: UInt64 { 0 }
    var warnings: [TraceLabError] { [] }
    var wants: ((String) -> Bool)?
    private(set) var eventsRead = 0

    init(_ events: [Event], rounds: Int) {
        self.events = events
        self.rounds = rounds
        let times = events.map(\.timestamp)
        span = (times.max() ?? 0) - (times.min() ?? 0) + 1_000
    }

    func next() throws(TraceLabError) -> Event? {
        while true {
            if index == events.count {
                round += 1
                index = 0
            }
            guard round < rounds, index < events.count else { return nil }
            let event = events[index]
            index += 1
            number += 1
            eventsRead += 1
            if wants?(event.type) ?? true {
                return Event(number: number, timestamp: event.timestamp + UInt64(round) * span, type: event.type, direction: event.direction,
                             cpu: event.cpu, params: event.params, thread: event.thread, fd: event.fd, hostname: event.hostname,
                             fdNumber: event.fdNumber, threadID: event.threadID)
            }
        }
    }
}
