import Foundation
import FalcoRules
import Grading
import TestSupport
import Testing

/// The `tracelab` executable as scripts and graders call it: names, flags, output and exit codes.
@Suite("tracelab command line")
struct CLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built executable, beside the test bundle.
    static var executable: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle.appendingPathComponent("tracelab"), bundle.deletingLastPathComponent().appendingPathComponent("tracelab")]
        where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate.path
        }
        return root.appendingPathComponent(".build/debug/tracelab").path
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func temporary(_ name: String, _ content: String) throws -> String {
        let path = Scratch.directory.appendingPathComponent("tracelab-cli-\(getpid())-\(name)").path
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let rules = """
    - rule: Shadow read
      desc: reading /etc/shadow
      condition: evt.type = openat and fd.name = /etc/shadow
      output: shadow read by %proc.name in %container.name
      priority: WARNING
      tags: [files]
    """

    @Test("grade review: a staff decision is recorded, applied on re-grade in every report, and flagged once the submission changes")
    func staffDecisionRoundTrip() throws {
        let work = Scratch.directory.appendingPathComponent("tracelab-cli-\(getpid())-review").path
        try? FileManager.default.removeItem(atPath: work)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let alice = work + "/alice", database = work + "/course.sqlite", out = work + "/grades"
        try FileManager.default.copyItem(atPath: Self.root.path + "/examples/submissions/typical-partial", toPath: alice)
        func grade() throws -> Output { try Self.run(["grade", "--db", database, "--out", out, alice]) }
        func read(_ file: String) throws -> String { try String(contentsOfFile: out + "/alice/" + file, encoding: .utf8) }

        let first = try grade()
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("| alice | 22.68 / 31 | 1 |") && first.stdout.contains("## Needs review (1)"), "\(first.stdout)")

        // Refused: an item the key lacks, a score over the item's points.
        #expect(try Self.run(["grade", "review", "--db", database, alice, "q99", "--score", "1", "--comment", "x"]).status == 2)
        #expect(try Self.run(["grade", "review", "--db", database, alice, "q2", "--score", "6", "--comment", "x"]).status == 2)
        let recorded = try Self.run(["grade", "review", "--db", database, alice, "q2", "--score", "4", "--comment", "quotes the alert's own message", "--by", "ta-kim"])
        #expect(recorded.status == 0 && recorded.stdout.hasPrefix("recorded: alice q2 = 4 / 5 by ta-kim at "), "\(recorded.stdout)\(recorded.stderr)")

        let second = try grade()
        #expect(second.stdout.contains("| alice | 23.68 / 31 | 0 |"), "\(second.stdout)")
        #expect(try read("report.md").contains("> **Staff decision: 4 / 5 (the grader gave 3), by ta-kim on "))
        #expect(try read("report.md").contains(": quotes the alert's own message**"))
        #expect(try read("report.html").contains("<p class=\"decision\"><strong>Staff decision: 4 / 5 (the grader gave 3)"))
        #expect(try read("report.json").contains("\"decision\":{\"score\":4.0,\"graders_score\":3.0,\"comment\":\"quotes the alert's own message\""))
        #expect(try read("results.json").contains("Staff decision: 4 / 5"))
        let gradebook = try String(contentsOfFile: out + "/gradebook.csv", encoding: .utf8)
        #expect(gradebook.contains("\"partial, staff decision\"") && gradebook.contains(",23.68,31,"), "\(gradebook)")

        // The student changes a file: the decision no longer applies and the item is marked for review.
        try "\n## Q8\nmore settings\n".write(toFile: alice + "/notes.md", atomically: true, encoding: .utf8)
        let third = try grade()
        #expect(third.stdout.contains("| alice | 22.68 / 31 | 1 |") && third.stdout.contains("was made on an earlier version of this submission"), "\(third.stdout)")
        #expect(try read("report.md").contains("**3 / 5**, needs review"))
    }

    @Test("grade: a check whose grading process is stopped fails alone, with its reason; the other items keep their scores")
    func runawayCheckFailsAlone() throws {
        // A stand-in for the grading child: the first time it says it began q5 and is killed, as a check that runs past
        // its CPU time is; asked to skip q5, it is the real `tracelab grade-one`.
        let script = try Self.temporary("runaway.sh", """
            #!/bin/sh
            case "$*" in
              *--skip*) exec \(Self.executable) "$@" ;;
              *) printf 'tracelab-grading-step: rules-load\\ntracelab-grading-step: q5\\n' >&2; kill -KILL $$ ;;
            esac
            """)
        defer { try? FileManager.default.removeItem(atPath: script) }
        chmod(script, 0o755)
        let key = Self.root.path + "/answers/key.yaml", submission = Self.root.path + "/examples/submissions/typical-partial"
        let answerKey = try AnswerKey.load(path: key)
        let setup = ClassGrading.Setup(executable: script, key: key, limits: GradingLimits(seconds: 120, memoryMiB: 4096), workers: 1)
        let report = ClassGrading.gradeIsolatingChecks(submission, answerKey: answerKey, setup: setup)
        #expect(report.error == nil)
        let q5 = try #require(report.checks.first { $0.itemID == "q5" })
        #expect(q5.score == 0 && q5.status == .failed)
        #expect(q5.feedback == ["This check was stopped and scores 0: the grading process was stopped: over its 120 s of CPU time. The other items were graded without it."])
        // Every other item as a normal grading gives it: 22.68 less q5's 2.38.
        let scores = Dictionary(uniqueKeysWithValues: report.checks.map { ($0.itemID, $0.score) })
        #expect(scores["q1"] == 5 && scores["curl-rule"] == 2 && scores["q8"] == 1.8 && report.score == 20.3, "\(scores)")

        // A check past its share of CPU time gets SIGXCPU (the child lowers its soft limit before each check).
        // (env --default-signal undoes a SIGXCPU the test runner ignores, as the grading child itself does.)
        let greedy = try Self.temporary("greedy.sh", "#!/bin/sh\nprintf 'tracelab-grading-step: q8\\n' >&2\nexec env --default-signal=XCPU /bin/sh -c 'kill -XCPU $$'\n")
        defer { try? FileManager.default.removeItem(atPath: greedy) }
        chmod(greedy, 0o755)
        var greedySetup = setup
        greedySetup.executable = greedy
        guard case .stopped(let reason, let step) = ClassGrading.gradeInChild(submission, setup: greedySetup) else { Issue.record("graded"); return }
        #expect(step == "q8" && reason == "it used more than its share of CPU time (half of the grading's 120 s)", "\(reason)")
    }

    @Test("--strict: skipped or degraded input is counted and, under --strict, fails the command; check is strict by default")
    func strictInput() throws {
        let metrics = try Self.temporary("bad.om", "up{job=\"a\"} 1 1700000000\nthis is not a sample\nup{job=\"a\"} 2 1700000015\n# EOF\n")
        defer { try? FileManager.default.removeItem(atPath: metrics) }
        let lenient = try Self.run(["query", "up", metrics])
        #expect(lenient.status == 0 && lenient.stderr.contains("tracelab: 1 input problem (skipped or degraded input)"), "\(lenient.stderr)")
        let strict = try Self.run(["query", "--strict", "up", metrics])
        #expect(strict.status == 1 && strict.stderr.contains("--strict makes this an error"), "\(strict.stderr)")

        // An strace log without its sidecar: replay says so; --strict fails on it.
        let alone = Scratch.directory.appendingPathComponent("tracelab-cli-\(getpid())-alone.strace").path
        try? FileManager.default.removeItem(atPath: alone)
        try FileManager.default.copyItem(atPath: Self.root.path + "/traces/syscalls/q1-cat-shadow.strace", toPath: alone)
        defer { try? FileManager.default.removeItem(atPath: alone) }
        let replay = try Self.run(["replay", "--strict", "--rules", "rules/default_rules.yaml", alone])
        #expect(replay.status == 1 && replay.stderr.contains("no sidecar"), "\(replay.stderr)")
        #expect(try Self.run(["replay", "--rules", "rules/default_rules.yaml", alone]).status == 0)
    }

    @Test("grade: a class in one command, each submission in its own process; a bad one does not stop the batch")
    func gradeBatch() throws {
        let out = Scratch.directory.appendingPathComponent("tracelab-cli-\(getpid())-grades").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let junk = try Self.temporary("junk.zip", "PK\u{03}\u{04} not really a zip")
        defer { try? FileManager.default.removeItem(atPath: junk) }
        let result = try Self.run(["grade", "--no-db", "--out", out, "examples/submissions/full-marks", junk, "examples/submissions/typical-partial", "examples/submissions/hostile"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("# Class summary: 4 submissions"))
        #expect(result.stdout.contains("| full-marks | 31 / 31 |") && result.stdout.contains("| typical-partial | 22.68 / 31 |") && result.stdout.contains("| hostile | 1 / 31 |"))
        #expect(result.stdout.contains("not graded: ") && result.stdout.contains("zip"))
        let written = try FileManager.default.subpathsOfDirectory(atPath: out).sorted()
        #expect(written.contains("gradebook.csv") && written.contains("summary.md") && written.contains("full-marks/results.json") && written.contains("hostile/report.md"))
        let gradebook = try String(contentsOfFile: out + "/gradebook.csv", encoding: .utf8)
        #expect(gradebook.split(separator: "\n").count == 5)
        // Graded again: byte-identical files.
        let first = try String(contentsOfFile: out + "/typical-partial/report.md", encoding: .utf8)
        let again = try Self.run(["grade", "--no-db", "--out", out, "examples/submissions/full-marks", junk, "examples/submissions/typical-partial", "examples/submissions/hostile"])
        #expect(again.stderr.contains("3 submission(s) unchanged since the last grading; their grades are reused"))
        #expect(try String(contentsOfFile: out + "/typical-partial/report.md", encoding: .utf8) == first)
        #expect(try String(contentsOfFile: out + "/gradebook.csv", encoding: .utf8) == gradebook)

        // A self-check below full marks fails like a test suite (exit 1); full marks pass.
        let student = try Self.run(["grade", "--self", "examples/submissions/typical-partial"])
        #expect(student.status == 1 && student.stdout.hasPrefix("# typical-partial: 22.68 / 31"))
        let full = try Self.run(["grade", "--self", "examples/submissions/full-marks"])
        #expect(full.status == 0 && full.stdout.hasPrefix("# full-marks: 31 / 31"))
    }

    @Test("grade: a submission that uses more than --timeout seconds of CPU is stopped and reported; the others are graded")
    func gradeTimeout() throws {
        let folder = Scratch.directory.appendingPathComponent("tracelab-cli-\(getpid())-slow").path
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // 16,000 rules that every event reaches, in two files under the 1 MiB limit: many seconds of work.
        for file in ["a", "b"] {
            let rules = (0..<8000).map { "- rule: \(file)\($0)\n  desc: d\n  condition: evt.num > \($0) and proc.name != x\($0)\n  output: o\n  priority: INFO\n" }.joined()
            try rules.write(toFile: folder + "/\(file).yaml", atomically: true, encoding: .utf8)
        }
        let out = folder + "-grades"
        defer { try? FileManager.default.removeItem(atPath: out) }
        // --timeout counts CPU time, which a busy machine does not inflate: typical-partial needs well under a CPU
        // second (debug build), the 16,000 rules many CPU seconds, however loaded the machine is.
        let result = try Self.run(["grade", "--no-db", "--timeout", "3", "--out", out, folder, "examples/submissions/typical-partial"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("not graded: the grading process was stopped: over its 3 s of CPU time"), "\(result.stdout)")
        #expect(result.stdout.contains("| typical-partial | 22.68 / 31 |"))
    }

    @Test("gradescope: the package has Gradescope's layout, and run writes results.json from /autograder/submission")
    func gradescope() throws {
        let work = Scratch.directory.appendingPathComponent("tracelab-cli-\(getpid())-gradescope").path
        try? FileManager.default.removeItem(atPath: work)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work + "/autograder/results", withIntermediateDirectories: true)
        // A large binary without Swift libraries (perl, from Debian's essential perl-base) stands in for the static
        // build here; .ci/run packs and checks the real one.
        let package = try Self.run(["gradescope", "package", "--binary", "/usr/bin/perl", "-o", work + "/autograder.zip"])
        #expect(package.status == 0, "\(package.stderr)")
        let listing = try Self.run(["grade", "--self", "--no-db", work + "/autograder.zip"])
        #expect(listing.stdout.contains("source/tracelab: ") && listing.stdout.contains("over the 1048576-byte limit"))
        #expect(listing.stdout.contains("source/answers/key.yaml") && listing.stdout.contains("source/rules/default_rules.yaml: a Falco rules file"))

        // The autograder's view: the project as source/, the student's files as submission/.
        try FileManager.default.copyItem(atPath: Self.root.appendingPathComponent("examples/submissions/full-marks").path, toPath: work + "/autograder/submission")
        let run = try Self.run(["gradescope", "run", "--root", work + "/autograder"])
        #expect(run.status == 0, "\(run.stderr)")
        let results = try String(contentsOfFile: work + "/autograder/results/results.json", encoding: .utf8)
        #expect(results.hasPrefix("{\"score\":31.0,") && results.contains("\"max_score\":5.0"), "\(results.prefix(200))")
    }

    @Test("validate: exit 0 when clean, 1 on errors; text and JSON")
    func validate() throws {
        let good = try Self.temporary("good.yaml", Self.rules)
        let ok = try Self.run(["validate", good])
        #expect(ok.status == 0)
        #expect(ok.stdout == "\(good): Ok\n")
        let falcoStyle = try Self.run(["validate", "-V", good, "-V", good])
        #expect(falcoStyle.status == 0 && falcoStyle.stdout == "\(good): Ok\n\(good): Ok\n", "\(falcoStyle.stdout)")
        let bad = try Self.temporary("bad.yaml", "- rule: r\n  desc: d\n  condition: evt.type = openat and\n  output: o\n  priority: INFO\n")
        let failed = try Self.run(["validate", "--format", "json", good, bad])
        #expect(failed.status == 1)
        #expect(failed.stdout.hasPrefix(#"{"falco_load_results":[{"errors":[],"name":""# + good + #"","successful":true"#))
        #expect(failed.stdout.contains(#""code":"LOAD_ERR_COMPILE_CONDITION""#))
    }

    @Test("validate --config: the lab's values.yaml with typos gets every error in one run, each with the key it meant")
    func validateConfig() throws {
        let reference = try String(contentsOfFile: Self.root.appendingPathComponent("answers/reference/values.yaml").path, encoding: .utf8)
        let clean = try Self.run(["validate", "--default-rules", "rules/default_rules.yaml", "--config", "answers/reference/values.yaml"])
        #expect(clean.status == 0, "\(clean.stdout)")
        #expect(clean.stdout.hasPrefix("answers/reference/values.yaml: configuration OK\n"))
        #expect(clean.stdout.contains("answers/reference/values.yaml customRules[falco_rules.local.yaml]: Ok"))
        // The lab's own slip: `action` for `actions`; a priority misspelt; a chart key misspelt; a bool that is not one.
        let typos = reference.replacingOccurrences(of: "    actions:", with: "    action:").replacingOccurrences(of: "priority: warning", with: "priority: warnig")
            + "\ndrvier:\n  kind: modern_ebpf\n"
        let values = try Self.temporary("values.yaml", typos.replacingOccurrences(of: "falco:\n", with: "falco:\n  json_output: maybe\n"))
        defer { try? FileManager.default.removeItem(atPath: values) }
        let failed = try Self.run(["validate", "--config", values])
        #expect(failed.status == 1)
        let lines = failed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.prefix(5) == [
            "\(values):3:16: error: 'falco.json_output' must be true or false, not 'maybe'",
            "\(values):4:13: error: 'falco.priority' must be one of emergency, alert, critical, error, warning, notice, informational, info, debug, not 'warnig' (did you mean 'warning'?)",
            "\(values):7:5: error: unknown key 'falco.syscall_event_drops.action' (did you mean 'actions'?); Falco ignores it",
            "\(values):35:1: warning: unknown key 'drvier' of the Falco chart's values (did you mean 'driver'?); Helm ignores it",
            "\(values): 3 configuration errors",
        ], "\(failed.stdout)")
        let json = try Self.run(["validate", "--format", "json", "--config", values])
        #expect(json.status == 1)
        #expect(json.stdout.contains(#""tracelab_config_problems":[{"file":""# + values + #"","line":3,"column":16,"severity":"error","key":"falco.json_output""#), "\(json.stdout.suffix(600))")
    }

    @Test("validate --config falco.yaml: loads the rules_files that exist here, says which it skipped, checks nested types")
    func validateFalcoYAML() throws {
        let rules = try Self.temporary("config-rules.yaml", Self.rules)
        defer { try? FileManager.default.removeItem(atPath: rules) }
        let config = try Self.temporary("falco.yaml", """
        rules_files:
          - /etc/falco/falco_rules.yaml
          - \((rules as NSString).lastPathComponent)
        rule_matching: all
        webserver:
          listen_port: eighty
        metrics:
          interval: 1h
        syscall_event_drops:
          actions: [log, alert]
          max_burts: 10
        """)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let run = try Self.run(["validate", "--config", config])
        #expect(run.status == 1)
        #expect(run.stdout.contains("\(config):6:16: error: 'webserver.listen_port' must be an integer, not 'eighty'"), "\(run.stdout)")
        #expect(run.stdout.contains("\(config):11:3: error: unknown key 'syscall_event_drops.max_burts' (did you mean 'max_burst'?); Falco ignores it"))
        #expect(run.stdout.contains("rules_files entry '/etc/falco/falco_rules.yaml' is not on this machine: skipped, as Falco skips a missing path"))
        #expect(run.stdout.contains("\(rules): Ok"))
        #expect(!run.stdout.contains("interval"))
    }

    @Test("Falco's flags: replay -r RULES -e CAPTURE -c CONFIG, the end-of-run summary on stderr, the file of each alert")
    func falcoFlags() throws {
        let rules = try Self.temporary("falco-flags.yaml", Self.rules)
        defer { try? FileManager.default.removeItem(atPath: rules) }
        let capture = "traces/scap/q1-cat-shadow.scap.gz", trace = "traces/examples/cat-etc-shadow.jsonl"
        let one = try Self.run(["replay", "-r", rules, "-e", capture])
        #expect(one.status == 0)
        #expect(one.stdout == "05:19:49.919706000: Warning shadow read by cat in falco\n", "\(one.stdout)")
        #expect(one.stderr == "Events detected: 1\nRule counts by severity:\n   WARNING: 1\nTriggered rules by rule name:\n   Shadow read: 1\n")
        let two = try Self.run(["replay", "-r", rules, "-e", capture, trace, "--no-summary"])
        #expect(two.stdout == "\(capture): 05:19:49.919706000: Warning shadow read by cat in falco\n\(trace): 13:03:21.000100000: Warning shadow read by cat in falco\n")
        #expect(two.stderr.isEmpty)
        let json = try Self.run(["replay", "-r", rules, "-c", "answers/reference/values.yaml", "-o", "json_output=true", "-e", capture, trace])
        #expect(json.stdout.split(separator: "\n").map { $0.hasSuffix(#","tracelab_file":"\#(capture)"}"#) || $0.hasSuffix(#","tracelab_file":"\#(trace)"}"#) } == [true, true], "\(json.stdout)")
        let none = try Self.run(["replay", "-r", rules, "--priority", "error", trace])
        #expect(none.stdout.isEmpty && none.stderr == "Events detected: 0\nRule counts by severity:\nTriggered rules by rule name:\n")
    }

    @Test("sysdig's flags: filter -r FILE -p FMT COND, -j as JSON objects (sysdig's default fields), -n N")
    func sysdigFlags() throws {
        let capture = "traces/scap/q1-cat-shadow.scap.gz"
        let limited = try Self.run(["filter", "-r", capture, "-n", "2", "-p", "%evt.num %proc.name", "evt.type = openat"])
        #expect(limited.status == 0)
        #expect(limited.stdout.split(separator: "\n").count == 2)
        let json = try Self.run(["filter", "-r", capture, "-j", "-n", "1", "evt.type = execve"])
        #expect(json.stdout == #"{"evt.cpu":0,"evt.dir":">","evt.info":"filename=/tmp/tracelab-record.WrqJkS/bin/containerd-shim","evt.num":2,"evt.outputtime":1796447989901154000,"evt.type":"execve","proc.name":"containerd-shim","thread.tid":9947}"# + "\n", "\(json.stdout)")
        let fields = try Self.run(["filter", "-r", capture, "-j", "-p", "%proc.name %fd.name", "evt.type = openat and fd.name = /etc/shadow"])
        #expect(fields.stdout == #"{"proc.name":"cat","fd.name":"/etc/shadow"}"# + "\n")
        let zero = try Self.run(["filter", "-r", capture, "-n", "0", "evt.type exists"])
        #expect(zero.status == 0 && zero.stdout.isEmpty)
    }

    @Test("promtool's forms: query instant --time, query range --start --end --step, a leading '-' without '--', warnings for unknown metrics and flags")
    func promtoolForms() throws {
        let metrics = "traces/metrics/lab-attacks.om"
        let instant = try Self.run(["query", "instant", "--time", "2026-11-27T11:40:00Z", "--format", "csv", "-sum(container_cpu_usage_seconds_total) > -1e12", metrics])
        #expect(instant.status == 0, "\(instant.stderr)")
        let old = try Self.run(["query", "--at", "2026-11-27T11:40:00Z", "--format", "csv", "-sum(container_cpu_usage_seconds_total) > -1e12", metrics])
        #expect(old.stdout == instant.stdout && instant.stdout.split(separator: "\n").count == 2)
        let range = try Self.run(["query", "range", "--start", "2026-11-27T11:33:13.776Z", "--end", "2026-11-27T11:43:13.776Z", "--step", "10m", "--format", "csv", "sum(container_cpu_usage_seconds_total)", metrics])
        let auto = try Self.run(["query", "--from", "2026-11-27T11:33:13.776Z", "--to", "2026-11-27T11:43:13.776Z", "--step", "10m", "--format", "csv", "sum(container_cpu_usage_seconds_total)", metrics])
        #expect(range.status == 0 && range.stdout == auto.stdout && range.stdout.split(separator: "\n").count == 3, "\(range.stdout)")
        let unknown = try Self.run(["query", "instant", "sum(container_cpu_usage_second_total)", metrics])
        #expect(unknown.stderr.contains("warning: no series named 'container_cpu_usage_second_total' in the sources (did you mean 'container_cpu_usage_seconds_total'?)"))
        let typo = try Self.run(["query", "instant", "up", metrics, "--tme", "0"])
        #expect(typo.status != 0 && typo.stderr.contains("unknown option '--tme' (did you mean '--time'?)"))
        let mixed = try Self.run(["query", "instant", "--step", "1m", "up", metrics])
        #expect(mixed.status != 0 && mixed.stderr.contains("an instant query takes --time"))
        let version2 = try Self.run(["query", "instant", "--prometheus-version", "2", "--format", "csv", "sum(container_cpu_usage_seconds_total)", metrics])
        #expect(version2.status == 0 && !version2.stdout.isEmpty)
    }

    @Test("flows --format json: Zeek conn.log field names, one flow per line; detect's text names each detection's time")
    func flowsAndDetectOutputs() throws {
        let flows = try Self.run(["flows", "--format", "json", "traces/pcaps/nmap-connect.pcap"])
        #expect(flows.status == 0)
        let lines = flows.stdout.split(separator: "\n")
        let table = try Self.run(["flows", "traces/pcaps/nmap-connect.pcap"])
        #expect(table.stdout.split(separator: "\n").last?.hasPrefix("\(lines.count) flows, ") == true)
        #expect(lines.first?.hasPrefix(#"{"ts":1795773295.941445,"id.orig_h":"192.0.2.1","id.orig_p":37966,"id.resp_h":"192.0.2.2","id.resp_p":554,"proto":"tcp","#) == true, "\(lines.first ?? "")")
        #expect(lines.allSatisfy { $0.contains(#""conn_state":"#) && $0.contains(#""history":"#) })
        let detect = try Self.run(["detect", "traces/pcaps/nmap-syn.pcap"])
        #expect(detect.stdout.contains("\n    time: 2026-11-27T09:54:52.765521000Z to 2026-11-27T09:54:52.778210000Z\n"), "\(detect.stdout)")
    }

    @Test("JSON for check (a line per scenario), grade --self (report.json) and diff")
    func jsonOutputs() throws {
        let check = try Self.run(["check", "--format", "json", "scenarios/q1-cat-shadow.yaml", "scenarios/curl-in-nginx.yaml"])
        #expect(check.status == 0)
        let lines = check.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix(#"{"scenario":""#) && $0.contains(#""passed":true"#) }, "\(check.stdout)")
        #expect(lines.first?.contains(#""alerts":{"Read sensitive file untrusted":1}"#) == true)
        let own = try Self.run(["grade", "--self", "--format", "json", "examples/submissions/full-marks"])
        #expect(own.status == 0 && own.stdout.hasPrefix(#"{"submission":"full-marks","key":"runtime-monitoring-lab","key_version":1,"score":31.0,"max_score":31.0,"#))
        let db = Scratch.directory.appendingPathComponent("tracelab-cli-\(getpid())-diff.sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
        _ = try Self.run(["ingest", "--db", db, "traces/examples"])
        _ = try Self.run(["replay", "--db", db, "-r", "rules/default_rules.yaml"])
        _ = try Self.run(["replay", "--db", db, "-r", "rules/default_rules.yaml", "-D", "Terminal*"])
        let diff = try Self.run(["diff", "--db", db, "--format", "json", "1", "2"])
        #expect(diff.stdout.hasPrefix(#"{"from":1,"to":2,"lost":[{"trace":2,"event":1,"alert":{"hostname":"#), "\(diff.stdout)")
        #expect(diff.stdout.hasSuffix(#""gained":[]}"# + "\n"))
    }

    @Test("gradescope package: a key by any path packs what it names where it lies around the key; missing files and toolchain-linked binaries are refused",
          .enabled(if: Prerequisite.runnable(.unzip), Comment(rawValue: Prerequisite.skipReason(.unzip))))
    func gradescopePackageLayout() throws {
        _ = try Prerequisite.unzip.path()
        let work = Scratch.directory.appendingPathComponent("tracelab-cli-\(getpid())-package").path
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        // A binary that needs no Swift library stands in for the static build here (.ci/run checks the real one).
        let key = Self.root.appendingPathComponent("answers/key.yaml").path
        let packed = try Self.run(["gradescope", "package", "--binary", "/usr/bin/env", "--key", key, "-o", work + "/a.zip"])
        #expect(packed.status == 0, "\(packed.stderr)")
        let listing = try Self.run(["gradescope", "package", "--binary", "/usr/bin/env", "--key", key, "-o", work + "/b.zip"])
        #expect(listing.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: work + "/a.zip")) == Data(contentsOf: URL(fileURLWithPath: work + "/b.zip")))
        let unzip = Process()
        unzip.executableURL = URL(fileURLWithPath: try Prerequisite.unzip.path())
        unzip.arguments = ["-Z1", work + "/a.zip"]
        let pipe = Pipe()
        unzip.standardOutput = pipe
        try unzip.run()
        let names = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
        unzip.waitUntilExit()
        for name in ["run_autograder", "setup.sh", "source/tracelab", "source/answers/key.yaml", "source/rules/default_rules.yaml",
                     "source/traces/syscalls/curl-in-nginx.strace", "source/traces/syscalls/curl-in-nginx.strace.sidecar.json"] {
            #expect(names.contains(name), "\(name) not in \(names.prefix(8))")
        }
        #expect(!names.contains { $0.contains("reference/") || $0.contains("examples/") })
        // The same key copied away from the files it names: refused, each missing file named.
        try FileManager.default.copyItem(atPath: key, toPath: work + "/key.yaml")
        let alone = try Self.run(["gradescope", "package", "--binary", "/usr/bin/env", "--key", work + "/key.yaml", "-o", work + "/c.zip"])
        #expect(alone.status == 1 && alone.stderr.contains("the key names files that are not here: ") && alone.stderr.contains("rules/default_rules.yaml"), "\(alone.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/c.zip"))
        let dynamic = try Self.run(["gradescope", "package", "--binary", Self.executable, "-o", work + "/d.zip"])
        #expect(dynamic.status == 1 && dynamic.stderr.contains("needs the Swift toolchain's ") && dynamic.stderr.contains("libswiftCore.so"))
    }

    @Test("--version names the engine versions emulated; completions for bash, zsh and fish")
    func versionAndCompletions() throws {
        let version = try Self.run(["--version"])
        #expect(version.status == 0)
        let lines = version.stdout.split(separator: "\n")
        #expect(lines.count == 4 && lines[0].hasPrefix("tracelab 0.5.0-dev (commit "))
        #expect(lines[1].hasPrefix("Falco rule engine: ") && lines[2].contains("libsinsp 0.29") && lines[3].hasPrefix("PromQL: Prometheus 3 semantics"))
        for (shell, marker) in [("bash", "complete -o filenames -F _tracelab tracelab"), ("zsh", "#compdef tracelab"), ("fish", "complete -c 'tracelab'")] {
            let script = try Self.run(["completions", shell])
            #expect(script.status == 0 && script.stdout.contains(marker) && script.stdout.contains("replay"), "\(shell)")
        }
        #expect(try Self.run(["completions", "tcsh"]).status != 0)
    }

    @Test("replay prints Falco's alert lines and JSON; priority filters")
    func replay() throws {
        let rules = try Self.temporary("replay.yaml", Self.rules)
        let trace = Self.root.appendingPathComponent("traces/examples/cat-etc-shadow.jsonl").path
        let text = try Self.run(["replay", "--rules", rules, trace])
        #expect(text.status == 0)
        #expect(text.stdout == "13:03:21.000100000: Warning shadow read by cat in falco\n")
        let json = try Self.run(["replay", "--rules", rules, "--format", "json", trace])
        #expect(json.stdout.hasPrefix(#"{"hostname":"minikube","output":"13:03:21.000100000: Warning shadow read by cat in falco""#))
        let quiet = try Self.run(["replay", "--rules", rules, "--priority", "error", trace])
        #expect(quiet.stdout.isEmpty)
        let untagged = try Self.run(["replay", "--rules", rules, "-T", "files", trace])
        #expect(untagged.stdout.isEmpty)
        let missing = try Self.run(["replay", "--rules", rules, "/nonexistent/trace.jsonl"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/trace.jsonl:0:0: cannot open"))
    }

    @Test("replay with a falco.yaml and -o overrides")
    func replayWithConfig() throws {
        let rules = try Self.temporary("config-rules.yaml", Self.rules)
        let config = try Self.temporary("falco.yaml", "rules_files: [\(rules)]\njson_output: true\njson_include_output_fields_property: false\ntime_format_iso_8601: true\n")
        let trace = Self.root.appendingPathComponent("traces/examples/cat-etc-shadow.jsonl").path
        let output = try Self.run(["replay", "--config", config, trace])
        #expect(output.status == 0)
        #expect(output.stdout == #"{"hostname":"minikube","output":"2025-03-27T13:03:21.000100000+0000: Warning shadow read by cat in falco","priority":"Warning","rule":"Shadow read","source":"syscall","tags":["files"],"time":"2025-03-27T13:03:21.000100000Z"}"# + "\n")
        let disabled = try Self.run(["replay", "--config", config, "-o", "rules[].disable.tag=files", trace])
        #expect(disabled.stdout.isEmpty)
        let bad = try Self.run(["replay", "--config", config, "-o", "priority=loud", trace])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("Unknown priority \"loud\""))
    }

    @Test("filter: sysdig-style output, --check and --parse-only exit codes")
    func filter() throws {
        let trace = Self.root.appendingPathComponent("traces/examples/cat-etc-shadow.jsonl").path
        let matched = try Self.run(["filter", "-p", "%evt.num %proc.name %fd.name", "evt.type = openat", trace])
        #expect(matched.stdout == "2 cat /etc/shadow\n5 cat /etc/passwd\n")
        #expect(try Self.run(["filter", "--parse-only", "a and (b or not c)"]).status == 0)
        #expect(try Self.run(["filter", "--parse-only", "a andb"]).status == 1)
        #expect(try Self.run(["filter", "--check", "proc.name = cat"]).status == 0)
        let unknown = try Self.run(["filter", "--check", "proc.nope = cat"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("condition:1:1: filter_check called with nonexistent field proc.nope"))
    }

    @Test("fields lists the catalog like falco --list")
    func fields() throws {
        let output = try Self.run(["fields", "--field-class", "proc"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("proc.aname[N?]"))
        #expect(output.stdout.contains("proc.cmdline"))
        let json = try Self.run(["fields", "--format", "json"])
        #expect(json.stdout.contains(#"{"name":"fd.name","class":"fd","type":"FSPATH""#))
    }

    @Test("probe: the matrix and hints as text, JSON, an HTML file; --min-coverage as a rule author's CI gate; usage errors")
    func probe() throws {
        let rules = try Self.temporary("probe-curl.yaml", """
            - rule: Curl run in a pod
              desc: curl started inside a container
              condition: spawned_process and container and proc.name = curl
              output: "curl in %container.name"
              priority: WARNING
            """)
        defer { try? FileManager.default.removeItem(atPath: rules) }
        let text = try Self.run(["probe", "--rules", rules, "--behaviour", "fetch-url-in-container"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("fetch-url-in-container: 1 of 7 caught (14.3%)"))
        #expect(text.stdout.contains("  fetch-curl-renamed   yes    .    .\n"))
        #expect(text.stdout.contains("  fetch-bash-dev-tcp   yes    .    d\n"))
        #expect(text.stdout.contains("MISSED: fetch-curl-renamed (a copy of curl named kfetch)\n    no default rule alerts either\n    hint: a copy of curl named kfetch"))
        let gate = try Self.run(["probe", "--rules", rules, "--min-coverage", "50%"])
        #expect(gate.status == 1 && gate.stderr.contains("fetch-url-in-container: coverage 1 of 7 is below --min-coverage 0.5"))
        #expect(try Self.run(["probe", "--rules", rules, "--min-coverage", "0.1"]).status == 0)
        let json = try Self.run(["probe", "--rules", rules, "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["variants"] as? [Any])?.count == 61 && object?["probed_rules"] as? [String] == ["Curl run in a pod"])
        let page = Scratch.directory.appendingPathComponent("probe.html").path
        let html = try Self.run(["probe", "--rules", rules, "--format", "html", "-o", page])
        #expect(html.status == 0 && html.stdout.isEmpty)
        #expect(try String(contentsOfFile: page, encoding: .utf8).contains("<table id=\"matrix\">"))
        #expect(try Self.run(["probe", "--rules", rules, "--min-coverage", "150%"]).status == 64)
        let unknown = try Self.run(["probe", "--rules", rules, "--behaviour", "shell"])
        #expect(unknown.status == 1 && unknown.stderr.contains("no variant performs 'shell'"))
        let nothing = try Self.run(["probe", "--rules", rules, "--behaviour", "shell-in-container", "--min-coverage", "0.5"])
        #expect(nothing.status == 1)
    }

    @Test("Falco's -p FORMAT and append_output: the format appended to the outputs the entry matches; -pc and -pk change nothing, as in current Falco; an unknown field stops the run")
    func appendedOutput() throws {
        let trace = "traces/syscalls/q1-cat-shadow.strace"
        let plain = try Self.run(["replay", "-r", "rules/default_rules.yaml", trace, "--no-summary"])
        #expect(plain.status == 0 && plain.stdout.hasSuffix("container_id=3f2a9c1b7d4e container_name=falco)\n"), "\(plain.stdout)")
        for flag in ["-pc", "-pk"] {
            let same = try Self.run(["replay", "-r", "rules/default_rules.yaml", flag, trace, "--no-summary"])
            #expect(same.status == 0 && same.stdout == plain.stdout && same.stderr.contains("the -p/--print option is deprecated"))
        }
        let printed = try Self.run(["replay", "-r", "rules/default_rules.yaml", "-p", "pid=%proc.pid ns=%k8s.ns.name", trace, "--no-summary"])
        #expect(printed.stdout == plain.stdout.dropLast() + " pid=9949 ns=default\n")
        let config = try Self.temporary("append-output.yaml", """
            append_output:
              - match: {rule: Read sensitive file untrusted}
                extra_output: "pid=%proc.pid"
              - match: {tags: [container, no_rule_has_this]}
                extra_output: "never=%proc.name"
              - extra_output: "host=%evt.hostname"
              - match: {rule: Read sensitive file untrusted}
                extra_fields:
                  - proc.ppid
                  - who: "%user.name ran %proc.name"
            """)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let json = try Self.run(["replay", "-r", "rules/default_rules.yaml", "-c", config, "-o", "json_output=true", trace, "--no-summary"])
        let alert = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((alert?["output"] as? String)?.hasSuffix("container_name=falco) pid=9949 host=minikube") == true, "\(json.stdout)")
        let fields = alert?["output_fields"] as? [String: Any]
        #expect(fields?["proc.pid"] as? Int == 9949)
        // extra_fields go to output_fields only: the field by name with its typed value, a key with its format rendered.
        #expect(fields?["who"] as? String == "root ran cat" && fields?["proc.ppid"] as? Int != nil, "\(fields ?? [:])")
        let output = alert?["output"] as? String ?? ""
        #expect(output.hasSuffix("pid=9949 host=minikube") && !output.contains("root ran cat"))
        let bad = try Self.run(["replay", "-r", "rules/default_rules.yaml", "-p", "x=%proc.nam", trace])
        #expect(bad.status == 1 && bad.stderr.contains("append_output 'x=%proc.nam': invalid formatting token proc.nam"))
    }

    @Test("--falco-version 0.40, the lab's Falco: %container.info stands for the container's id and name; -pc and -pk add container and Kubernetes fields in its place or at the end; -pcg keeps the gVisor fields in both")
    func falco040Outputs() throws {
        let trace = "traces/syscalls/q1-cat-shadow.strace"
        let rules = try Self.temporary("container-info.yaml", """
            - rule: Shadow read
              desc: reads /etc/shadow
              condition: evt.type in (open, openat) and fd.name = /etc/shadow
              output: "shadow read by %proc.name %container.info"
              priority: WARNING
            - rule: Cat run
              desc: cat runs
              condition: evt.type = execve and proc.name = cat
              output: "cat ran"
              priority: NOTICE
            """)
        defer { try? FileManager.default.removeItem(atPath: rules) }
        func alerts(_ options: [String]) throws -> [String] {
            let run = try Self.run(["replay", "-r", rules] + options + [trace, "--no-summary"])
            #expect(run.status == 0, "\(run.stderr)")
            return run.stdout.split(separator: "\n").map { String($0.drop { $0 != " " }.dropFirst()) }
        }
        #expect(try alerts([]) == ["Notice cat ran", "Warning shadow read by cat "])
        #expect(try alerts(["--falco-version", "0.40"]) == ["Notice cat ran", "Warning shadow read by cat container_id=3f2a9c1b7d4e container_name=falco"])
        let container = "container_id=3f2a9c1b7d4e container_image=docker.io/falcosecurity/falco container_image_tag=0.40.0 container_name=falco"
        #expect(try alerts(["--falco-version", "0.40", "-pc"]) == ["Notice cat ran " + container, "Warning shadow read by cat " + container])
        #expect(try alerts(["--falco-version", "0.40", "-pk"]).last == "Warning shadow read by cat " + container + " k8s_ns=default k8s_pod_name=falco-wmmt2")
        #expect(try alerts(["--falco-version", "0.40", "-p", "pid=%proc.pid"]).last == "Warning shadow read by cat container_id=3f2a9c1b7d4e container_name=falco pid=9949")
        #expect(try alerts(["-pcg"]) == ["Notice cat ran vpid=9949 vtid=9949", "Warning shadow read by cat  vpid=9949 vtid=9949"])
    }

    @Test("validate reports every error of a file in one run (falco -V stops at the first); a macro that does not parse adds no errors to the rules using it")
    func everyError() throws {
        let rules = try Self.temporary("every-error.yaml", """
            - macro: bad_macro
              condition: (proc.name = x
            - rule: uses bad macro
              desc: d
              condition: bad_macro and evt.type = open
              output: o
              priority: WARNING
            - rule: bad priority
              desc: d
              condition: evt.type = open
              output: o
              priority: SEVERE
            - rule: unknown field
              desc: d
              condition: proc.nam = cat
              output: o
              priority: WARNING
            - rule: undefined macro
              desc: d
              condition: open_reed
              output: o
              priority: WARNING
            - macro: uses_missing
              condition: no_such_macro and evt.type = open
            - rule: uses a macro with an undefined macro
              desc: d
              condition: uses_missing
              output: o
              priority: WARNING
            """)
        defer { try? FileManager.default.removeItem(atPath: rules) }
        let run = try Self.run(["validate", rules])
        #expect(run.status == 1)
        #expect(run.stdout.contains("5 Errors:"), "\(run.stdout)")
        for expected in ["Invalid priority", "expected a ')' token", "nonexistent field proc.nam", "Undefined macro 'open_reed' used in filter.",
                         "Undefined macro 'no_such_macro' used in filter."] {
            #expect(run.stdout.contains(expected), "\(expected)")
        }
        #expect(!run.stdout.contains("In rule 'uses bad macro'") && !run.stdout.contains("In rule 'uses a macro with an undefined macro'"))
        // Falco's own loading (replay, grade) stops at the first error, as falco does.
        let loader = RulesLoader()
        let result = loader.load(path: rules)
        #expect(result.errors.count == 1 && loader.compiledRules.isEmpty)
    }
}
