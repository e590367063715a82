import Foundation
import Packets
import Replay
import Store
import TraceModel

/// Packets/s through decoding, the flow table and every detector, on the recorded captures merged (by
/// `mergecap -a`) into one file of at least `packets` packets, beside `tcpdump -nr FILE -w /dev/null`;
/// then the same file ingested into a fresh SQLite store (packets, flows, detections, metric series).
public struct PcapBenchmark {
    public var packets = 500_000
    public var repeats = 5
    /// Where the merged capture is written.
    public var work = "/tmp/tracelab-bench-pcap"
    /// The recordings merged into the capture.
    public var recordings = "traces/pcaps"

    public init() {}

    public func run(output: BenchmarkOutput) throws {
        let captures = expandDirectories([recordings], suffixes: [".pcap"])
        var perRound = 0
        for capture in captures { perRound += try CaptureAnalysis.run(path: capture, keepFlows: false).packets }
        guard perRound > 0 else { throw BenchmarkError("no packets in \(recordings)") }
        let rounds = max(1, (packets + perRound - 1) / perRound)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let merged = work + "/bench.pcap"
        // mergecap -a concatenates in the order given; -F pcap keeps the classic format.
        try timedRun("/usr/bin/mergecap", ["-F", "pcap", "-a", "-w", merged] + Array(repeating: captures, count: rounds).flatMap { $0 }, package: "wireshark-common")
        var analysis: CaptureAnalysis?
        var ours: [Double] = []
        var theirs: [Double] = []
        // Alternate the two so both see the same machine state; the file is in the page cache for both.
        for _ in 0..<max(1, repeats) {
            let start = monotonicSeconds()
            analysis = try CaptureAnalysis.run(path: merged, keepFlows: false)
            ours.append(monotonicSeconds() - start)
            theirs.append(try timedRun("/usr/bin/tcpdump", ["-nr", merged, "-w", "/dev/null"], package: "tcpdump"))
        }
        guard let analysis else { return }
        output(String(format: "tracelab: %.0f packets/s (%d packets, %d detections; median of %d runs, %.3f s)",
                      Double(analysis.packets) / median(ours), analysis.packets, analysis.detections.count, ours.count, median(ours)))
        output(String(format: "anchor: tcpdump -nr FILE -w /dev/null: %.0f packets/s (median %.3f s)", Double(analysis.packets) / median(theirs), median(theirs)))
        let database = work + "/bench.sqlite"
        removeDatabase(database)
        let store = try TraceStore(path: database)
        let start = monotonicSeconds()
        let outcome = try CaptureIngest.run(merged, into: store)
        let ingest = monotonicSeconds() - start
        output(String(format: "ingest into SQLite: %.0f packets/s (%d packets, %d flows, %d series, %d samples, %.3f s)",
                      Double(outcome.packets) / ingest, outcome.packets, outcome.flows, outcome.series, outcome.samples, ingest))
    }
}
