import FalcoRules
import Foundation
import Replay
import TraceModel
import TraceReaders

/// scap filtering and replay: the recorded syscall traces, repeated until the capture holds at least `events`
/// scap events, written as one scap file by `ScapWriter`; the same condition filtered by
/// `sysdig -r FILE -p %evt.num COND` and by `tracelab filter -p %evt.num COND FILE` (both as processes, runs
/// alternating, median reported); then the capture replayed through rules.
public struct ScapBenchmark {
    /// scap events the capture must hold at least (each syscall is an enter and an exit event).
    public var events = 1_000_000
    public var condition = "evt.type in (open, openat) and fd.name startswith /etc"
    public var repeats = 3
    /// Where the capture is written.
    public var work = "/tmp/tracelab-bench-scap"
    /// The recordings repeated into the capture.
    public var recordings = "traces/syscalls"
    /// A capture to enlarge instead (a public one, as written by libscap): its event blocks are repeated until it
    /// holds at least `events` events (`ScapEnlarger`).
    public var capture: String?

    public init() {}

    /// `tracelab` is the executable whose `filter` is timed; `rules` (nil: the replay is skipped, with `whyNoRules`).
    public func run(tracelab: String, rules: (loader: RulesLoader, names: [String])?, whyNoRules: String, output: BenchmarkOutput) throws {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let file = work + "/bench.scap"
        let total: Int
        if let source = capture {
            let once = try ScapEnlarger.enlarge(source, times: 1, to: file)
            let times = (events + once - 1) / once
            let start = monotonicSeconds()
            total = try ScapEnlarger.enlarge(source, times: times, to: file)
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            output(String(format: "capture: %@ (%d events) with its event blocks repeated %d times: %d events, %.1f MB, written in %.2f s",
                          source, once, times, total, Double(size) / 1e6, monotonicSeconds() - start))
        } else {
            total = try writeRecordings(to: file, output: output)
        }
        try measure(file, events: total, tracelab: tracelab, rules: rules, whyNoRules: whyNoRules, output: output)
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
        let rounds = max(1, (events + 2 * recorded.count - 1) / (2 * recorded.count) + 1)
        let start = monotonicSeconds()
        let summary = try ScapWriter().write(opening: { RepeatedEvents(recorded, rounds: rounds) }, to: capture)
        let writeSeconds = monotonicSeconds() - start
        let size = (try? FileManager.default.attributesOfItem(atPath: capture)[.size] as? Int) ?? 0
        output(String(format: "capture: %d scap events (%d generic) from %d recorded syscalls × %d rounds, %.1f MB, written in %.2f s (%.0f events/s)",
                      summary.events, summary.genericEvents, recorded.count, rounds, Double(size) / 1e6, writeSeconds, Double(summary.events) / writeSeconds))
        return summary.events
    }

    /// Filters the capture with both tools (alternating, median), then replays it through the rules.
    private func measure(_ capture: String, events total: Int, tracelab: String, rules: (loader: RulesLoader, names: [String])?, whyNoRules: String,
                         output: BenchmarkOutput) throws {

        let sysdig = "/usr/bin/sysdig"
        let hasSysdig = FileManager.default.isExecutableFile(atPath: sysdig)
        var ours: [Double] = [], theirs: [Double] = []
        let selectedOurs = work + "/tracelab.out", selectedTheirs = work + "/sysdig.out"
        for _ in 0..<max(1, repeats) {
            ours.append(try timedRun(tracelab, ["filter", "-p", "%evt.num", condition, capture], output: selectedOurs, package: "tracelab"))
            if hasSysdig { theirs.append(try timedRun(sysdig, ["-r", capture, "-p", "%evt.num", condition], output: selectedTheirs, package: "sysdig")) }
        }
        let oursText = (try? String(contentsOfFile: selectedOurs, encoding: .utf8)) ?? ""
        output(String(format: "filter '%@': tracelab %.0f events/s (median of %d runs, %.2f s, %d events selected)",
                      condition, Double(total) / median(ours), ours.count, median(ours), oursText.split(separator: "\n").count))
        if hasSysdig {
            let theirsText = (try? String(contentsOfFile: selectedTheirs, encoding: .utf8)) ?? ""
            output(String(format: "anchor: sysdig -r FILE -p %%evt.num COND: %.0f events/s (median %.2f s, %d events selected; same selection: %@)",
                          Double(total) / median(theirs), median(theirs), theirsText.split(separator: "\n").count,
                          oursText == theirsText ? "yes" : "no"))
        } else {
            output("anchor: sysdig is not installed (apt-get install sysdig)")
        }

        guard let rules else {
            output("replay: skipped (\(whyNoRules))")
            return
        }
        let engine = RuleEngine(loader: rules.loader)
        let start = monotonicSeconds()
        var alerts = 0
        let replayed = try TraceReplay.run(try ScapReader(path: capture), through: engine) { _, _ in alerts += 1 }
        let replaySeconds = monotonicSeconds() - start
        output(String(format: "replay through %d rules of %@: %.0f events/s (%d of %d events read; only those of types the rules match are built; %d alerts, %.2f s)",
                      engine.rules.count, rules.names.joined(separator: ", "), Double(total) / replaySeconds, replayed, total, alerts, replaySeconds))
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
