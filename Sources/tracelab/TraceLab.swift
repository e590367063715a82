import ArgumentParser
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
        subcommands: [Validate.self, ReplayCommand.self, Filter.self, Fields.self, Check.self, Grade.self, GradeOne.self, GradescopeCommand.self, Detect.self, Flows.self, Query.self, Dashboard.self, Scap.self, Export.self, Ingest.self, Traces.self, Runs.self, Alerts.self,
                      Diff.self, DatabaseCommand.self, CompareRules.self, Bench.self])
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
