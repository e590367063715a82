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

/// Runs an anchor tool with its standard output sent to `output` (standard error discarded) and returns its
/// wall time in seconds; a missing tool names the package to install, a failing one its status.
@discardableResult
func timedRun(_ tool: String, _ arguments: [String], output: String = "/dev/null", package: String) throws -> Double {
    guard FileManager.default.isExecutableFile(atPath: tool) else { throw BenchmarkError("\(tool) is needed (apt-get install \(package))") }
    guard FileManager.default.createFile(atPath: output, contents: nil) || output == "/dev/null",
          let handle = FileHandle(forWritingAtPath: output) else { throw BenchmarkError("cannot write \(output)") }
    defer { try? handle.close() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    process.standardOutput = handle
    process.standardError = FileHandle.nullDevice
    let start = monotonicSeconds()
    try process.run()
    process.waitUntilExit()
    let seconds = monotonicSeconds() - start
    guard process.terminationStatus == 0 else { throw BenchmarkError("\(tool) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)") }
    return seconds
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
