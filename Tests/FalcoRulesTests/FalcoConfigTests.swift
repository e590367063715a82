import Testing
import FalcoRules
import TraceModel

/// Falco's configuration keys that select and format alerts, from falco.yaml or a Helm values.yaml.
@Suite("Falco configuration")
struct FalcoConfigTests {
    private func parse(_ text: String) throws(FalcoConfig.Failure) -> FalcoConfig {
        try FalcoConfig.parse(Array(text.utf8), name: "falco.yaml")
    }

    @Test("falco.yaml keys: priority, rule_matching, JSON properties, time format, rules_files")
    func keys() throws {
        let config = try parse("""
        rules_files:
          - /etc/falco/falco_rules.yaml
          - /etc/falco/rules.d
        priority: warning
        rule_matching: all
        json_output: true
        json_include_tags_property: false
        time_format_iso_8601: true
        """)
        #expect(config.rulesFiles == ["/etc/falco/falco_rules.yaml", "/etc/falco/rules.d"])
        #expect(config.priority == .warning && config.ruleMatching == .all)
        #expect(config.alertStyle == AlertFormatting.Style(json: true, includeTags: false, isoTime: true))
    }

    @Test("a Helm values.yaml: the falco: section, and the lab's singular drop action")
    func helmValues() throws {
        let config = try parse("""
        driver:
          kind: modern_ebpf
        customRules:
          rules.yaml: "- rule: x"
        falco:
          priority: warning
          syscall_event_drops:
            action: log
            actions: [log]
            threshold: .1
        """)
        #expect(config.priority == .warning)
        #expect(config.syscallEventDrops.actions == ["log"])
        #expect(config.syscallEventDrops.singularActionKeyIgnored == "log")
    }

    @Test("Falco's validation messages, with the position of the bad value")
    func errors() {
        #expect(throws: FalcoConfig.Failure.self) { try parse("priority: loud\n") }
        do throws(FalcoConfig.Failure) {
            _ = try parse("priority: warning\nrule_matching: some\n")
            Issue.record("no error")
        } catch {
            #expect(error.description == "falco.yaml:2:16: Unknown rule matching strategy \"some\"--must be one of first, all")
        }
        do throws(FalcoConfig.Failure) {
            _ = try parse("syscall_event_drops:\n  actions: [ignore, log]\n")
            Issue.record("no error")
        } catch {
            #expect(error.message == "syscall event drop action \"log\" does not make sense with the \"ignore\" action")
        }
        #expect(throws: FalcoConfig.Failure.self) { try parse("syscall_event_drops:\n  threshold: 2\n") }
        #expect(throws: FalcoConfig.Failure.self) { try parse("rules_files: [a]\nrules_file: [b]\n") }
    }

    @Test("-o overrides and rules[] selections apply to the engine")
    func overridesAndSelections() throws {
        var config = try parse("rules:\n  - disable:\n      rule: \"*\"\n  - enable:\n      tag: files\n")
        try config.set("priority", "notice")
        let loader = load("""
        - rule: file rule
          desc: d
          condition: evt.type = openat
          output: o
          priority: WARNING
          tags: [files]
        - rule: other rule
          desc: d
          condition: evt.type = openat
          output: o
          priority: WARNING
        """)
        let engine = RuleEngine(loader: loader, matching: .all)
        try config.configure(engine)
        #expect(engine.process(TestEvents.open("/etc/shadow")).map(\.rule) == ["file rule"])
        #expect(engine.matching == .first)
        #expect(throws: FalcoConfig.SettingError.self) { try config.set("priority", "loud") }
    }
}
