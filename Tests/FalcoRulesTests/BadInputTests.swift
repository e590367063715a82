import TestSupport
import Testing
import FalcoRules
import TraceModel
import TraceReaders
import Foundation

/// Hostile and broken inputs: each gets a located diagnostic, never a crash, hang or unbounded memory.
@Suite("Bad input")
struct BadInputTests {
    @Test("a result of -2^63 renders and compares without overflow")
    func extremeResult() throws {
        let event = Event(number: 1, timestamp: 0, type: "read", direction: .exit, params: [.number("res", Int64.min)])
        #expect(try OutputFormat("%evt.res %evt.rawres").render(event) == "E9223372036854775808 -9223372036854775808")
        var compiler = ConditionCompiler()
        let failed = try compiler.compile(try ConditionParser.parse("evt.failed = true and evt.res != SUCCESS"))
        #expect(failed(event))
    }

    @Test("macro probes: proc.aname[2000000000] builds no two-billion-deep process tree; an index within the ancestor limit is made true")
    func deepAncestorProbe() throws {
        let loader = RulesLoader()
        let rules = """
            - macro: deep_parent
              condition: proc.aname[2000000000] = bash
            - macro: grandparent
              condition: proc.aname[2] = sshd
            """
        #expect(loader.load(bytes: Array(rules.utf8), name: "deep.yaml").successful)
        let base = Event(number: 1, timestamp: 0, type: "execve", direction: .exit, thread: ThreadInfo(tid: 42, name: "cat"))
        let probes = MacroProbes.events(for: loader, bases: [base])
        var compiler = ConditionCompiler()
        let grandparent = try compiler.compile(try ConditionParser.parse("proc.aname[2] = sshd"))
        #expect(probes.count == 1 && probes.allSatisfy { grandparent($0) }, "\(probes.count) probes")
    }

