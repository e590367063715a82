import ArgumentParser
import TraceModel
import Foundation
import Packets
import Store

/// `tracelab bench pcap`: packets/s through decoding, the flow table and every detector, on the recorded
/// captures merged into one file of at least `--packets` packets, beside `tcpdump -nr FILE -w /dev/null`;
/// then the same file ingested into a fresh SQLite store (packets, flows, detections, metric series).
struct BenchPcap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pcap", abstract: "Measure packet analysis (packets/s) against tcpdump reading the same file.")

    @Option(help: "Packets the merged capture must hold at least.")
    var packets = 500_000

    @Option(help: "Timed runs of each side; the median is reported.")
    var repeats = 5

    @Option(help: "Where the merged capture is written.")
    var work = "/tmp/tracelab-bench-pcap"

    func run() throws {
        let captures = expandDirectories(["traces/pcaps"], suffixes: [".pcap"])
        var perRound = 0
        for capture in captures { perRound += try CaptureAnalysis.run(path: capture, keepFlows: false).packets }
        let rounds = max(1, (packets + perRound - 1) / max(1, perRound))
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let merged = work + "/bench.pcap"
        // mergecap -a concatenates in the order given; -F pcap keeps the classic format.
        try Self.launch("/usr/bin/mergecap", ["-F", "pcap", "-a", "-w", merged] + Array(repeating: captures, count: rounds).flatMap { $0 })
        var analysis: CaptureAnalysis?
        var ours: [Double] = []
        var theirs: [Double] = []
        // Alternate the two so both see the same machine state; the file is in the page cache for both.
        for _ in 0..<max(1, repeats) {
            var start = monotonicSeconds()
            analysis = try CaptureAnalysis.run(path: merged, keepFlows: false)
            ours.append(monotonicSeconds() - start)
            start = monotonicSeconds()
            try Self.launch("/usr/bin/tcpdump", ["-nr", merged, "-w", "/dev/null"])
            theirs.append(monotonicSeconds() - start)
        }
        guard let analysis else { return }
        let median = { (times: [Double]) in times.sorted()[times.count / 2] }
        print(String(format: "tracelab: %.0f packets/s (%d packets, %d detections; median of %d runs, %.3f s)",
                     Double(analysis.packets) / median(ours), analysis.packets, analysis.detections.count, ours.count, median(ours)))
        print(String(format: "anchor: tcpdump -nr FILE -w /dev/null: %.0f packets/s (median %.3f s)", Double(analysis.packets) / median(theirs), median(theirs)))
        var start = monotonicSeconds()
        let database = work + "/bench.sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        let store = try TraceStore(path: database)
        start = monotonicSeconds()
        let outcome = try store.ingestCapture(path: merged)
        let ingest = monotonicSeconds() - start
        print(String(format: "ingest into SQLite: %.0f packets/s (%d packets, %d flows, %d series, %d samples, %.3f s)",
                     Double(outcome.packets) / ingest, outcome.packets, outcome.flows, outcome.series, outcome.samples, ingest))
    }

    static func launch(_ tool: String, _ arguments: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: tool) else { throw ValidationError("\(tool) is needed (apt-get install tshark tcpdump)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 { throw ValidationError("\(tool) failed with status \(process.terminationStatus)") }
    }
}
