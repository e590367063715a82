import FalcoRules
import Foundation
import TestSupport
import Testing
import TraceModel
import TraceReaders

/// TraceLab against sysdig 0.29.3 (libsinsp 0.29) on scap captures: every public capture in
/// ../shared/upstream/scap and every recording in traces/syscalls exported by `ScapWriter`.
///
/// - Conditions: the hand-written ones of scap-conditions.txt, then one per (field, operator) pair the upstream
///   rules files use and one `field exists` per field they use, each made concrete with values from the capture
///   (the commonest value, two for `in`, a prefix for `startswith`...). `sysdig -r FILE -p '%evt.num' COND` and
///   our compiled condition must select the same events. Conditions on fields sysdig 0.29 does not have (it
///   refuses them) are counted apart.
/// - Fields: `sysdig -r FILE -p '*%evt.num|%field...'` and our rendering of the same format must print the same
///   line for every event.
/// Every outcome is pinned in Tests/Baselines/conformance.json: the (capture, condition) pairs that disagree, the
/// conditions sysdig refuses, the agreement of each field; docs/conformance.md's tables are generated from it.
/// The disagreements are printed only with TRACELAB_VERBOSE=1.
@Suite("scap differential against sysdig", .serialized,
       .enabled(if: Prerequisite.runnable(.shared, .sysdig), Comment(rawValue: Prerequisite.skipReason(.shared, .sysdig))))
struct ScapDifferentialTests {
    static var verbose: Bool { ProcessInfo.processInfo.environment["TRACELAB_VERBOSE"] == "1" }
    static let conditionsFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("scap-conditions.txt").path

    /// Fields compared value by value (`evt.args` last: a tab inside an argument would shift the fields after it).
    static let fields = ["evt.type", "evt.dir", "evt.cpu", "evt.res", "evt.rawres", "evt.arg.fd", "evt.arg.name", "evt.arg.flags",
                         "evt.arg.mode", "evt.arg.res", "proc.name", "proc.pid", "proc.ppid", "proc.pname", "proc.exe", "proc.args",
                         "proc.cmdline", "proc.cwd", "thread.tid", "user.uid", "user.name", "fd.num", "fd.name", "fd.type",
                         "fd.typechar", "fd.directory", "fd.filename", "fd.sip", "fd.sport", "fd.cip", "fd.cport", "fd.l4proto", "evt.args"]

