import FalcoRules
import Replay
import Foundation
import Testing
import TraceModel
import TraceReaders

/// TraceLab's rules/default_rules.yaml against Falco's own default rules (../shared/upstream): every name
/// resolves, every list has the same items, and every macro, evaluated as a filter, selects exactly the
/// events upstream's selects on every recording in traces/, on the generated benchmark trace and on probe
/// events made from both sides' conditions. The figures docs/default-rules.md publishes are pinned here.
@Suite("Default rules differential", .serialized, .enabled(if: SharedData.runnable, SharedData.skipComment))
struct DefaultRulesDifferentialTests {
    static let ours = SharedData.repositoryRoot.appendingPathComponent("rules/default_rules.yaml").path

    static func load(_ path: String) throws -> RulesLoader {
        let loader = RulesLoader()
        let result = loader.load(path: path)
        try #require(result.successful, "\(path) does not load: \(LoadResultFormatting.text([result]))")
        return loader
    }

    static func upstream(_ name: String) throws -> String {
        try SharedData.path("upstream/" + name)
    }

    /// Every recording in traces/ (strace with sidecars, scap, JSON Lines), the benchmark trace and the probes.
    static func compare(reference: RulesLoader, candidate: RulesLoader) throws -> RuleSetComparison {
        let traces = ["syscalls", "scap", "examples"].map { SharedData.repositoryRoot.appendingPathComponent("traces/" + $0).path }
        return try RuleSetComparison.run(reference: reference, candidate: candidate,
                                         traces: expandDirectories(traces, suffixes: [".strace", ".scap.gz", ".jsonl"]), synthetic: 50_000, probes: true)
    }

    @Test("every macro, list and rule name of Falco's default rules 3.2.0 and 5.x is defined, and FalcoDefaultNames lists exactly them")
    func names() throws {
        let ours = try Self.load(Self.ours)
        var macros: Set<String> = [], lists: Set<String> = [], rules: Set<String> = []
        for file in ["falco_rules-3.2.0.yaml", "falco_rules.yaml"] {
            let upstream = try Self.load(try Self.upstream(file))
            macros.formUnion(upstream.macroNames)
            lists.formUnion(upstream.listNames)
            rules.formUnion(upstream.compiledRules.map(\.name))
        }
        #expect(macros.subtracting(ours.macroNames).isEmpty, "macros missing: \(macros.subtracting(ours.macroNames).sorted())")
        #expect(lists.subtracting(ours.listNames).isEmpty, "lists missing: \(lists.subtracting(ours.listNames).sorted())")
        #expect(Set(ours.macroNames) == macros && Set(ours.listNames) == lists, "no name of ours beyond Falco's")
        #expect(Set(ours.compiledRules.map(\.name)) == rules)
        #expect(Set(FalcoDefaultNames.macros) == macros && Set(FalcoDefaultNames.lists) == lists && Set(FalcoDefaultNames.rules) == rules)
        #expect(macros.count == 87 && lists.count == 49 && rules.count == 25)
        #expect(FalcoDefaultNames.missing(from: ours).isEmpty)
        // always_true is commented out upstream: a rule that uses it must fail here as it fails in Falco.
        #expect(!ours.macroNames.contains("always_true"))
    }

    @Test("each rule keeps Falco 3.2.0's priority, tags and output fields (container.info written out as container.id and container.name)")
    func rules() throws {
        let ours = try Self.load(Self.ours), upstream = try Self.load(try Self.upstream("falco_rules-3.2.0.yaml"))
        for rule in upstream.compiledRules {
            let mine = try #require(ours.compiledRules.first { $0.name == rule.name }, "rule \(rule.name)")
            #expect(mine.priority == rule.priority && mine.tags == rule.tags && mine.enabled == rule.enabled, "\(rule.name)")
            let expected = Set(rule.output.fieldKeys).subtracting(["container.info"]).union(["container.id", "container.name"])
            #expect(Set(mine.output.fieldKeys) == expected, "\(rule.name): \(Set(mine.output.fieldKeys).symmetricDifference(expected))")
            #expect(mine.outputText.prefix(while: { $0 != "(" }) == rule.outputText.prefix(while: { $0 != "(" }), "\(rule.name): the message before the fields")
        }
        #expect(ours.compiledRules.map(\.name) == upstream.compiledRules.map(\.name), "same load order, which decides rule_matching: first")
    }

    @Test("against Falco 3.2.0 (the lab's): every macro selects exactly the same events, every list has the same items")
    func againstLabVersion() throws {
        let comparison = try Self.compare(reference: try Self.load(try Self.upstream("falco_rules-3.2.0.yaml")), candidate: try Self.load(Self.ours))
        let different = comparison.macros.filter { !$0.identical }
        let described = different.map { "\($0.name): " + ($0.firstDisagreement ?? "\($0.reference) / \($0.candidate)") }
        #expect(different.map(\.name) == ["postgres_running_cnpg"], "\(described)")
        #expect(different.first?.reference == .undefined, "postgres_running_cnpg is 5.x's only")
        #expect(comparison.lists.allSatisfy { $0.identical }, "\(comparison.lists.filter { !$0.identical }.map(\.name))")
        // The comparison is not vacuous: pinned counts of macros that select something, and of events.
        let selecting = comparison.macros.filter { $0.selectedByReference > 0 }.count
        #expect(selecting == 66, "macros that select at least one event: \(selecting)")
        #expect(comparison.macros.first { $0.name == "open_read" }?.selectedByReference ?? 0 > 100)
    }

    @Test("against Falco 5.x: only the macros and lists 5.x changed differ, as docs/default-rules.md explains")
    func againstCurrentVersion() throws {
        let comparison = try Self.compare(reference: try Self.load(try Self.upstream("falco_rules.yaml")), candidate: try Self.load(Self.ours))
        let different = comparison.macros.filter { !$0.identical }.map(\.name)
        // The macros whose text 5.x changed (10; outbound changed too but no recording or probe makes a public
        // connect), and run_by_package_mgmt_binaries through package_mgmt_binaries (5.x adds uv).
        #expect(different == ["container_entrypoint", "containerd_activities", "create_hardlink", "create_symlink", "dup", "k8s_containers",
                              "kernel_module_load", "known_memfd_execution_processes", "ptrace_attach_or_injection",
                              "run_by_package_mgmt_binaries", "spawned_process"], "\(different)")
        let lists = comparison.lists.filter { !$0.identical }.map { "\($0.name): \($0.onlyInReference.joined(separator: ","))|\($0.onlyInCandidate.joined(separator: ","))" }
        #expect(lists == ["known_memfd_execution_binaries: runc|", "package_mgmt_binaries: uv|", "python_package_managers: uv|",
                          "read_sensitive_file_binaries: rkhunter,sshd-session|"])
        // Every macro a student can reasonably use agrees with 5.x too, except spawned_process on enter events.
        for name in ["open_read", "open_write", "container", "interactive", "shell_procs", "sensitive_files", "never_true", "proc_name_exists"] {
            guard let row = comparison.macros.first(where: { $0.name == name }) else { continue }
            #expect(row.identical, "\(name)")
        }
    }
}
