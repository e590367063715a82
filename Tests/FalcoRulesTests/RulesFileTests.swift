import Testing
@testable import FalcoRules
import TraceModel

/// Each rules-file feature: lists, macros, rules, exceptions, append and override, enabled, tags,
/// source, priority, version requirements, warn_evttypes, skip-if-unknown-filter, several files.
@Suite("Rules file features")
struct RulesFileTests {
    @Test("lists substitute into conditions; a list sees lists defined before it")
    func lists() {
        let loader = load("""
        - list: shells
          items: [bash, sh]
        - list: interpreters
          items: [shells, python3, "my tool"]
        - rule: r
          desc: d
          condition: evt.type = execve and proc.name in (interpreters)
          output: o
          priority: INFO
        """)
        #expect(loader.results.allSatisfy { $0.successful })
        #expect(loader.compiledCondition(ofRule: "r") == "(evt.type = execve and proc.name in (bash, sh, python3, \"my tool\"))")
    }

    @Test("list append and override")
    func listAppend() {
        let loader = load("""
        - list: bins
          items: [a]
        - list: bins
          items: [b]
          override:
            items: append
        - list: bins
          items: [c]
          append: true
        - rule: r
          desc: d
          condition: proc.name in (bins)
          output: o
          priority: INFO
          warn_evttypes: false
        """)
        #expect(loader.compiledCondition(ofRule: "r") == "proc.name in (a, b, c)")
        #expect(loader.results[0].warnings.contains { $0.code == .deprecatedItem })
        let replaced = load("""
        - list: bins
          items: [a]
        - list: bins
          items: [z]
          override:
            items: replace
        - rule: r
          desc: d
          condition: proc.name in (bins)
          output: o
          priority: INFO
          warn_evttypes: false
        """)
        #expect(replaced.compiledCondition(ofRule: "r") == "proc.name in (z)")
    }

    @Test("macros see earlier macros only; rules see every macro; append joins text")
    func macros() {
        let loader = load("""
        - macro: opened
          condition: evt.type = openat
        - macro: etc
          condition: opened and fd.name startswith /etc
        - macro: etc
          condition: or fd.name = /tmp/x
          override:
            condition: append
        - rule: r
          desc: d
          condition: etc and later
          output: o
          priority: INFO
        - macro: later
          condition: proc.name = cat
        """)
        #expect(loader.results[0].successful)
        #expect(loader.compiledCondition(ofRule: "r") == "(((evt.type = openat and fd.name startswith /etc) or fd.name = /tmp/x) and proc.name = cat)")
        let invisible = load("""
        - macro: first
          condition: second
        - macro: second
          condition: evt.type = openat
        """)
        #expect(invisible.results[0].errors.first?.message == "Undefined macro 'second' used in filter.")
        #expect(invisible.results[0].errors.first?.code == .validate)
    }

    @Test("rules: append, override append/replace, enabled toggles, tags")
    func ruleOverrides() throws {
        let loader = load("""
        - rule: r
          desc: first
          condition: evt.type = openat
          output: file=%fd.name
          priority: WARNING
          tags: [a]
        - rule: r
          condition: and proc.name = cat
          output: user=%user.name
          desc: more
          tags: [b]
          override:
            condition: append
            output: append
            desc: append
            tags: append
        - rule: r
          priority: ERROR
          override:
            priority: replace
        """, """
        - rule: r
          enabled: false
          override:
            enabled: replace
        """)
        #expect(loader.results.allSatisfy { $0.successful })
        let rule = try #require(loader.compiledRules.first)
        #expect(rule.rawCondition == "evt.type = openat and proc.name = cat")
        #expect(rule.outputText == "file=%fd.name user=%user.name")
        #expect(rule.description == "first more")
        #expect(rule.tags == ["a", "b"])
        #expect(rule.priority == .error)
        #expect(rule.enabled == false)
    }

