import Foundation
import Packets
import Replay
import Store
import TraceModel

/// Packet analysis against tcpdump. Each mix (by default the recorded scans, floods and benign traffic merged,
/// and the recorded random-source SYN flood, whose every packet is a flow of its own) is enlarged by
/// `PcapEnlarger` to at least `packets` packets (or `times` rounds), each round's IPv4 addresses changed so its
/// flows are new. `tracelab detect FILE` (decoding, the flow table and every detector) and
/// `tcpdump -nr FILE -w /dev/null` run as processes, alternating; the median wall time, median CPU time and
/// largest peak RSS of each are reported with the ratio of rates. Then the mix is ingested into a fresh SQLite
/// store (packets, flows, detections, metric series).
public struct PcapBenchmark {
    public var packets = 1_000_000
    /// Rounds each mix is repeated (nil: as many as reach `packets`).
    public var times: Int?
    public var repeats = 5
    /// Where the enlarged captures are written.
    public var work = "/tmp/tracelab-bench-pcap"
    /// Captures measured one by one; empty: the default mixes of `recordings`.
    public var captures: [String] = []
    /// The recordings the default mixes come from.
    public var recordings = "traces/pcaps"

    public init() {}

    /// The mixes measured: each given capture alone, or the two default mixes.
    func mixes() -> [(name: String, files: [String])] {
        if !captures.isEmpty { return captures.map { (($0 as NSString).lastPathComponent, [$0]) } }
        let all = expandDirectories([recordings], suffixes: [".pcap"])
        let flood = all.filter { $0.hasSuffix("/hping3-rand-source-flood.pcap") }
        return [("scan mix (\(all.count) recordings merged)", all)] + (flood.isEmpty ? [] : [("flood mix (random-source SYN flood, one flow per packet)", flood)])
    }

    public func run(tracelab: String, output: BenchmarkOutput) throws {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        var summary: [String] = []
        for (index, mix) in mixes().enumerated() {
            let file = work + "/bench-\(index).pcap"
            let written = try PcapEnlarger.enlarge(mix.files, distinctFlows: true, to: file) { once in times ?? (packets + once - 1) / once }
            let total = written.total
            output("\(mix.name): \(written.perRound) packets × \(written.rounds) rounds = \(total) packets (each round's IPv4 addresses changed: its flows are new)")
            var ours: [RunCost] = [], theirs: [RunCost] = []
            // Alternate the two so both see the same machine state; the file is in the page cache for both.
            for _ in 0..<max(1, repeats) {
                ours.append(try measuredRun(tracelab, ["detect", file], package: "tracelab"))
                theirs.append(try measuredRun("/usr/bin/tcpdump", ["-nr", file, "-w", "/dev/null"], package: "tcpdump"))
            }
            let analysis = try CaptureAnalysis.run(path: file, keepFlows: false)
            let oursTime = median(ours.map(\.seconds)), theirsTime = median(theirs.map(\.seconds))
            let oursRSS = ours.map(\.peakKiB).max() ?? 0, theirsRSS = theirs.map(\.peakKiB).max() ?? 0
            output(String(format: "  tracelab detect: %.0f packets/s (median of %d: %.3f s, CPU %.3f s, peak RSS %@; %d flows, %d detections)",
                          Double(total) / oursTime, ours.count, oursTime, median(ours.map(\.cpuSeconds)), ScapBenchmark.megabytes(Double(oursRSS) / 1024),
                          analysis.flowCount, analysis.detections.count))
            output(String(format: "  tcpdump -nr FILE -w /dev/null: %.0f packets/s (median %.3f s, CPU %.3f s, peak RSS %@); rate ratio %.2f×",
                          Double(total) / theirsTime, theirsTime, median(theirs.map(\.cpuSeconds)), ScapBenchmark.megabytes(Double(theirsRSS) / 1024),
                          theirsTime / oursTime))
            let database = work + "/bench.sqlite"
            removeDatabase(database)
            let store = try TraceStore(path: database)
            let start = monotonicSeconds()
            let outcome = try CaptureIngest.run(file, into: store)
            let ingest = monotonicSeconds() - start
            output(String(format: "  ingest into SQLite: %.0f packets/s (%d packets, %d flows, %d series, %d samples, %.3f s)",
                          Double(outcome.packets) / ingest, outcome.packets, outcome.flows, outcome.series, outcome.samples, ingest))
            summary.append(String(format: "  %@: %.2f× tcpdump's rate", mix.name, theirsTime / oursTime))
        }
        output("summary (rate ratio: tcpdump's median time / TraceLab's):")
        summary.forEach(output)
    }
}