    @Test("invalid UTF-8 is reported with its byte offset")
    func invalidUTF8() throws {
        let loader = RulesLoader()
        let result = loader.load(bytes: Array("- rule: r\n  desc: ".utf8) + [0xFF, 0xFE] + Array("\n".utf8), name: "binary.yaml")
        let error = try #require(result.errors.first)
        #expect(error.code == .yamlParse)
        #expect(error.message == "invalid UTF-8 byte 0xff at byte offset 18")
        #expect(error.fileLocation == "binary.yaml:2:9")
        // UTF-16 with a byte order mark (Notepad's "Unicode") loads, as yaml-cpp reads it in Falco.
        let notepad = RulesLoader()
        let utf16 = notepad.load(bytes: [0xFF, 0xFE] + Array("- list: l\n  items: [café]\n".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, name: "notepad.yaml")
        #expect(utf16.successful && utf16.errors.isEmpty && notepad.listNames == ["l"], "\(LoadResultFormatting.text([utf16]))")
    }

    @Test("a YAML alias bomb is rejected without expanding it")
    func billionLaughs() throws {
        var text = "- list: l0\n  items: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ")
            text += "- list: l\(level)\n  items: &l\(level) [\(refs)]\n"
        }
        let loader = load(text)
        let error = try #require(loader.results[0].errors.first)
        // Refused before parsing: more aliases than any rules file needs (Falco's yaml-cpp would expand them).
        #expect(error.code == .yamlParse)
        #expect(error.message == "more than 64 YAML aliases (an alias bomb?)")
        #expect(error.fileLocation == "rules1.yaml:16:35")
    }

    @Test("100,000 nested parentheses in a condition hit the depth limit")
    func deepCondition() throws {
        let condition = String(repeating: "(", count: 100_000) + "evt.type = openat" + String(repeating: ")", count: 100_000)
        let loader = load("- rule: deep\n  desc: d\n  condition: \"\(condition)\"\n  output: o\n  priority: INFO\n")
        let error = try #require(loader.results[0].errors.first)
        #expect(error.code == .compileCondition)
        #expect(error.message == "exceeded max depth limit of 1000")
        #expect(throws: ConditionSyntaxError.self) { try ConditionParser.parse(condition) }
        // Just within the limit, a rule loads, compiles and matches (the stack a test thread has is enough).
        let within = String(repeating: "(", count: 998) + "evt.type = openat" + String(repeating: ")", count: 998)
        let loaded = load("- rule: deep\n  desc: d\n  condition: \"\(within)\"\n  output: o\n  priority: INFO\n")
        #expect(loaded.results[0].successful && loaded.compiledRules.count == 1)
        var compiler = ConditionCompiler()
        let matches = try compiler.compile(try ConditionParser.parse(within, maxDepth: 1000))
        #expect(matches(Event(number: 1, timestamp: 0, type: "openat", direction: .exit)))
    }

    @Test("100,000 nested YAML sequences are refused before parsing")
    func deepYAML() throws {
        let text = "- list: l\n  items: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"
        let error = try #require(load(text).results[0].errors.first)
        #expect(error.code == .yamlParse)
        #expect(error.message == "YAML nesting is deeper than 512 levels")
    }

    @Test("a 10 MB condition loads and compiles")
    func hugeCondition() throws {
        var items: [String] = []
        var size = 0
        var index = 0
        while size < 10_000_000 {
            let item = "binary_name_\(index)"
            items.append(item)
            size += item.utf8.count + 2
            index += 1
        }
        let condition = "evt.type = execve and proc.name in (" + items.joined(separator: ", ") + ")"
        let loader = load("- rule: big\n  desc: d\n  condition: \"\(condition)\"\n  output: o\n  priority: INFO\n")
        #expect(loader.results[0].successful)
        let event = Event(number: 1, timestamp: 1, type: "execve", thread: ThreadInfo(tid: 1, name: "binary_name_\(index - 1)"))
        #expect(RuleEngine(loader: loader).process(event).map(\.rule) == ["big"])
    }

    @Test("regex is RE2: a pattern that makes a backtracking engine run for hours answers at once, and RE2's refusals are located load errors")
    func regexIsLinear() throws {
        // (a+)+$ on "aaaa...ab": exponential for a backtracking matcher (seconds at 20 a's, hours at 40), linear for RE2.
        let loader = load("- rule: nested\n  desc: d\n  condition: evt.type = execve and proc.cmdline regex \"(a+)+$\"\n  output: o\n  priority: INFO\n")
        #expect(loader.results[0].successful)
        let engine = RuleEngine(loader: loader)
        for (name, expected) in [("a", ["nested"]), ("b", [])] {
            let event = Event(number: 1, timestamp: 1, type: "execve", thread: ThreadInfo(tid: 1, name: String(repeating: "a", count: 40) + name))
            #expect(engine.process(event).map(\.rule) == expected)
        }
        // RE2 refuses what Falco's RE2 refuses, at the value's position.
        let refused = load("- rule: bad\n  desc: d\n  condition: proc.name regex \"(a\"\n  output: o\n  priority: INFO\n")
        #expect(!refused.results[0].successful)
        let message = LoadResultFormatting.text(refused.results)
        #expect(message.contains("invalid regex pattern '(a': missing ): (a"), "\(message)")
        let backreference = load("- rule: backref\n  desc: d\n  condition: proc.name regex \"(a)\\\\1\"\n  output: o\n  priority: INFO\n")
        #expect(!backreference.results[0].successful, "RE2 has no back-references")
    }

    @Test("a rules file built to explode is a located load error: lists doubling at each level, 25,000 nots, 20,000 nested macros")
    func explodingRules() throws {
        // 1.3 kB of lists, each holding the previous twice: 2^40 items if expanded.
        var lists = "- list: l0\n  items: [a, b]\n"
        for level in 1..<40 { lists += "- list: l\(level)\n  items: [l\(level - 1), l\(level - 1)]\n" }
        lists += "- rule: r\n  desc: d\n  condition: proc.name in (l39)\n  output: o\n  priority: INFO\n"
        let doubled = load(lists)
        #expect(!doubled.results[0].successful)
        #expect(LoadResultFormatting.text(doubled.results).contains("list 'l19' expands to more than 1000000 items"), "\(LoadResultFormatting.text(doubled.results))")

        let negations = load("- rule: r\n  desc: d\n  condition: " + String(repeating: "not ", count: 25_000) + "proc.name = x\n  output: o\n  priority: INFO\n")
        #expect(!negations.results[0].successful)
        #expect(LoadResultFormatting.text(negations.results).contains("exceeded max depth limit of 1000"))

        var macros = "- macro: m0\n  condition: proc.name = x\n"
        for level in 1..<20_000 { macros += "- macro: m\(level)\n  condition: m\(level - 1)\n" }
        macros += "- rule: r\n  desc: d\n  condition: m19999\n  output: o\n  priority: INFO\n"
        let nested = load(macros)
        #expect(!nested.results[0].successful)
        #expect(LoadResultFormatting.text(nested.results).contains("macros nested more than 100 deep"))

        // Realistic nesting still loads: 50 macros deep, 501 nots (an odd count: the rule is true for x).
        var fifty = "- macro: m0\n  condition: proc.name = x\n"
        for level in 1..<50 { fifty += "- macro: m\(level)\n  condition: m\(level - 1) and not proc.name = y\(level)\n" }
        fifty += "- rule: r\n  desc: d\n  condition: evt.type = execve and m49 and " + String(repeating: "not ", count: 501) + "proc.name = z\n  output: o\n  priority: INFO\n"
        let fine = load(fifty)
        #expect(fine.results[0].successful, "\(LoadResultFormatting.text(fine.results))")
        let event = Event(number: 1, timestamp: 1, type: "execve", thread: ThreadInfo(tid: 1, name: "x"))
        #expect(RuleEngine(loader: fine).process(event).map(\.rule) == ["r"])
    }

    @Test("trace lines that are not JSON or have wrong types are located errors")
    func badTraceLines() throws {
        let directory = Scratch.directory.appendingPathComponent("tracelab-bad-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cases: [(String, String)] = [
            ("{\"kind\":\"thread\",\"tid\":1,\"name\":\"x\"}\nnot json at all\n", "2:2: not valid JSON: invalid literal, expected 'null'"),
            ("{\"type\":\"openat\",\"ts\":\"soon\"}\n", "1:23: 'ts' must be a non-negative integer"),
            ("{\"type\":\"openat\",\"ts\":1,\"tid\":99}\n", "1:31: event refers to tid 99, which no thread record defines"),
            ("{\"type\":\"openat\",\"ts\":1,\"fd\":{\"num\":3,\"type\":\"disk\"}}\n", "1:46: unknown fd type 'disk' (expected one of file, directory,"),
            ("{\"type\":\"openat\",\"ts\":1,\"args\":{\"name\":\"/x\"}\n", "1:45: not valid JSON: unexpected end of line in object"),
            ("[1,2]\n", "1:1: a record must be a JSON object"),
        ]
        for (index, (content, expected)) in cases.enumerated() {
            let path = directory.appendingPathComponent("bad\(index).jsonl").path
            try content.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try JSONLinesReader.readAll(path: path)
                Issue.record("no error for case \(index)")
            } catch {
                #expect(error.description.hasPrefix(path + ":" + expected), "case \(index): \(error.description)")
            }
        }
        #expect(throws: TraceLabError.self) { try JSONLinesReader(path: directory.appendingPathComponent("missing.jsonl").path) }
    }
}
