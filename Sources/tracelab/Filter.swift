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
        sysdig's flags work as in sysdig: -r FILE (repeatable) names a trace, -p a format, -j prints each \
        event as a JSON object of the format's fields (sysdig's default fields without -p), -n N stops after N \
        events are printed. --check compiles the condition against the field catalog without a trace; \
        --parse-only checks the grammar only, as libsinsp's parser does. Both exit 0 when the condition is good \
        and 1 when not.
        """)

    @Option(name: .customShort("p"), help: "Output format with %field tokens (default: sysdig's event line). As in sysdig, events with a field that has no value are skipped unless the format starts with *.")
    var printFormat: String?

    @Option(name: .customShort("r"), help: "A trace to read (sysdig's -r); repeatable, the same as giving it after the condition.")
    var readFiles: [String] = []

    @Flag(name: .customShort("j"), help: "Print each event as a JSON object of the format's fields (sysdig's -j).")
    var json = false

    @Option(name: .customShort("n"), help: "Stop after printing this many events (sysdig's -n).")
    var count: Int?

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
                                      ?? (json ? "%evt.cpu %evt.dir %evt.info %evt.num %evt.rawtime %evt.type %proc.name %thread.tid"
                                               : "%evt.num %evt.time %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.args"))
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
        let traces = readFiles + self.traces
        if traces.isEmpty { throw ValidationError("give trace files to filter (-r FILE), or --check / --parse-only") }
        if let count, count < 0 { throw ValidationError("-n must be 0 or more") }
        var printed = 0
        let requireAll = printFormat.map { !$0.hasPrefix("*") } ?? false
        let types = EventTypeSet.of(node)
        var failed = false
        var problems = InputProblems()
        for path in traces where printed < count ?? .max {
            do {
                let (reader, _) = try TraceFiles.open(path, sidecar: sidecar)
                try TraceReplay.filter(reader, types: types, predicate: predicate) { event in
                    guard printed < count ?? .max else { return false }
                    if json {
                        let fields = format.fields(event)
                        if requireAll, fields.contains(where: { $0.value == .null }) { return true }
                        // sysdig's default JSON names the event time evt.outputtime (nanoseconds, its default -t).
                        let named = fields.map { (printFormat == nil && $0.key == "evt.rawtime" ? "evt.outputtime" : $0.key, $0.value.json) }
                        print(JSONValue.object(named).rendered)
                    } else {
                        guard let line = format.render(event, requireAll: requireAll) else { return true }
                        print(line)
                    }
                    printed += 1
                    return true
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
