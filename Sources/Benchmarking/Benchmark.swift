import Foundation
import TraceModel
import TraceReaders

/// What a benchmark could not do (a missing tool, an unwritable folder), in words for the command line.
public struct BenchmarkError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Where a benchmark's result lines go as they are measured (`tracelab bench` prints them).
public typealias BenchmarkOutput = (String) -> Void

/// The median of timed runs (the upper one of an even count).
func median(_ times: [Double]) -> Double { times.isEmpty ? 0 : times.sorted()[times.count / 2] }

/// What one run of a command cost: wall time, CPU time (user and system) and peak resident set size.
struct RunCost {
    var seconds: Double
    var cpuSeconds: Double
    var peakKiB: Int
}

/// Runs an anchor tool with its standard output sent to `output` (standard error discarded) and returns its
/// wall time in seconds; a missing tool names the package to install, a failing one its status.
@discardableResult
func timedRun(_ tool: String, _ arguments: [String], output: String = "/dev/null", package: String) throws -> Double {
    try measuredRun(tool, arguments, output: output, package: package).seconds
}

/// Runs a command as `timedRun` does and returns what it cost: wall time, CPU time of the child and its descendants
/// (wait4), and the command's peak RSS, read through GNU time (package `time`; 0 without it). A direct child's own
/// `ru_maxrss` cannot be used: Linux records the spawning process's high-water mark in it at exec.
func measuredRun(_ tool: String, _ arguments: [String], output: String = "/dev/null", package: String) throws -> RunCost {
    guard FileManager.default.isExecutableFile(atPath: tool) else { throw BenchmarkError("\(tool) is needed (apt-get install \(package))") }
    let gnuTime = "/usr/bin/time"
    let rssFile = NSTemporaryDirectory() + "tracelab-bench-rss-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: rssFile) }
    let command = FileManager.default.isExecutableFile(atPath: gnuTime) ? [gnuTime, "-f", "%M", "-o", rssFile, tool] + arguments : [tool] + arguments
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = command.map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    var pid: pid_t = 0
    let start = monotonicSeconds()
    guard posix_spawn(&pid, command[0], &actions, nil, argv, environ) == 0 else { throw BenchmarkError("cannot run \(command[0])") }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let seconds = monotonicSeconds() - start
    // Exited normally with status 0 (the wait status is the exit code shifted left by 8, no signal bits).
    guard status == 0 else {
        throw BenchmarkError("\(tool) \(arguments.joined(separator: " ")) failed (wait status \(status))")
    }
    func time(_ value: timeval) -> Double { Double(value.tv_sec) + Double(value.tv_usec) / 1e6 }
    let peak = (try? String(contentsOfFile: rssFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    return RunCost(seconds: seconds, cpuSeconds: time(usage.ru_utime) + time(usage.ru_stime), peakKiB: peak)
}

/// Removes a SQLite database with its write-ahead log and shared-memory files.
func removeDatabase(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

/// Writes `count` events of the generated trace as JSON Lines, streaming (they are never all in memory).
func writeSyntheticTrace(_ count: Int, to path: String) throws {
    guard let file = fopen(path, "wb") else { throw BenchmarkError("cannot write \(path)") }
    defer { fclose(file) }
    var writer = JSONLinesWriter()
    fputs(writer.header(TraceHeader(hostname: "bench", source: "tracelab SyntheticTrace")), file)
    for event in SyntheticTrace(count: count) { fputs(writer.lines(for: event), file) }
}
