import Foundation

/// Runs a program (an oracle such as tshark, sysdig or promtool, or curl) and collects what it prints.
public enum Subprocess {
    /// The exit status and standard output; standard error is discarded.
    public static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The exit status, standard output and standard error (through a temporary file, so neither pipe can fill
    /// while the other is read), with `environment` replacing the inherited one when given.
    public static func execute(_ tool: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("tracelab-stderr-\(getpid())-\(UInt64.random(in: 0 ... .max))").path
        FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errors.close()
        let stderr = FileManager.default.contents(atPath: errorPath) ?? Data()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}

/// Seconds on the monotonic clock (benchmarks and grading durations only; never in results).
public func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}