    /// Every capture to compare: the public ones, then our recordings written as scap.
    static func captures() throws -> [String] {
        let folder = try SharedData.path("upstream/scap")
        let publicCaptures = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".scap") }.sorted().map { folder + "/" + $0 }
        return publicCaptures + (try exports.get()).map(\.capture)
    }

    /// The recordings of traces/syscalls written as scap, once for the suite.
    static let exports = Result { () throws -> [(recording: String, capture: String)] in
        let recordings = SharedData.repositoryRoot.appendingPathComponent("traces/syscalls").path
        let output = Scratch.directory.appendingPathComponent("tracelab-scap-differential-\(getpid())").path
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        return try FileManager.default.contentsOfDirectory(atPath: recordings).filter { $0.hasSuffix(".strace") }.sorted().map { name in
            let source = recordings + "/" + name, target = output + "/" + name.replacingOccurrences(of: ".strace", with: ".scap")
            _ = try ScapWriter().write(opening: { () throws(TraceLabError) in try TraceFiles.open(source).stream }, to: target)
            return (source, target)
        }
    }

    static func events(_ path: String) throws -> [Event] {
        var events: [Event] = []
        let (stream, _) = try TraceFiles.open(path)
        while let event = try stream.next() { events.append(event) }
        return events
    }

    @Test("the same events are selected as sysdig selects them, for 200+ conditions on every capture")
    func conditions() throws {
        let captures = try Self.captures(), sysdig = try Prerequisite.sysdig.path()
        let fixed = try String(contentsOfFile: Self.conditionsFile, encoding: .utf8).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        let pairs = try RuleFieldUse.pairs()
        var tally = Tally()
        // The same outcomes by condition class: the field a generated condition tests (its first field), or the
        // hand-written set.
        var byField = Tally()
        func fieldClass(_ condition: String) -> String {
            if fixed.contains(condition) { return "hand-written conditions" }
            let field = condition.split(separator: " ").first { $0.contains(".") && $0.first?.isLetter == true } ?? "other"
            return String(field.prefix { $0 != "[" })
        }
        for capture in captures {
            let name = URL(fileURLWithPath: capture).lastPathComponent
            let events = try Self.events(capture)
            let conditions = fixed + RuleFieldUse.conditions(pairs, over: events)
            #expect(conditions.count >= 200, "\(capture): \(conditions.count) conditions")
            let answers = Self.runSysdig(sysdig, capture: capture, conditions: conditions)
            for (condition, answer) in zip(conditions, answers) {
                guard let theirs = answer else {
                    tally.skip("\(name): \(condition)", "sysdig 0.29 refuses it (a field it lacks)")
                    continue
                }
                var compiler = ConditionCompiler()
                guard let node = try? ConditionParser.parse(condition), let predicate = try? compiler.compile(node) else {
                    tally.record(name, id: condition, false, "sysdig compiles it, TraceLab does not")
                    byField.record(fieldClass(condition), id: "\(name): \(condition)", false, "sysdig compiles it, TraceLab does not")
                    continue
                }
                let ours = events.filter { predicate($0) }.map(\.number)
                // The hand-written conditions also go through the reader that skips events of other types, as
                // `tracelab filter` reads captures.
                if fixed.contains(condition) {
                    let (stream, _) = try TraceFiles.open(capture)
                    let types = EventTypeSet.of(node)
                    if let scap = stream as? ScapReader, !types.isAll { scap.wants = { types.contains($0) } }
                    var skipping: [UInt64] = []
                    while let event = try stream.next() { if predicate(event) { skipping.append(event.number) } }
                    #expect(skipping == ours, "\(capture): \(condition): reading only its event types selects \(skipping.count), not \(ours.count)")
                }
                tally.record(name, id: condition, ours == theirs,
                             "ours \(ours.count) [\(Set(ours).subtracting(theirs).sorted().prefix(3))], sysdig \(theirs.count) [\(Set(theirs).subtracting(ours).sorted().prefix(3))]")
                byField.record(fieldClass(condition), id: "\(name): \(condition)", ours == theirs, "")
            }
        }
        let agreed = tally.kinds.values.reduce(0) { $0 + $1.passed }
        print("scap conditions: \(agreed)/\(tally.total) (capture, condition) pairs select the same events as sysdig over \(captures.count) captures; \(tally.notRunnable.count) refused by sysdig 0.29 (fields it lacks)")
        if Self.verbose { for line in tally.failures { print("  disagreement: \(line)") } }
        // The disagreements left are libsinsp 0.29 behaviours docs/conformance.md lists (fd fields of failed opens
        // and of the enter events of fd-creating calls, the thread of a container event, namespace pids and
        // loginuids of threads made by events, server-socket addresses); each is pinned by its condition.
        let problems = Baseline.check("scap conditions against sysdig", tally) + Baseline.check("scap condition classes against sysdig", byField)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("field values agree with sysdig's, event by event")
    func fieldValues() throws {
        let captures = try Self.captures(), sysdig = try Prerequisite.sysdig.path()
        var agreed = [String: Int](), total = [String: Int]()
        for capture in captures {
            let format = "*%evt.num\t" + Self.fields.map { "%" + $0 }.joined(separator: "\t")
            // -v: sysdig prints arguments and buffers whole (it cuts them at 80 characters otherwise, for display).
            let theirs = Self.lines(try Subprocess.run(sysdig, ["-v", "-r", capture, "-p", format, "evt.num > 0"]).output)
            let renderer = try OutputFormat(String(format.dropFirst()))
            let ours = Self.lines(try Self.events(capture).map { renderer.render($0) }.joined(separator: "\n"))
            for (number, line) in ours {
                let mine = line.split(separator: "\t", omittingEmptySubsequences: false)
                let their = theirs[number]?.split(separator: "\t", omittingEmptySubsequences: false) ?? []
                for (position, field) in Self.fields.enumerated() {
                    total[field, default: 0] += 1
                    if position + 1 < mine.count, position + 1 < their.count, mine[position + 1] == their[position + 1] {
                        agreed[field, default: 0] += 1
                    } else if Self.verbose {
                        let show = { (parts: [Substring]) in position + 1 < parts.count ? String(parts[position + 1].prefix(120)) : "(none)" }
                        print("  \(URL(fileURLWithPath: capture).lastPathComponent) event \(number) \(field): ours \(show(mine)), sysdig \(show(their))")
                    }
                }
            }
        }
        var tally = Tally()
        for field in Self.fields {
            let share = Double(agreed[field] ?? 0) / Double(max(1, total[field] ?? 0))
            print("scap field \(field): \(agreed[field] ?? 0)/\(total[field] ?? 0) (\(String(format: "%.2f", share * 100))%)")
            tally.count("\(field) agrees", agreed[field] ?? 0)
            tally.count("\(field) events", total[field] ?? 0)
        }
        // Every figure is pinned; docs/conformance.md explains the fields that do not agree everywhere.
        let problems = Baseline.check("scap fields against sysdig", tally)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("a public capture written back as scap is one sysdig reads, with every syscall event of the original")
    func publicCapturesRewritten() throws {
        let sysdig = try Prerequisite.sysdig.path()
        let folder = try SharedData.path("upstream/scap")
        let output = Scratch.directory.appendingPathComponent("tracelab-scap-rewritten-\(getpid())").path
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var rewritten = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).filter({ $0.hasSuffix(".scap") }).sorted() {
            let source = folder + "/" + name, target = output + "/" + name
            let events = try Self.events(source)
            // A capture of internal events only has nothing to write (sysdig refuses a capture with no events).
            guard !events.isEmpty else { continue }
            _ = try ScapWriter().write(opening: { () throws(TraceLabError) in try TraceFiles.open(source).stream }, to: target)
            let result = try Subprocess.execute(sysdig, ["-r", target, "-p", "%evt.type"])
            #expect(result.status == 0 && result.stderr.isEmpty, "\(name): \(result.stderr.prefix(200))")
            // Each event becomes an enter and an exit event (or stays one), so sysdig sees at least as many.
            #expect(result.stdout.split(separator: "\n").count >= events.count, "\(name)")
            rewritten += 1
        }
        #expect(rewritten == 9, "captures with syscall events: \(rewritten)")
    }

    @Test("a recording written as scap shows sysdig the recorded process, user, container and fd values")
    func exportedRecordings() throws {
        let sysdig = try Prerequisite.sysdig.path()
        let fields = ["proc.name", "proc.pid", "proc.ppid", "proc.pname", "proc.exe", "proc.cmdline", "thread.tid", "user.uid", "user.name",
                      "container.id", "container.name", "k8s.pod.name", "evt.type", "evt.res", "fd.name"]
        var agreed = [String: Int](), total = [String: Int]()
        for (source, target) in try Self.exports.get() {
            let name = URL(fileURLWithPath: source).lastPathComponent
            let format = fields.map { "%" + $0 }.joined(separator: "\t")
            // One exit event per recorded call (procexit and signaldeliver are single enter events).
            let theirs = try Subprocess.run(sysdig, ["-d", "-r", target, "-p", "*%evt.num\t" + format, "evt.dir = < or evt.type in (procexit, signaldeliver)"]).output
            let sysdigLines = Self.lines(theirs).sorted { $0.key < $1.key }.map { Array($0.value.split(separator: "\t", omittingEmptySubsequences: false).dropFirst()) }
            let renderer = try OutputFormat(format)
            let recorded = try Self.events(source)
            #expect(recorded.count == sysdigLines.count, "\(name): \(recorded.count) recorded calls, \(sysdigLines.count) exit events in the capture")
            for (event, their) in zip(recorded, sysdigLines) {
                let mine = renderer.render(event).split(separator: "\t", omittingEmptySubsequences: false)
                let generic = ScapWriter.writesGeneric(event.type)
                for (index, field) in fields.enumerated() where index < mine.count && index < their.count {
                    // Generic events carry no result or fd in libsinsp 0.29, nor do exits without a result (getuid).
                    if generic && (field == "evt.res" || field == "fd.name") { continue }
                    if field == "evt.res", ScapWriter.exitInfo(of: event.type)?.params.first?.name != "res" { continue }
                    total[field, default: 0] += 1
                    var expected = String(mine[index])
                    // libsinsp 0.29 records some calls under another name (pread64 is pread) and lacks some syscalls.
                    if field == "evt.type" { expected = ScapWriter.recordedType(expected) }
                    if expected == String(their[index]) { agreed[field, default: 0] += 1 }
                }
            }
        }
        var tally = Tally()
        for field in fields {
            print("exported field \(field): \(agreed[field] ?? 0)/\(total[field] ?? 0)")
            tally.count("\(field) agrees", agreed[field] ?? 0)
            tally.count("\(field) events", total[field] ?? 0)
        }
        // Process, user, container and type values are the recording's; the few left (docs/scap.md) are
        // libsinsp's: a procexit's parent, results and fd names of sockets strace names but libsinsp does not
        // (unconnected sockets, epoll fds made by calls 0.29 records as generic), failed UNIX connects.
        for field in fields where !["evt.res", "fd.name", "proc.pname"].contains(field) {
            #expect(agreed[field] == total[field], "\(field): \(agreed[field] ?? 0)/\(total[field] ?? 0)")
        }
        let problems = Baseline.check("recordings written as scap and read by sysdig", tally)
        #expect(problems.isEmpty, "\(problems)")
    }

    /// Output lines by event number: a line that does not start with `number<TAB>` continues the one before
    /// (values with newlines in them).
    static func lines(_ output: String) -> [UInt64: String] {
        var lines: [UInt64: String] = [:]
        var last: UInt64?
        // Split on the newline byte: as Characters, a value ending in "\r" and the newline after it are one "\r\n".
        var pieces = output.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        // The newline that ends the output ends the last line; it does not start another.
        if pieces.last?.isEmpty == true { pieces.removeLast() }
        for scalars in pieces {
            let line = String(String.UnicodeScalarView(scalars))
            if let tab = line.firstIndex(of: "\t"), let number = UInt64(line[..<tab]) {
                lines[number] = line
                last = number
            } else if let last {
                lines[last, default: ""] += "\n" + line
            }
        }
        return lines
    }

    /// sysdig's selection for each condition (nil when sysdig refuses the condition), two processes at a time.
    /// The condition is a display filter (`-d`), run after the parser has seen every event, as Falco's rules run:
    /// as a capture filter, libsinsp 0.29 skips its per-event cleanup for the events it drops (`sinsp::next` returns
    /// before `event_cleanup`), so a later exit can read a stale enter event (an fcntl F_SETFD taken for the F_DUPFD
    /// before it, a dup into fd 0).
    static func runSysdig(_ sysdig: String, capture: String, conditions: [String]) -> [[UInt64]?] {
        let results = ResultBox(count: conditions.count)
        DispatchQueue.concurrentPerform(iterations: conditions.count) { index in
            let answer = try? Subprocess.run(sysdig, ["-d", "-r", capture, "-p", "%evt.num", conditions[index]])
            results.set(index, answer.flatMap { $0.status == 0 ? $0.output.split(separator: "\n").compactMap { UInt64($0) } : nil })
        }
        return results.values
    }

    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [[UInt64]?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ value: [UInt64]?) { lock.lock(); values[index] = value; lock.unlock() }
    }
}

