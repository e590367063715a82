@testable import FalcoRules
import Testing
@testable import TraceModel

/// Falco's configuration checked against its documented keys, and the "did you mean" behind the messages.
@Suite("configuration schema")
struct ConfigSchemaTests {
    @Test("did you mean: typos within a third of the word, swaps count once, far words and exact matches give nothing")
    func suggestion() {
        #expect(Suggestion.closest(to: "action", among: ["threshold", "actions", "rate"]) == "actions")
        #expect(Suggestion.closest(to: "prioirty", among: ["priority", "rule_matching"]) == "priority")
        #expect(Suggestion.closest(to: "WARNIG", among: ["warning", "error"]) == "warning")
        #expect(Suggestion.closest(to: "kind", among: ["driver", "image"]) == nil)
        #expect(Suggestion.closest(to: "rate", among: ["rate"]) == nil)
        #expect(Suggestion.closest(to: "", among: ["rate"]) == nil)
        #expect(Suggestion.editDistance(Array("ab".utf8), Array("ba".utf8)) == 1)
        #expect(Suggestion.editDistance(Array("kitten".utf8), Array("sitting".utf8)) == 3)
        #expect(Suggestion.hint(for: "max_burts", among: ["max_burst"]) == " (did you mean 'max_burst'?)")
    }

    @Test("shapes: YAML 1.1 booleans, hex integers, Prometheus durations largest unit first, lists from a lone scalar")
    func shapes() {
        #expect(FalcoConfigSchema.accepts(.boolean, "Yes") && !FalcoConfigSchema.accepts(.boolean, "1"))
        #expect(FalcoConfigSchema.accepts(.integer, "0x10") && !FalcoConfigSchema.accepts(.integer, "1.5"))
        #expect(FalcoConfigSchema.accepts(.number, ".03333"))
        #expect(FalcoConfigSchema.isPrometheusDuration("1h30m") && FalcoConfigSchema.isPrometheusDuration("500ms"))
        #expect(!FalcoConfigSchema.isPrometheusDuration("30m1h") && !FalcoConfigSchema.isPrometheusDuration("1x") && !FalcoConfigSchema.isPrometheusDuration("h"))
        let problems = FalcoConfigSchema.check(Array("syscall_event_drops:\n  actions: log\n  threshold: high\nrules:\n  - disable: {rule: '*', tags: x}\n".utf8), name: "f.yaml")
        #expect(problems.map(\.message) == ["'syscall_event_drops.threshold' must be a number, not 'high'",
                                            "unknown key 'rules[].disable.tags' (did you mean 'tag'?); Falco ignores it"])
        #expect(problems.map(\.location.line) == [3, 5])
    }

    @Test("hostile configurations: not YAML, alias bombs and deep nesting give no schema problems and no crash")
    func hostile() {
        #expect(FalcoConfigSchema.check(Array("a: [".utf8), name: "x").isEmpty)
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        _ = FalcoConfigSchema.check(Array(bomb.utf8), name: "x")
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(FalcoConfigSchema.check(Array(("falco: " + deep).utf8), name: "x").isEmpty)
    }
}

/// TraceLab's hints beside Falco's load messages: the message stays Falco's, the hint names the word meant.
@Suite("load hints")
struct LoadHintTests {
    static func firstError(_ rules: String, after defaults: String? = nil) -> LoadMessage? {
        let loader = RulesLoader()
        if let defaults { loader.load(bytes: Array(defaults.utf8), name: "defaults.yaml") }
        return loader.load(bytes: Array(rules.utf8), name: "rules.yaml").errors.first
    }

    @Test("priority, field, output token and macro: Falco's text unchanged, the hint beside it")
    func hints() {
        let rule = { (condition: String, output: String, priority: String) in
            "- macro: my_files\n  condition: fd.name = /etc/shadow\n- rule: r\n  desc: d\n  condition: \(condition)\n  output: \(output)\n  priority: \(priority)\n"
        }
        let priority = Self.firstError(rule("evt.type = openat", "o", "WARNIN"))
        #expect(priority?.message == "Invalid priority")
        #expect(priority?.hint == "did you mean 'WARNING'? Priorities: EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG (case does not matter; INFO for INFORMATIONAL).")
        let field = Self.firstError(rule("evt.type = openat and fd.nam = x", "o", "WARNING"))
        #expect(field?.message.hasSuffix("nonexistent field fd.nam") == true)
        #expect(field?.hint == "did you mean 'fd.name'? (tracelab fields lists them)")
        let token = Self.firstError(rule("evt.type = openat", "o %proc.nme", "WARNING"))
        #expect(token?.hint == "did you mean 'proc.name'? (tracelab fields lists them)")
        let own = Self.firstError(rule("evt.type = openat and my_file", "o", "WARNING"))
        #expect(own?.message == "Undefined macro 'my_file' used in filter.")
        #expect(own?.hint == "did you mean 'my_files'?")
        let falcos = Self.firstError(rule("spawned_proces and proc.name = curl", "o", "WARNING"))
        #expect(falcos?.hint == "did you mean 'spawned_process'? (a macro of Falco's default rules, which load before your files)")
        var result = LoadResult(name: "rules.yaml")
        result.errors = field.map { [$0] } ?? []
        #expect(LoadResultFormatting.text([result]).hasSuffix("filter_check called with nonexistent field fd.nam\nHint: did you mean 'fd.name'? (tracelab fields lists them)\n"))
        #expect(LoadResultFormatting.json([result]).rendered.contains(#""tracelab_hint":"did you mean 'fd.name'? (tracelab fields lists them)""#))
        #expect(Self.firstError(rule("evt.type = openat and zzz.qqq = 1", "o", "WARNING"))?.hint == nil)
    }
}
