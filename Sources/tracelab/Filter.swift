import ArgumentParser
import FalcoRules
import Replay
import TraceModel
import TraceReaders

/// `tracelab filter`: sysdig-style event filtering, or checking a condition without a trace.
struct Filter: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the events of traces that match a condition (like sysdig -r FILE -p FORMAT 'COND').",
        discussion: """
        --check compiles the condition against the field catalog without a trace; --parse-only checks the \
        grammar only, as libsinsp's parser does. Both exit 0 when the condition is good and 1 when not.
        """)

    @Option(name: .customShort("p"), help: "Output format with %field tokens (default: sysdig's event line). As in sysdig, events with a field that has no value are skipped unless the format starts with *.")
    var printFormat: String?

    @Flag(help: "Compile the condition against the field catalog; no trace needed.")
    var check = false

    @Flag(name: .customLong("parse-only"), help: "Check the condition's grammar only.")
    var parseOnly = false

    @Argument(help: "The condition.")
    var condition: String

    @Option(help: "The sidecar of strace logs (default: FILE.sidecar.json next to each log).")
    var sidecar: String?

    @OptionGroup var strictness: StrictOption

    @Argument(help: "Trace files (native JSON Lines, or strace -f -ttt -yy logs).")
    var traces: [String] = []

    func run() throws {
        let node: ConditionNode
        do {
            node = try ConditionParser.parse(condition, maxDepth: 1000)
        } catch {
            printError("tracelab: condition:\(error.position.line):\(error.position.column): \(error.message)")
            throw ExitCode(1)
        }
        if parseOnly {
            print("ok: \(node.text)")
            return
        }
        var compiler = ConditionCompiler()
        let predicate: EventPredicate
        let format: OutputFormat
        do {
            predicate = try compiler.compile(node)
            format = try OutputFormat(printFormat.map { $0.hasPrefix("*") ? String($0.dropFirst()) : $0 }
                                      ?? "%evt.num %evt.time %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.args")
        } catch {
            printError("tracelab: condition:\(error.position.line):\(error.position.column): \(error.message)")
            throw ExitCode(1)
        }
        for warning in compiler.warnings {
            printError("tracelab: warning: condition:\(warning.position.line):\(warning.position.column): \(warning.message)")
        }
        if check {
            print("ok: \(node.text)")
            return
        }
        if traces.isEmpty { throw ValidationError("give trace files to filter, or --check / --parse-only") }
        let requireAll = printFormat.map { !$0.hasPrefix("*") } ?? false
        let types = EventTypeSet.of(node)
        var failed = false
        var problems = InputProblems()
        for path in traces {
            do {
                let (reader, _) = try TraceFiles.open(path, sidecar: sidecar)
                try TraceReplay.filter(reader, types: types, predicate: predicate) { event in
                    if let line = format.render(event, requireAll: requireAll) { print(line) }
                }
                for warning in reader.warnings { problems.report("\(warning)") }
            } catch {
                printError("tracelab: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
        try problems.finish(strict: strictness.strict)
    }
}
