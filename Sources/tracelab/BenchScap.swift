import ArgumentParser
import FalcoRules
import Replay
import Foundation
import TraceModel
import TraceReaders

/// `tracelab bench scap`: the recorded syscall traces, repeated until the capture holds at least `--events`
/// scap events, written as one scap file by `ScapWriter`; then the same condition filtered by
/// `sysdig -r FILE -p %evt.num COND` and by `tracelab filter -p %evt.num COND FILE` (both as processes, runs
/// alternating, median reported), and the capture replayed through the upstream stable rules.
struct BenchScap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scap", abstract: "Measure scap filtering (events/s) against sysdig on a capture of 1,000,000+ events, and rule replay.")

    @Option(help: "scap events the capture must hold at least (each syscall is an enter and an exit event).")
    var events = 1_000_000

    @Option(help: "The condition both tools filter with.")
    var condition = "evt.type in (open, openat) and fd.name startswith /etc"

    @Option(help: "Rules to replay the capture through (default: ../shared/upstream/falco_rules.yaml).")
    var rules: [String] = []

    @Option(help: "Timed runs of each side; the median is reported.")
    var repeats = 3

    @Option(help: "Where the capture is written.")
    var work = "/tmp/tracelab-bench-scap"

    func run() throws {
        let traces = expandDirectories(["traces/syscalls"], suffixes: [".strace"])
        var recorded: [Event] = []
        for trace in traces {
            let (stream, _) = try TraceFiles.open(trace)
            while let event = try stream.next() { recorded.append(event) }
        }
        guard !recorded.isEmpty else { throw ValidationError("no recordings in traces/syscalls") }
        // Each syscall becomes two scap events (procexit and signaldeliver one): repeat the recordings enough.
        let rounds = max(1, (events + 2 * recorded.count - 1) / (2 * recorded.count) + 1)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let capture = work + "/bench.scap"
        var start = monotonicSeconds()
        let summary = try ScapWriter().write(opening: { RepeatedEvents(recorded, rounds: rounds) }, to: capture)
        let writeSeconds = monotonicSeconds() - start
        let size = (try? FileManager.default.attributesOfItem(atPath: capture)[.size] as? Int) ?? 0
        print(String(format: "capture: %d scap events (%d generic) from %d recorded syscalls × %d rounds, %.1f MB, written in %.2f s (%.0f events/s)",
                     summary.events, summary.genericEvents, recorded.count, rounds, Double(size) / 1e6, writeSeconds, Double(summary.events) / writeSeconds))

        let tracelab = CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
            : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]
        var ours: [Double] = [], theirs: [Double] = []
        var selected = (ours: "", theirs: "")
        for _ in 0..<max(1, repeats) {
            start = monotonicSeconds()
            selected.ours = try Subprocess.run(tracelab, ["filter", "-p", "%evt.num", condition, capture]).output
            ours.append(monotonicSeconds() - start)
            if let sysdig = ["/usr/bin/sysdig"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
                start = monotonicSeconds()
                selected.theirs = try Subprocess.run(sysdig, ["-r", capture, "-p", "%evt.num", condition]).output
                theirs.append(monotonicSeconds() - start)
            }
        }
        let median = { (times: [Double]) in times.sorted()[times.count / 2] }
        let matches = selected.ours.split(separator: "\n").count
        print(String(format: "filter '%@': tracelab %.0f events/s (median of %d runs, %.2f s, %d events selected)",
                     condition, Double(summary.events) / median(ours), ours.count, median(ours), matches))
        if theirs.isEmpty {
            print("anchor: sysdig is not installed (apt-get install sysdig)")
        } else {
            print(String(format: "anchor: sysdig -r FILE -p %%evt.num COND: %.0f events/s (median %.2f s, %d events selected; same selection: %@)",
                         Double(summary.events) / median(theirs), median(theirs), selected.theirs.split(separator: "\n").count,
                         selected.ours == selected.theirs ? "yes" : "no"))
        }

        let rulesFiles = rules.isEmpty ? ["../shared/upstream/falco_rules.yaml"] : rules
        guard rulesFiles.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else {
            print("replay: skipped (\(rulesFiles.joined(separator: ", ")) absent; give --rules)")
            return
        }
        let engine = RuleEngine(loader: try loadRules(rulesFiles))
        start = monotonicSeconds()
        var alerts = 0
        let replayed = try TraceReplay.run(try ScapReader(path: capture), through: engine) { _, _ in alerts += 1 }
        let replaySeconds = monotonicSeconds() - start
        print(String(format: "replay through %d rules of %@: %.0f events/s (%d of %d events read; only those of types the rules match are built; %d alerts, %.2f s)",
                     engine.rules.count, rulesFiles.joined(separator: ", "), Double(summary.events) / replaySeconds, replayed, summary.events, alerts, replaySeconds))
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

    static func copy(_ event: Event, timestamp: UInt64, number: UInt64) -> Event {
        Event(number: number, timestamp: timestamp, type: event.type, direction: event.direction, cpu: event.cpu, params: event.params,
              thread: event.thread, fd: event.fd, hostname: event.hostname, fdNumber: event.fdNumber, threadID: event.threadID)
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
            if wants?(event.type) ?? true { return Self.copy(event, timestamp: event.timestamp + UInt64(round) * span, number: number) }
        }
    }
}
