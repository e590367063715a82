import Foundation
import TestSupport
import Replay
import Testing
import FalcoRules
import Scenarios
import Store
import TraceModel
import TraceReaders

/// Every scenario passes with TraceLab's lab rules and with Falco's rules (3.2.0, the lab's, and 5.x);
/// a wrong expectation is reported readably; the store and the file give the same alerts.
@Suite("Scenarios")
struct ScenarioTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var scenarioFiles: [String] {
        let folder = root.appendingPathComponent("scenarios").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted().map { folder + "/" + $0 }
    }

    static func engine(_ paths: [String]) -> RuleEngine {
        let loader = RulesLoader()
        for path in paths { loader.load(path: path) }
        return RuleEngine(loader: loader)
    }

    static func checkAll(rules: [String], ruleSet: String) throws -> [ScenarioResult] {
        try scenarioFiles.map { file in try Scenario.load(path: file).check(engine: engine(rules), ruleSet: ruleSet) }
    }

    @Test("every scenario passes with the default rules")
    func labRules() throws {
        let results = try Self.checkAll(rules: [Self.root.appendingPathComponent("rules/default_rules.yaml").path], ruleSet: "default_rules")
        #expect(results.count == 18, "every scenario of scenarios/")
        for result in results { #expect(result.passed, "\(result.report)") }
        #expect(results.first { $0.scenario == "q1-cat-shadow" }?.alerts.map(\.rule) == ["Read sensitive file untrusted"])
        #expect(results.first { $0.scenario == "q2-shell-in-nginx" }?.alerts.map(\.rule) == ["Terminal shell in container"])
        #expect(results.first { $0.scenario == "benign-workloads" }?.alerts.isEmpty == true)
    }

    @Test("checked against a database, every scenario gives the report it gives from its files, as one stored run; a re-check ingests nothing again")
    func checkThroughStore() throws {
        let database = Scratch.directory.appendingPathComponent("tracelab-check-\(getpid()).sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) } }
        let store = try TraceStore(path: database)
        let rules = Self.root.appendingPathComponent("rules/default_rules.yaml").path
        let setup = RunSetup(rulesFiles: [(rules, "")], config: FalcoConfig().json)
        let fromFiles = try Self.checkAll(rules: [rules], ruleSet: "default_rules")
        let scenarios = try Self.scenarioFiles.map { try Scenario.load(path: $0) }
        let fromStore = try scenarios.map { try $0.check(engine: Self.engine([rules]), ruleSet: "default_rules", store: store, setup: setup) }
        #expect(fromStore.map(\.report) == fromFiles.map(\.report))
        #expect(fromStore.map(\.events) == fromFiles.map(\.events))
        // The corpus scenario replays each variant from its file, even with a store (a run per variant would say nothing more).
        let withTraces = scenarios.filter { !$0.tracePaths.isEmpty && $0.variants.isEmpty }.count
        #expect(fromStore.compactMap(\.runID).count == withTraces && withTraces == 11, "one run per scenario with syscall recordings")
        let runs = try store.runs()
        #expect(runs.count == withTraces && runs.allSatisfy { $0.status == "complete" })
        let traces = try store.traces().count
        _ = try scenarios.map { try $0.check(engine: Self.engine([rules]), ruleSet: "default_rules", store: store, setup: setup) }
        #expect(try store.traces().count == traces, "recordings are ingested once, by content hash")
        #expect(try store.runs().count == 2 * withTraces)
    }

    @Test("every scenario passes with Falco's rules", .enabled(if: Prerequisite.shared.runnable, Comment(rawValue: Prerequisite.shared.skipReason)),
          arguments: ["falco_rules-3.2.0", "falco_rules"])
    func upstreamRules(name: String) throws {
        let shared = try Repository.shared("upstream/\(name).yaml")
        for result in try Self.checkAll(rules: [shared], ruleSet: name) { #expect(result.passed, "\(result.report)") }
    }

    @Test("a wrong expectation gives a readable diff")
    func readableDiff() throws {
        let path = Scratch.directory.appendingPathComponent("tracelab-scenario-\(getpid()).yaml").path
        try """
        scenario: wrong
        traces: [\(Self.root.appendingPathComponent("traces/syscalls/q1-cat-shadow.strace").path)]
        expect:
          - rule: Read sensitive file untrusted
            priority: Critical
            on: evt.type = openat and fd.name = /etc/shadow
          - rule: Terminal shell in container
            priority: Notice
        silent: true
        """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Scenario.load(path: path).check(engine: Self.engine([Self.root.appendingPathComponent("rules/default_rules.yaml").path]), ruleSet: "default_rules")
        #expect(!result.passed)
        #expect(result.report.contains("- missing: Read sensitive file untrusted (Critical) on evt.type = openat and fd.name = /etc/shadow: an alert differs: priority Warning (expected Critical)"))
        #expect(result.report.contains("- missing: Terminal shell in container (Notice) on evt.num > 0: not raised"))
        #expect(result.report.contains("+ unexpected: Read sensitive file untrusted (Warning) on event"))
        #expect { _ = try Scenario.load(path: "/nonexistent.yaml") } throws: { "\($0)".contains("/nonexistent.yaml") }
    }

    @Test("capture scenarios: a wrong expected detection and an unexpected one are reported readably")
    func captureDiff() throws {
        let path = Scratch.directory.appendingPathComponent("tracelab-scenario-capture-\(getpid()).yaml").path
        try """
        scenario: wrong-capture
        captures: [\(Self.root.appendingPathComponent("traces/pcaps/nmap-syn-subnet.pcap").path)]
        expect_detections:
          - {kind: subnet-scan, technique: connect, source: 192.0.2.1}
          - {kind: syn-flood}
        silent: true
        """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Scenario.load(path: path).check(engine: Self.engine([Self.root.appendingPathComponent("rules/default_rules.yaml").path]), ruleSet: "default_rules")
        #expect(!result.passed && result.packets == 1012 && result.detections.count == 2)
        #expect(result.report.contains("- missing: detection subnet-scan [connect] from 192.0.2.1: a detection differs: technique SYN (expected connect)"), "\(result.report)")
        #expect(result.report.contains("- missing: detection syn-flood: not detected"))
        #expect(result.report.contains("+ unexpected: detection in nmap-syn-subnet: 192.0.2.1 SYN scan of 81 ports on 3 hosts"))
        #expect(result.report.contains("+ unexpected: detection in nmap-syn-subnet: 192.0.2.1 ARP ping sweep of 255 addresses"))

        try """
        scenario: bad-kind
        captures: [x.pcap]
        expect_detections:
          - {kind: port-sweep}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        #expect { _ = try Scenario.load(path: path) } throws: { "\($0)".contains("unknown detection kind 'port-sweep'") && "\($0)".contains(":4:") }
    }

    @Test("an strace recording exported to JSON Lines replays into the same alerts")
    func exportRoundTrip() throws {
        let rules = Self.root.appendingPathComponent("rules/default_rules.yaml").path
        for name in ["q1-cat-shadow", "q2-shell-in-nginx", "nmap-scan"] {
            let trace = Self.root.appendingPathComponent("traces/syscalls/\(name).strace").path
            let (stream, _) = try TraceFiles.open(trace)
            var writer = JSONLinesWriter()
            var text = writer.header(stream.traceHeader ?? TraceHeader())
            var direct: [String] = []
            let engine = Self.engine([rules])
            while let event = try stream.next() {
                text += writer.lines(for: event)
                direct += engine.process(event).map { AlertFormatting.json($0).rendered }
            }
            let exported = Scratch.directory.appendingPathComponent("tracelab-export-\(getpid())-\(name).jsonl").path
            try text.write(toFile: exported, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: exported) }
            let replayEngine = Self.engine([rules])
            let replayed = try JSONLinesReader.readAll(path: exported).flatMap { replayEngine.process($0).map { AlertFormatting.json($0).rendered } }
            // nmap's packet sockets raise nothing with 3.2.0's rule (it reads the enter event, which strace recordings lack).
            #expect(direct.isEmpty == (name == "nmap-scan"), "\(name)")
            #expect(replayed == direct, "\(name)")
        }
    }

    @Test("replaying a recording from the file and from the store gives identical alerts")
    func fileAndStore() throws {
        let database = Scratch.directory.appendingPathComponent("tracelab-scenarios-\(getpid()).sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        let store = try TraceStore(path: database)
        let rules = Self.root.appendingPathComponent("rules/default_rules.yaml").path
        for name in ["q1-cat-shadow", "q2-shell-in-nginx", "nmap-scan"] {
            let trace = Self.root.appendingPathComponent("traces/syscalls/\(name).strace").path
            let stored = try store.ingest(path: trace)
            #expect(stored.format == .straceLog)
            var fromStore: [String] = []
            _ = try TraceReplay.run(traceIDs: [stored.traceID], from: store, through: Self.engine([rules]),
                                 setup: RunSetup(rulesFiles: [(rules, "")], config: FalcoConfig().json)) { alert, _ in fromStore.append(AlertFormatting.json(alert).rendered) }
            let (stream, _) = try TraceFiles.open(trace)
            let engine = Self.engine([rules])
            var fromFile: [String] = []
            while let event = try stream.next() { fromFile += engine.process(event).map { AlertFormatting.json($0).rendered } }
            #expect(fromFile.isEmpty == (name == "nmap-scan"), "\(name)")
            #expect(fromStore == fromFile, "\(name)")
        }
    }
}
