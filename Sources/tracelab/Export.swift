import ArgumentParser
import TraceModel
import TraceReaders

/// `tracelab export`: writes any trace TraceLab reads (JSON Lines, strace logs with their sidecar) in the
/// native JSON Lines format.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Convert a trace (strace log with its sidecar, JSON Lines) to native JSON Lines.")

    @Option(help: "Output format: jsonl.")
    var format: String = "jsonl"

    @Option(help: "The sidecar of an strace log (default: FILE.sidecar.json next to it).")
    var sidecar: String?

    @Option(name: .shortAndLong, help: "Output file (default: standard output).")
    var output: String?

    @Argument(help: "The trace to convert.")
    var trace: String

    func run() throws {
        guard format == "jsonl" else { throw ValidationError("unsupported format '\(format)' (supported: jsonl; scap comes with the scap issue)") }
        let stream: EventStream
        do { stream = try TraceFiles.open(trace, sidecar: sidecar).stream } catch {
            printError("tracelab: \(error)")
            throw ExitCode(1)
        }
        guard let file = fopen(output ?? "/dev/stdout", "wb") else { throw ValidationError("cannot write \(output ?? "standard output")") }
        defer { fclose(file) }
        var writer = JSONLinesWriter()
        do {
            var headerWritten = false
            while let event = try stream.next() {
                if !headerWritten, let header = stream.traceHeader {
                    fputs(writer.header(header), file)
                    headerWritten = true
                }
                fputs(writer.lines(for: event), file)
            }
        } catch {
            printError("tracelab: \(error)")
            throw ExitCode(1)
        }
        for warning in stream.warnings { printError("tracelab: warning: \(warning)") }
    }
}

#if canImport(Glibc)
import Glibc
#endif
