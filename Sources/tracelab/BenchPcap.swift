import ArgumentParser
import Foundation
import Packets

/// `tracelab bench pcap`: packets/s through decoding, the flow table and every detector, on the recorded
/// captures merged into one file of at least `--packets` packets, beside `tcpdump -nr FILE -w /dev/null`.
struct BenchPcap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pcap", abstract: "Measure packet analysis (packets/s) against tcpdump reading the same file.")

    @Option(help: "Packets the merged capture must hold at least.")
    var packets = 500_000

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
        var start = monotonicSeconds()
        let analysis = try CaptureAnalysis.run(path: merged, keepFlows: false)
        let seconds = monotonicSeconds() - start
        print(String(format: "tracelab: %.0f packets/s (%d packets, %d detections, %.3f s)", Double(analysis.packets) / seconds, analysis.packets, analysis.detections.count, seconds))
        start = monotonicSeconds()
        try Self.launch("/usr/bin/tcpdump", ["-nr", merged, "-w", "/dev/null"])
        let tcpdump = monotonicSeconds() - start
        print(String(format: "anchor: tcpdump -nr FILE -w /dev/null: %.0f packets/s (%.3f s)", Double(analysis.packets) / tcpdump, tcpdump))
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