    @Test("exceptions compile to Falco's condition text")
    func exceptions() {
        let loader = load("""
        - rule: r
          desc: d
          condition: evt.type = openat and fd.name startswith /etc
          output: o
          priority: INFO
          exceptions:
            - name: tools
              fields: [proc.name, fd.name]
              comps: [=, startswith]
              values:
                - [vi, /etc/hosts]
                - [nano, /etc/motd]
            - name: names
              fields: proc.name
              values: [cat, "my tool"]
        """)
        #expect(loader.results[0].successful)
        #expect(loader.compiledCondition(ofRule: "r") ==
            "((evt.type = openat and fd.name startswith /etc) and not ((proc.name = vi and fd.name startswith /etc/hosts) or (proc.name = nano and fd.name startswith /etc/motd)) and not proc.name in (cat, \"my tool\"))")
    }

    @Test("sources, plugin requirements and engine versions")
    func requirements() {
        let loader = load("""
        - required_engine_version: 0.31.0
        - required_plugin_versions:
          - name: container
            version: 0.4.0
        - rule: audit
          desc: d
          condition: ka.verb = get
          output: o
          priority: INFO
          source: k8s_audit
        """)
        #expect(loader.results[0].successful)
        #expect(loader.results[0].warnings.map(\.code) == [.unknownSource])
        let k8s = load("""
        - required_plugin_versions:
          - name: k8saudit
            version: 0.1.0
        """)
        #expect(k8s.results[0].errors.first?.code == .validate)
    }

    @Test("warn_evttypes and skip-if-unknown-filter")
    func evttypeWarnings() {
        let noisy = load("""
        - rule: everything
          desc: d
          condition: proc.name = cat
          output: o
          priority: INFO
        - rule: quiet
          desc: d
          condition: proc.name = cat
          output: o
          priority: INFO
          warn_evttypes: false
        - rule: future
          desc: d
          condition: proc.future_field = 1
          output: o
          priority: INFO
          skip-if-unknown-filter: true
        """)
        #expect(noisy.results[0].successful)
        let codes = noisy.results[0].warnings.map { "\($0.code.rawValue) \($0.locations.first?.itemName ?? "")" }
        #expect(codes == ["LOAD_NO_EVTTYPE everything", "LOAD_UNKNOWN_FILTER future"])
        #expect(noisy.compiledRules.map(\.name) == ["everything", "quiet"])
    }

    @Test("several files load in order into one engine")
    func severalFiles() {
        let loader = load("""
        - macro: m
          condition: evt.type = openat
        """, """
        - rule: r
          desc: d
          condition: m and proc.name = cat
          output: o
          priority: INFO
        """)
        #expect(loader.results.count == 2)
        #expect(loader.results.allSatisfy { $0.successful })
        #expect(loader.compiledRules.first?.eventTypes.knownNames == ["openat"])
    }

    @Test("minimum priority, rule_matching and enable/disable by name and tag")
    func engineSelection() throws {
        let loader = load("""
        - rule: notice rule
          desc: d
          condition: evt.type = openat
          output: n %fd.name
          priority: NOTICE
          tags: [files]
        - rule: warning rule
          desc: d
          condition: evt.type = openat
          output: w %fd.name
          priority: WARNING
          tags: [files, important]
        """)
        let event = TestEvents.open("/etc/shadow")
        let all = RuleEngine(loader: loader, matching: .all)
        #expect(all.process(event).map(\.rule) == ["notice rule", "warning rule"])
        let first = RuleEngine(loader: loader)
        #expect(first.process(event).map(\.rule) == ["notice rule"])
        let warnings = RuleEngine(loader: loader, minimumPriority: .warning)
        #expect(warnings.process(event).map(\.rule) == ["warning rule"])
        all.setEnabled(false, ruleNamePattern: "warning*")
        #expect(all.process(event).map(\.rule) == ["notice rule"])
        all.setEnabled(false, tag: "files")
        #expect(all.process(event).isEmpty)
        all.setEnabled(true, tag: "important")
        #expect(all.process(event).map(\.rule) == ["warning rule"])
    }
}