/// The (field, operator) pairs the upstream rules files use, and conditions made from them.
enum RuleFieldUse {
    static let operators = ["!=", "<=", ">=", "=", "<", ">", "in", "intersects", "icontains", "contains", "startswith", "endswith", "pmatch", "glob", "exists"]

    /// Every `field op` of the upstream rules files, in a stable order.
    static func pairs() throws -> [(field: String, op: String)] {
        var seen: Set<String> = []
        var pairs: [(field: String, op: String)] = []
        for name in ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"] {
            let path = try SharedData.path("upstream/" + name)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let pattern = try NSRegularExpression(pattern: #"\b((?:evt|proc|fd|user|group|thread|container|k8s)\.[a-z_.]+(?:\[[^\]]*\])?)\s*(!=|<=|>=|=|<|>|\bin\b|\bintersects\b|\bicontains\b|\bcontains\b|\bstartswith\b|\bendswith\b|\bpmatch\b|\bglob\b|\bexists\b)"#)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let field = Range(match.range(at: 1), in: text), let op = Range(match.range(at: 2), in: text) else { continue }
                var fieldName = String(text[field])
                while fieldName.hasSuffix(".") { fieldName.removeLast() }
                let key = fieldName + " " + text[op]
                if seen.insert(key).inserted { pairs.append((fieldName, String(text[op]))) }
            }
        }
        var fields: [String] = []
        for pair in pairs where !fields.contains(pair.field) { fields.append(pair.field) }
        return pairs + fields.filter { field in !pairs.contains { $0.field == field && $0.op == "exists" } }.map { ($0, "exists") }
    }

    /// A condition per pair with values from the capture; pairs whose field has no value there compare with a
    /// value that selects nothing, so both sides must still agree.
    static func conditions(_ pairs: [(field: String, op: String)], over events: [Event]) -> [String] {
        var valuesOf: [String: [String]] = [:]
        func values(_ field: String) -> [String] {
            if let known = valuesOf[field] { return known }
            var counts: [String: Int] = [:]
            if let format = try? OutputFormat("%" + field) {
                for event in events {
                    let value = format.render(event)
                    if value != "<NA>", !value.isEmpty, !value.contains("\""), !value.contains("\\"), value.count < 200 { counts[value, default: 0] += 1 }
                }
            }
            let ordered = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
            valuesOf[field] = ordered
            return ordered
        }
        func quoted(_ value: String) -> String { "\"\(value)\"" }
        var conditions: [String] = []
        for (field, op) in pairs {
            let common = values(field)
            let first = common.first ?? "tracelab-no-such-value"
            switch op {
            case "exists": conditions.append("\(field) exists")
            case "in", "intersects":
                conditions.append("\(field) \(op) (\(common.prefix(2).map(quoted).joined(separator: ", ")))".replacingOccurrences(of: "()", with: "(\(quoted(first)))"))
            case "<", ">", "<=", ">=":
                let numbers = common.compactMap { Int64($0) }.sorted()
                conditions.append("\(field) \(op) \(numbers.isEmpty ? 0 : numbers[numbers.count / 2])")
            case "startswith": conditions.append("\(field) startswith \(quoted(String(first.prefix(4))))")
            case "endswith": conditions.append("\(field) endswith \(quoted(String(first.suffix(4))))")
            case "contains": conditions.append("\(field) contains \(quoted(String(first.dropFirst(first.count / 3).prefix(3))))")
            case "icontains": conditions.append("\(field) icontains \(quoted(String(first.dropFirst(first.count / 3).prefix(3)).uppercased()))")
            case "glob": conditions.append("\(field) glob \(quoted(String(first.prefix(3)) + "*"))")
            case "pmatch":
                let directory = first.hasPrefix("/") ? String(first[..<(first.lastIndex(of: "/") ?? first.endIndex)]) : first
                conditions.append("\(field) pmatch (\(quoted(directory.isEmpty ? "/" : directory)))")
            default: conditions.append("\(field) \(op) \(quoted(first))")
            }
        }
        return conditions
    }
}
