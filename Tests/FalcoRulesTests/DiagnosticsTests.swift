import Testing
import FalcoRules
import TraceModel

/// Falco's load results for each kind of mistake: code, message and where.
@Suite("Diagnostics")
struct DiagnosticsTests {
    /// The first error of a single-file load.
    private func firstError(_ text: String) throws -> LoadMessage {
        let loader = load(text)
        return try #require(loader.results.first?.errors.first)
    }

    @Test("unknown field: LOAD_ERR_COMPILE_CONDITION at the rule and inside the condition")
    func unknownField() throws {
        let error = try firstError("""
        - rule: bad field
          desc: d
          condition: evt.type = openat and proc.nobody = x
          output: o
          priority: INFO
        """)
        #expect(error.code == .compileCondition)
        #expect(error.message == "filter_check called with nonexistent field proc.nobody")
        #expect(error.locations.first?.itemType == "rule")
        #expect(error.locations.first?.itemName == "bad field")
        #expect(error.fileLocation == "rules1.yaml:1:3")
        #expect(error.locations.last?.itemType == "condition expression")
        #expect(error.locations.last?.column == 23)
        #expect(error.snippet.hasPrefix("- rule: bad field\n  ^"))
    }

    @Test("undefined macro and macro loop: LOAD_ERR_VALIDATE")
    func macros() throws {
        let undefined = try firstError("""
        - rule: r
          desc: d
          condition: evt.type = openat and not_defined_anywhere
          output: o
          priority: INFO
        """)
        #expect(undefined.code == .validate)
        #expect(undefined.message == "Undefined macro 'not_defined_anywhere' used in filter.")
        let loop = try firstError("""
        - macro: itself
          condition: evt.type = openat and itself
        """)
        #expect(loop.code == .validate)
        #expect(loop.message == "reference loop in macro 'itself'")
        #expect(loop.locations.first?.itemType == "macro")
    }

    @Test("bad YAML: LOAD_ERR_YAML_PARSE with line and column")
    func badYAML() throws {
        let error = try firstError("- rule: x\n  desc: [unclosed\n")
        #expect(error.code == .yamlParse)
        #expect(error.locations.first?.line == 3)
        let tabs = try firstError("- rule: x\n\tdesc: y\n")
        #expect(tabs.code == .yamlParse)
        #expect(tabs.locations.first?.line == 2)
        let duplicate = try firstError("- rule: a\n  desc: one\n  desc: two\n")
        #expect(duplicate.code == .yamlParse)
        #expect(duplicate.message.contains("desc"))
    }

    @Test("wrong types: LOAD_ERR_YAML_VALIDATE with Falco's messages")
    func wrongTypes() throws {
        #expect(try firstError("- list: l\n  items: notalist\n").message == "Value is not a sequence")
        #expect(try firstError("- list: l\n  items: [[a]]\n").message == "sequence value is not scalar")
        #expect(try firstError("- macro: m\n").message == "Item has no mapping for key 'condition'")
        #expect(try firstError("- macro:\n  condition: a\n").message == "Mapping for key 'macro' is empty")
        let enabled = try firstError("- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  enabled: maybe\n")
        #expect(enabled.code == .yamlValidate)
        #expect(enabled.message == "Can't decode YAML scalar value")
        #expect(try firstError("just text").message == "Rules content is not yaml")
        #expect(try firstError("a: b").message == "Rules content is not yaml array of objects")
        #expect(try firstError("- [1, 2]").message == "Unexpected element type. Each element should be a yaml associative array.")
    }

    @Test("bad priority: Invalid priority, item type rule priority")
    func badPriority() throws {
        let error = try firstError("- rule: r\n  desc: d\n  condition: evt.type = openat\n  output: o\n  priority: SEVERE\n")
        #expect(error.code == .validate)
        #expect(error.message == "Invalid priority")
        #expect(error.locations.map(\.itemType) == ["rule", "rule priority"])
        #expect(error.locations.last?.line == 5)
    }

    @Test("engine version too new, and unparsable")
    func engineVersion() throws {
        let tooNew = try firstError("- required_engine_version: 0.99.0\n")
        #expect(tooNew.code == .validate)
        #expect(tooNew.message == "Rules require engine version 0.99.0, but engine version is 0.63.0")
        #expect(tooNew.locations.first?.itemType == "required_engine_version")
        let bad = try firstError("- required_engine_version: not-a-number\n")
        #expect(bad.code == .yamlValidate)
        #expect(load("- required_engine_version: 31\n").results[0].successful)
    }

    @Test("override mistakes")
    func overrides() throws {
        let base = "- rule: r\n  desc: d\n  condition: evt.type = openat\n  output: o\n  priority: INFO\n"
        let append = try #require(load(base + "- rule: r\n  priority: ERROR\n  override:\n    priority: append\n").results[0].errors.first)
        #expect(append.message == "Key 'priority' cannot be appended to, use 'replace' instead")
        let missing = try #require(load("- rule: nope\n  condition: x\n  override:\n    condition: append\n").results[0].errors.first)
        #expect(missing.message == "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists")
        let unexpected = try #require(load(base + "- rule: r\n  condition: and x\n  desc: other\n  override:\n    condition: append\n").results[0].errors.first)
        #expect(unexpected.message == "Unexpected key 'desc': no corresponding entry under 'override' is defined.")
    }

    @Test("unknown keys warn and are ignored")
    func unknownKeys() throws {
        let loader = load("- rule: r\n  desc: d\n  condition: evt.type = openat\n  output: o\n  priority: INFO\n  typo_field: 1\n")
        #expect(loader.results[0].successful)
        #expect(loader.results[0].warnings.first?.message == "Unknown key 'typo_field'. The key will be ignored.")
    }

    @Test("falco -V style text and JSON")
    func formatting() throws {
        let loader = load("- rule: r\n  desc: d\n  condition: evt.type = openat and\n  output: o\n  priority: INFO\n")
        let text = LoadResultFormatting.text(loader.results)
        #expect(text.hasPrefix("rules1.yaml: Invalid\n1 Errors:\nIn rule 'r': (rules1.yaml:1:3)\n"))
        #expect(text.contains("LOAD_ERR_COMPILE_CONDITION (Error compiling condition): "))
        let json = LoadResultFormatting.json(loader.results).rendered
        #expect(json.hasPrefix(#"{"falco_load_results":[{"errors":[{"code":"LOAD_ERR_COMPILE_CONDITION","codedesc":"Error compiling condition","context":{"locations":[{"item_name":"r","item_type":"rule","position":{"column":3,"line":1,"name":"rules1.yaml","offset":0}}"#))
        #expect(json.contains(#""name":"rules1.yaml","successful":false,"warnings":[]"#))
    }
}
