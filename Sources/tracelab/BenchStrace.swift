import ArgumentParser
import Foundation
import TraceModel
import TraceReaders

/// `tracelab bench strace`: strace lines imported per second, beside `wc -l` and `grep -c` over the
/// same file (the I/O floor).
struct BenchStrace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strace",
        abstract: "Measure the strace importer (lines/s) against wc -l and grep -c on the same file.")

    @Option(help: "strace logs to concatenate into the benchmark input (default: traces/syscalls/*.strace).")
    var logs: [String] = []

    @Option(help: "How many times the logs are repeated in the input.")
    var repeats: Int = 20

    @Option(help: "Where the concatenated input is written.")
    var work: String = "/tmp/tracelab-bench"

    func run() throws {
        let inputs = logs.isEmpty ? expandDirectories(["traces/syscalls"], suffixes: [".strace"]) : logs
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let path = work + "/bench.strace"
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let output = FileHandle(forWritingAtPath: path) else { throw ValidationError("cannot write \(path)") }
        for _ in 0..<repeats { for input in inputs { output.write(try Data(contentsOf: URL(fileURLWithPath: input))) } }
        output.closeFile()

        var start = monotonicSeconds()
        let reader = try StraceReader(path: path, sidecar: StraceSidecar())
        var events = 0
        while try reader.next() != nil { events += 1 }
        let importSeconds = monotonicSeconds() - start
        let lines = try countLines(path)
        print(String(format: "strace import: %.0f lines/s (%d lines, %d events, %.2f s)", Double(lines) / importSeconds, lines, events, importSeconds))
        for (tool, arguments) in [("/usr/bin/wc", ["-l", path]), ("/bin/grep", ["-c", "(", path])] {
            start = monotonicSeconds()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            let seconds = monotonicSeconds() - start
            print(String(format: "anchor: %@ %@: %.0f lines/s (%.3f s)", tool, arguments.dropLast().joined(separator: " "), Double(lines) / seconds, seconds))
        }
    }

    private func countLines(_ path: String) throws -> Int {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
}
