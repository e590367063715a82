import FalcoRules
import Foundation
import Scenarios
import TestSupport
import Testing
import TraceModel

/// The evasion corpus (scenarios/evasions.yaml) and `RobustnessProbe`: the labels, the pinned alerts of each rule
/// set, and what the probe says of a rule that names a program against one that watches the behaviour.
@Suite("robustness probe")
struct ProbeTests {
    static let corpusPath = ScenarioTests.root.appendingPathComponent("scenarios/evasions.yaml").path
    static let defaultRules = ScenarioTests.root.appendingPathComponent("rules/default_rules.yaml").path

    /// A curl rule as students commonly write it: the program's name.
    static let curlByName = """
    - rule: Curl run in a pod
      desc: curl started inside a container
      condition: spawned_process and container and proc.name = curl
      output: "curl in %container.name (command=%proc.cmdline)"
      priority: WARNING
    """

    /// Rules on the behaviour: any connection made from a container, any new process on a terminal in one.
    static let byBehaviour = """
    - rule: Connection from a container
      desc: a process in a container connects to an IP address
      condition: evt.type = connect and evt.dir = < and container and fd.typechar in (4, 6) and fd.sip exists
      output: "%proc.name connects to %fd.sip:%fd.sport in %container.name"
      priority: NOTICE
    - rule: Terminal process in a container
      desc: a new process on a terminal in a container
      condition: spawned_process and container and proc.tty != 0
      output: "%proc.name on a terminal in %container.name"
      priority: NOTICE
    """

    static func probe(_ rules: String, behaviours: [String] = []) throws -> RobustnessProbe {
        let loader = RulesLoader()
        try #require(loader.load(path: defaultRules).successful)
        let defaultItems = loader.itemLog.count
        try #require(loader.load(bytes: Array(rules.utf8), name: "student.yaml").successful)
        return try RobustnessProbe.run(corpus: try Scenario.load(path: corpusPath), loader: loader,
                                       probed: RobustnessProbe.rules(loadedAfter: defaultItems, in: loader), behaviours: behaviours)
    }

    static func row(_ probe: RobustnessProbe, _ name: String) throws -> RobustnessProbe.Row {
        try #require(probe.rows.first { $0.variant.name == name }, "no variant \(name)")
    }

    @Test("the corpus: 61 recorded variants of four behaviours, labelled, each pinning what three rule sets raise on it")
    func corpus() throws {
        let corpus = try Scenario.load(path: Self.corpusPath)
        #expect(corpus.variants.count == 61)
        #expect(Set(corpus.variants.map(\.behaviour)) == ["read-file", "write-file", "shell-in-container", "fetch-url-in-container"])
        #expect(corpus.variants.filter { $0.expectation == .yes }.count == 58)
        #expect(corpus.variants.filter { $0.expectation != .yes }.map(\.name).sorted() == ["fetch-curl-host", "touch-sensitive-open", "touch-sensitive-times"])
        for variant in corpus.variants {
            #expect(FileManager.default.fileExists(atPath: corpus.tracePath(of: variant)), "\(variant.name)")
            #expect(Set(variant.alerts.keys) == ["default_rules", "falco_rules-3.2.0", "falco_rules"], "\(variant.name)")
        }
        // Every variant of a name-based rule's blind spots carries a hint.
        for name in ["fetch-curl-renamed", "shell-busybox", "read-shadow-symlink", "read-shadow-proc-root", "write-sensitive-sed-i"] {
            #expect(corpus.variants.first { $0.name == name }?.hint?.isEmpty == false, "\(name)")
        }
    }

    @Test("a changed label fails tracelab check, naming the variant and the rule")
    func changedLabel() throws {
        var text = try String(contentsOfFile: Self.corpusPath, encoding: .utf8)
            .replacingOccurrences(of: "trace: ../", with: "trace: \(ScenarioTests.root.path)/")
        let cat = try #require(text.range(of: #"default_rules: ["Read sensitive file untrusted"]"#))
        text.replaceSubrange(cat, with: "default_rules: []")
        let bash = try #require(text.range(of: #"default_rules: ["Terminal shell in container"]"#))
        text.replaceSubrange(bash, with: #"default_rules: ["Terminal shell in container", "Run shell untrusted"]"#)
        let path = Scratch.directory.appendingPathComponent("evasions-changed.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try Scenario.load(path: path).check(engine: ScenarioTests.engine([Self.defaultRules]), ruleSet: "default_rules")
        #expect(!result.passed)
        #expect(result.missing == ["shell-bash: Run shell untrusted not raised"])
        #expect(result.unexpected == ["read-shadow-cat: Read sensitive file untrusted raised"])
    }

    @Test("a rule on curl's name: curl caught; the copy, wget, busybox, python, ncat and /dev/tcp missed, each with its hint")
    func nameBasedRule() throws {
        let probe = try Self.probe(Self.curlByName)
        #expect(probe.probedRules == ["Curl run in a pod"])
        let fetch = try #require(probe.attacks.first { $0.name == "fetch-url-in-container" })
        #expect(fetch.inScope && fetch.caught == 1 && fetch.shouldCatch == 7 && fetch.falseAlarms.isEmpty)
        #expect(probe.attacks.filter(\.inScope).map(\.name) == ["fetch-url-in-container"])
        #expect(probe.minimumCoverage == 1.0 / 7.0)
        let curl = try Self.row(probe, "fetch-curl")
        #expect(curl.byProbed.map(\.rule) == ["Curl run in a pod"] && curl.byProbed[0].event.contains("execve by curl["))
        let renamed = try Self.row(probe, "fetch-curl-renamed")
        #expect(renamed.missed && renamed.byDefault.isEmpty && renamed.variant.hint?.contains("proc.name = curl") == true)
        // bash's /dev/tcp is caught by a default rule, not by the student's.
        #expect(try Self.row(probe, "fetch-bash-dev-tcp").byDefault.map(\.rule) == ["Redirect STDOUT/STDIN to Network Connection in Container"])
        #expect(!(try Self.row(probe, "fetch-curl-host")).caught)
    }

    @Test("rules on the behaviour: every downloader and every terminal shell caught, curl on the host not")
    func behaviourRules() throws {
        let probe = try Self.probe(Self.byBehaviour)
        #expect(probe.attacks.filter(\.inScope).map(\.name) == ["shell-in-container", "fetch-url-in-container"])
        for attack in probe.attacks where attack.inScope { #expect(attack.coverage == 1 && attack.falseAlarms.isEmpty, "\(attack.name)") }
        let renamed = try Self.row(probe, "shell-renamed")
        #expect(renamed.byProbed.map(\.rule) == ["Terminal process in a container"] && renamed.byProbed[0].event.contains("by kworker["))
        #expect(!(try Self.row(probe, "fetch-curl-host")).caught)
    }

    @Test("--behaviour puts an attack in scope though nothing is caught; an unknown behaviour is refused with a suggestion")
    func behaviourSelection() throws {
        let probe = try Self.probe(Self.curlByName, behaviours: ["write-file"])
        #expect(probe.rows.count == 8 && probe.attacks.map(\.name) == ["write-file /tmp/sensitive.txt"])
        #expect(probe.attacks[0].inScope && probe.minimumCoverage == 0)
        do {
            _ = try Self.probe(Self.curlByName, behaviours: ["read-files"])
            Issue.record("an unknown behaviour was accepted")
        } catch {
            #expect("\(error)".contains("no variant performs 'read-files' (did you mean 'read-file'?)"))
        }
    }
}
