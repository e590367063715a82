import Foundation
import TestSupport
import Testing

/// The README's CLI tour runs as written in a fresh clone: every command of its first `sh` block, in order, from a
/// scratch directory that links to the shipped data (so what the commands write stays out of the checkout),
/// with `tracelab` on PATH. A command whose comment says `exit 1` must exit 1; every other must exit 0.
@Suite("README")
struct ReadmeTourTests {
    /// The tour's commands with the exit status each must give.
    static func tourCommands() throws -> [(command: String, status: Int32)] {
        let readme = try String(contentsOf: CLITests.root.appendingPathComponent("README.md"), encoding: .utf8)
        guard let tour = readme.range(of: "## CLI tour"), let open = readme.range(of: "```sh\n", range: tour.upperBound..<readme.endIndex),
              let close = readme.range(of: "\n```", range: open.upperBound..<readme.endIndex) else { return [] }
        return readme[open.upperBound..<close.lowerBound].split(separator: "\n").compactMap { line in
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("tracelab") else { return nil }
            let comment = text.range(of: "   # ").map { String(text[$0.upperBound...]) } ?? ""
            return (text, comment.hasPrefix("exit 1") ? 1 : 0)
        }
    }

    @Test("every command of the CLI tour runs as written, with the exit status its comment gives")
    func tourRunsAsWritten() throws {
        let commands = try Self.tourCommands()
        #expect(commands.count >= 40, "the tour was not found in README.md")
        let scratch = Scratch.directory.appendingPathComponent("tracelab-readme-\(getpid())")
        try? FileManager.default.removeItem(at: scratch)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        for shipped in ["traces", "rules", "scenarios", "examples", "answers"] {
            try FileManager.default.createSymbolicLink(at: scratch.appendingPathComponent(shipped), withDestinationURL: CLITests.root.appendingPathComponent(shipped))
        }
        let binaries = (CLITests.executable as NSString).deletingLastPathComponent
        for (command, expected) in commands {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", command + " > /dev/null 2> stderr.txt"]
            process.currentDirectoryURL = scratch
            var environment = ProcessInfo.processInfo.environment
            environment["PATH"] = binaries + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
            environment.removeValue(forKey: "TRACELAB_DB")
            process.environment = environment
            try process.run()
            process.waitUntilExit()
            let stderr = (try? String(contentsOf: scratch.appendingPathComponent("stderr.txt"), encoding: .utf8)) ?? ""
            #expect(process.terminationStatus == expected, "\(command): exit \(process.terminationStatus)\n\(stderr.prefix(600))")
        }
    }
}
