import Foundation
import TestSupport
import Testing
@testable import FalcoRules
import TraceModel

/// Table-driven conformance against cases extracted from libsinsp's and Falco's own test suites
/// (`../shared/conformance`). Each suite's outcome, case by case, must equal its pinned baseline
/// (Tests/Baselines/conformance.json), from which docs/conformance.md's tables are generated.
@Suite("Conformance with libsinsp and Falco test suites", .enabled(if: SharedData.runnable, SharedData.skipComment))
struct ConformanceTests {
    @Test("parser cases: accept, reject, messages, printing, positions")
    func parserCases() throws {
        let path = try SharedData.path("conformance/parser_cases.tsv")
        var tally = Tally()
        for row in try ConformanceRow.read(path, into: &tally) {
            let input = row.input.hasPrefix("<100000 consecutive '('") ? String(repeating: "(", count: 100_000) : row.input
            let parsed = Result { () throws(ConditionSyntaxError) in try ConditionParser.parse(input) }
            switch row.kind {
            case "parse_accept":
                var ok = (try? parsed.get()) != nil
                if ok, row.detail.contains("whitespace variants also accepted") {
                    for variant in [" " + input + " ", input.replacingOccurrences(of: " ", with: "\n"), input.replacingOccurrences(of: " ", with: "\t")] {
                        ok = ok && (try? ConditionParser.parse(variant)) != nil
                    }
                }
                tally.record("parse_accept", id: row.id, ok, "should parse: \(row.input)")
            case "parse_reject":
                tally.record("parse_reject", id: row.id, (try? parsed.get()) == nil, "should be rejected: \(row.input)")
            case "parse_reject_msg":
                var message = ""
                if case .failure(let error) = parsed { message = error.message }
                tally.record("parse_reject_msg", id: row.id, message == row.detail, "message '\(message)' != '\(row.detail)'")
            case "parse_as_string":
                let text = (try? parsed.get())?.text ?? "<error>"
                tally.record("parse_as_string", id: row.id, text == row.expected, "printed '\(text)' != '\(row.expected)'")
            case "parse_positions", "parse_positions_contains":
                let dump = (try? parsed.get()).map(positionDump) ?? "<error>"
                let ok = row.kind == "parse_positions" ? dump == row.expected : dump.contains(row.expected)
                tally.record(row.kind, id: row.id, ok, "positions '\(dump)' vs '\(row.expected)'")
            case "parse_end_pos":
                var parser = ConditionParser(input)
                let ok: Bool
                if (try? parser.parse()) == nil {
                    ok = false
                } else if row.expected.hasPrefix("idx=") {
                    ok = Int(row.expected.dropFirst(4)) == parser.position.index
                } else if row.expected == "col=pos.idx + 1" {
                    ok = parser.position.column == parser.position.index + 1
                } else {
                    ok = Int(row.expected.dropFirst(4)) == parser.position.column
                }
                tally.record("parse_end_pos", id: row.id, ok, "end position \(parser.position) vs \(row.expected) for \(row.input)")
            case "parse_ast":
                // The C++ tree is not machine-readable here; the case checks that the input parses.
                tally.record("parse_ast (parses)", id: row.id, (try? parsed.get()) != nil, "should parse: \(row.input)")
            default:
                tally.skip(row.id, "unknown kind \(row.kind)")
            }
        }
        print(tally.report("parser conformance"))
        let problems = Baseline.check("libsinsp parser", tally)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("compiler cases: mock and real field tables, messages, boolean evaluation")
    func compileCases() throws {
        let path = try SharedData.path("conformance/filter_compile_cases.tsv")
        var tally = Tally()
        for row in try ConformanceRow.read(path, into: &tally) {
            switch row.kind {
            case "compile", "compile_real", "compile_msg":
                let catalog = row.detail.contains("factory=mock") ? mockCatalog : FieldCatalog.standard
                var compiler = ConditionCompiler(catalog: catalog)
                var message = ""
                var compiled = false
                do {
                    let node = try ConditionParser.parse(row.input, maxDepth: 1000)
                    _ = try compiler.compile(node)
                    compiled = true
                } catch let error as ConditionSyntaxError {
                    message = error.message
                } catch let error as ConditionCompileError {
                    message = error.message
                }
                if row.kind == "compile_msg" {
                    let wanted = row.detail.components(separatedBy: "  [").first ?? row.detail
                    tally.record(row.kind, id: row.id, !compiled && message == wanted, "message '\(message)' != '\(wanted)'")
                    continue
                }
                var ok = compiled == (row.expected == "compiles")
                if ok, compiled, let warnings = row.detail.firstMatch(of: /expected_warnings=(\d+)/).map({ Int($0.1) ?? 0 }) {
                    ok = compiler.warnings.count == warnings
                }
                tally.record(row.kind, id: row.id, ok, "\(row.input) expected \(row.expected), got \(compiled ? "compiles" : "error: \(message)") warnings=\(compiler.warnings.map(\.message))")
            case "compile_run":
                // Compiled by the engine's compiler over libsinsp's mock checks, and run on an event.
                var compiler = ConditionCompiler(catalog: mockCatalog)
                let value = (try? ConditionParser.parse(row.input)).flatMap { try? compiler.compile($0) }.map { $0(Event(number: 1, timestamp: 0, type: "open")) }
                tally.record(row.kind, id: row.id, value.map { String($0) } == row.expected, "\(row.input) = \(value.map(String.init) ?? "does not compile"), expected \(row.expected)")
            default:
                tally.skip(row.id, "unknown kind \(row.kind)")
            }
        }
        print(tally.report("compiler conformance"))
        let problems = Baseline.check("libsinsp compiler", tally)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("event-type cases: the set of event types a condition can match")
    func eventTypeCases() throws {
        let path = try SharedData.path("conformance/evttype_cases.tsv")
        var tally = Tally()
        let universe = Set(EventTypes.known)
        let named: [String: Set<String>] = [
            "openat_only": ["openat"], "not_openat": universe.subtracting(["openat"]),
            "openat_close_only": ["openat", "close"], "not_openat_close": universe.subtracting(["openat", "close"]),
            "no_events": [], "all_events": universe,
        ]
        func types(_ condition: String) -> Set<String>? {
            (try? ConditionParser.parse(condition)).map { Set(EventTypeSet.of($0).knownNames) }
        }
        for row in try ConformanceRow.read(path, into: &tally) {
            let actual = types(row.input)
            let expected = row.kind == "evttypes" ? named[row.expected] : types(row.expected)
            tally.record(row.kind, id: row.id, actual != nil && actual == expected, "\(row.input) vs \(row.expected)")
        }
        print(tally.report("event-type conformance"))
        let problems = Baseline.check("libsinsp event types", tally)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("engine warning cases: unsafe <NA> checks and deprecated evt.dir")
    func warningCases() throws {
        let path = try SharedData.path("conformance/engine_warning_cases.tsv")
        var tally = Tally()
        for row in try ConformanceRow.read(path, into: &tally) {
            let findings = (try? ConditionParser.parse(row.input)).map(ConditionWarnings.findings) ?? []
            tally.record(row.kind, id: row.id, findings.isEmpty == (row.expected == "no_warning"), "\(row.input) expected \(row.expected)")
        }
        print(tally.report("warning conformance"))
        let problems = Baseline.check("Falco condition warnings", tally)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("evaluation cases whose events can be rebuilt from their C++ description")
    func evaluationCases() throws {
        let path = try SharedData.path("conformance/filter_eval_cases.tsv")
        var tally = Tally()
        for row in try ConformanceRow.read(path, into: &tally) {
            guard let event = ConformanceEvents.event(for: row.context) else {
                tally.skip(row.id, "event built by a C++ helper or variables not given in the case")
                continue
            }
            switch row.kind {
            case "eval":
                var outcome = "throws"
                if let node = try? ConditionParser.parse(row.input, maxDepth: 1000) {
                    var compiler = ConditionCompiler()
                    if let predicate = try? compiler.compile(node) { outcome = predicate(event) ? "true" : "false" }
                }
                tally.record("eval", id: row.id, outcome == row.expected, "\(row.input) = \(outcome), expected \(row.expected)")
            case "field_value", "field_has_value":
                var rendered = "<unknown field>"
                if let node = try? ConditionParser.parse(row.input + " exists"), case .unary(let operand, _, _) = node,
                   let (_, extractor) = try? ConditionCompiler().resolve(operand) {
                    let value = extractor.render(event)
                    rendered = row.kind == "field_has_value" ? String(value != nil) : value ?? "<NA>"
                }
                tally.record(row.kind, id: row.id, rendered == row.expected, "\(row.input) = '\(rendered)', expected '\(row.expected)'")
            default:
                tally.skip(row.id, "unknown kind \(row.kind)")
            }
        }
        print(tally.report("evaluation conformance"))
        let problems = Baseline.check("libsinsp evaluation", tally)
        #expect(problems.isEmpty, "\(problems)")
    }
}

// MARK: - Helpers

/// libsinsp's mock filter checks beside the real fields (the upstream tests use both): `c.true` and
/// `c.false` (the tests compare them with `=1`: true and false), `c.doublequote`, `c.singlequote`
/// (strings with quotes) and `c.buffer` (a byte buffer).
let mockCatalog = FieldCatalog(definitions: FieldCatalog.standard.definitions + [
    FieldDefinition(name: "c.true", fieldClass: "c", type: .string, argument: .none, description: "mock", make: { _ in .string { _ in "1" } }),
    FieldDefinition(name: "c.false", fieldClass: "c", type: .string, argument: .none, description: "mock", make: { _ in .string { _ in "0" } }),
    FieldDefinition(name: "c.doublequote", fieldClass: "c", type: .string, argument: .none, description: "mock", make: { _ in .string { _ in "hello \"quoted\"" } }),
    FieldDefinition(name: "c.singlequote", fieldClass: "c", type: .string, argument: .none, description: "mock", make: { _ in .string { _ in "hello 'quoted'" } }),
    FieldDefinition(name: "c.buffer", fieldClass: "c", type: .byteBuffer, argument: .none, description: "mock", make: { _ in .bytes { _ in [] } }),
])

/// libsinsp's position visitor output: `<kind><index> <line> <column>` for every node, pre-order.
func positionDump(_ node: ConditionNode) -> String {
    func at(_ kind: String, _ position: ConditionPosition) -> String { "\(kind)\(position.index) \(position.line) \(position.column)" }
    func operand(_ operand: ConditionOperand) -> String {
        switch operand {
        case .field(_, _, let position): return at("field", position)
        case .transformer(_, let arguments, _, let position):
            return at("transformer", position) + arguments.map(argument).joined()
        }
    }
    func argument(_ argument: TransformerArgument) -> String {
        switch argument {
        case .operand(let inner): return operand(inner)
        case .literal(_, let position): return at("value", position)
        case .list(let items, let position): return at("transformer_list", position) + items.map(argumentText).joined()
        }
    }
    func argumentText(_ item: TransformerArgument) -> String { argument(item) }
    func value(_ value: ConditionValue) -> String {
        switch value {
        case .literal(_, _, let position): return at("value", position)
        case .list(_, let position): return at("list", position)
        case .listReference(_, let position): return at("identifier", position)
        case .fieldValue(let inner, _), .transformed(let inner, _): return operand(inner)
        }
    }
    switch node {
    case .and(let children, let position): return at("and", position) + children.map(positionDump).joined()
    case .or(let children, let position): return at("or", position) + children.map(positionDump).joined()
    case .not(let child, let position): return at("not", position) + positionDump(child)
    case .binary(let lhs, _, _, let rhs, let position): return at("binary", position) + operand(lhs) + value(rhs)
    case .unary(let lhs, _, let position): return at("unary", position) + operand(lhs)
    case .identifier(_, let position): return at("identifier", position)
    }
}
