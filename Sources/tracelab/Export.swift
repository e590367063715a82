import ArgumentParser
import TraceModel
import TraceReaders

/// `tracelab export`: writes any trace TraceLab reads (JSON Lines, strace logs with their sidecar, scap) as
/// native JSON Lines or as a scap capture that sysdig and Falco read.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a trace (strace log with its sidecar, JSON Lines, scap) to native JSON Lines or to a scap capture.",
        discussion: """
        --format scap writes a capture for sysdig -r and falco -e (libsinsp 0.29's event table; enter and exit \
        events; the threads and fds the trace opens with as the capture's process and fd lists). It needs -o.
        """)

    @Option(help: "Output format: jsonl or scap.")
    var format: String = "jsonl"

    @Option(help: "The sidecar of an strace log (default: FILE.sidecar.json next to it).")
    var sidecar: String?

    @Option(name: .shortAndLong, help: "Output file (default: standard output; required for scap).")
    var output: String?

    @OptionGroup var strictness: StrictOption

    @Argument(help: "The trace to convert.")
    var trace: String

    func run() throws {
        switch format {
        case "jsonl": try writeJSONLines()
        case "scap": try writeScap()
        default: throw ValidationError("unsupported format '\(format)' (supported: jsonl, scap)")
        }
    }

    private func writeScap() throws {
        guard let output else { throw ValidationError("--format scap writes a binary capture: give the file with -o") }
        do {
            let summary = try ScapWriter().write(opening: { () throws(TraceLabError) in try TraceFiles.open(trace, sidecar: sidecar).stream }, to: output)
            printError("tracelab: wrote \(output): \(summary.events) events (\(summary.genericEvents) generic), \(summary.threads) threads and \(summary.fds) fds at the start")
        } catch {
            printError("tracelab: \(error)")
            throw ExitCode(1)
        }
    }

    private func writeJSONLines() throws {
        let stream: EventStream
        do { stream = try TraceFiles.open(trace, sidecar: sidecar).stream } catch {
            printError("tracelab: \(error)")
            throw ExitCode(1)
        }
        guard let file = fopen(output ?? "/dev/stdout", "wb") else { throw ValidationError("cannot write \(output ?? "standard output")") }
        defer { fclose(file) }
        var writer = JSONLinesWriter()
        do { try writer.write(stream, to: file) } catch {
            printError("tracelab: \(error)")
            throw ExitCode(1)
        }
        var problems = InputProblems()
        for warning in stream.warnings { problems.report("\(warning)") }
        try problems.finish(strict: strictness.strict)
    }
}

#if canImport(Glibc)
import Glibc
#endif
