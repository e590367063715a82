import ArgumentParser
import Foundation
import FalcoRules
import TraceModel
import TraceReaders

@main
struct TraceLab: ParsableCommand {
    /// TraceLab's version, part of the fingerprint that decides whether a grade can be reused.
    static let version = "0.5.0-dev"

    static let configuration = CommandConfiguration(
        commandName: "tracelab",
        abstract: "Offline trace analyzer and grader for Kubernetes runtime-monitoring labs.",
        discussion: "Replays recorded syscall traces through a Falco-compatible rule engine.",
        version: versionText,
        subcommands: [Validate.self, ReplayCommand.self, Filter.self, Fields.self, Check.self, Grade.self, GradeOne.self, GradescopeCommand.self, Detect.self, Flows.self, Query.self, Dashboard.self, Scap.self, Export.self, Ingest.self, Traces.self, Runs.self, Alerts.self,
                      Diff.self, DatabaseCommand.self, CompareRules.self, Probe.self, Bench.self, Completions.self])
}

extension TraceLab {
    /// `tracelab --version`: the version, the commit it was built from (when the executable sits in a git
    /// checkout's `.build`), and what it emulates.
    static var versionText: String {
        """
        tracelab \(version) (commit \(BuildCommit.find() ?? "unknown: not run from a git checkout"))
        Falco rule engine: \(RulesLoader.engineVersion) (the engine version rules files ask for with required_engine_version)
        scap event table: \(ScapEventTable.source)
        PromQL: Prometheus 3 semantics (query --prometheus-version 2 for Prometheus 2.42's)
        """
    }
}

/// Files found by walking up from the executable (`.build/release/tracelab` sits three levels under its checkout).
enum ExecutableLocation {
    /// A file TraceLab ships (`answers/key.yaml`, `scenarios/evasions.yaml`): in the current folder, else in the
    /// checkout the executable was built in.
    static func shipped(_ relative: String) -> String? {
        FileManager.default.fileExists(atPath: relative) ? relative : find(relative)
    }

    /// The first `relative` path that exists in the executable's directory or one of the 8 above it.
    static func find(_ relative: String) -> String? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var directory = (executable as NSString).deletingLastPathComponent
        for _ in 0..<9 {
            let candidate = directory + "/" + relative
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return nil
    }
}

/// The commit of the git checkout the executable was built in, read from `.git` above it.
enum BuildCommit {
    static func find() -> String? {
        guard let git = ExecutableLocation.find(".git"),
              let head = try? String(contentsOfFile: git + "/HEAD", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        guard head.hasPrefix("ref: ") else { return String(head.prefix(12)) }
        let ref = String(head.dropFirst(5))
        if let commit = try? String(contentsOfFile: git + "/" + ref, encoding: .utf8) { return String(commit.prefix(12)) }
        let packed = (try? String(contentsOfFile: git + "/packed-refs", encoding: .utf8)) ?? ""
        return packed.split(separator: "\n").first { $0.hasSuffix(" " + ref) }.map { String($0.prefix(12)) }
    }
}

/// Output format for commands that print alerts or results.
enum OutputStyle: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Writes to standard error.
func printError(_ text: String) {
    var stderr = StandardError()
    print(text, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        _ = string.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
