import Foundation
import TraceModel
import TraceReaders

/// strace lines imported per second, beside `wc -l` and `grep -c` over the same file (the I/O floor).
public struct StraceBenchmark {
    /// strace logs concatenated into the input (empty: the recordings in traces/syscalls).
    public var logs: [String] = []
    /// How many times the logs are repeated in the input.
    public var repeats = 20
    /// Where the concatenated input is written.
    public var work = "/tmp/tracelab-bench"

    public init() {}

    public func run(output: BenchmarkOutput) throws {
        let inputs = logs.isEmpty ? expandDirectories(["traces/syscalls"], suffixes: [".strace"]) : logs
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let path = work + "/bench.strace"
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw BenchmarkError("cannot write \(path)")
        }
        var lines = 0
        for _ in 0..<repeats {
            for input in inputs {
                let data = try Data(contentsOf: URL(fileURLWithPath: input))
                lines += data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                file.write(data)
            }
        }
        try file.close()

        let start = monotonicSeconds()
        let reader = try StraceReader(path: path, sidecar: StraceSidecar())
        var events = 0
        while try reader.next() != nil { events += 1 }
        let importSeconds = monotonicSeconds() - start
        output(String(format: "strace import: %.0f lines/s (%d lines, %d events, %.2f s)", Double(lines) / importSeconds, lines, events, importSeconds))
        for (tool, arguments) in [("/usr/bin/wc", ["-l"]), ("/bin/grep", ["-c", "("])] {
            let seconds = try timedRun(tool, arguments + [path], package: "coreutils grep")
            output(String(format: "anchor: %@ %@: %.0f lines/s (%.3f s)", tool, arguments.joined(separator: " "), Double(lines) / seconds, seconds))
        }
    }
}
