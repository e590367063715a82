import Foundation
import TestSupport
import Testing
@testable import FalcoRules
import TraceModel
import TraceReaders

/// Runs `../shared/conformance/rule_loader_cases`: Falco's rule-loader unit tests and the testing repo's
/// validation cases, and the cases that replay public scap captures (`run` mode) through the scap reader,
/// the rules and Falco's options. Rules files are loaded as each case names them (`rules_file:` lines,
/// the legacy 1.0.1 ruleset under `_shared/` included), captures are found by file name wherever they sit
/// (../shared/upstream/scap, traces/scap). Cases whose captures are not offline (download.falco.org) and
/// expectations about what is outside the engine (schema validation, extra output formats, Falco's stdout
/// and stderr text, runs with a testing falco.yaml) are counted as not runnable; the counts, the cases run
/// and the known failures are pinned in Tests/Baselines/conformance.json.
@Suite("Rule loader conformance", .enabled(if: SharedData.runnable, SharedData.skipComment))
struct RuleLoaderConformanceTests {
    @Test("validate, engine_load, plugin_requirements and run cases: every outcome as pinned")
    func ruleLoaderCases() throws {
        let root = try SharedData.path("conformance/rule_loader_cases")
        var tally = Tally()
        let index = try ConformanceRow.readIndex(root + "/INDEX.tsv", into: &tally)
        for (caseID, mode) in index {
            let directory = root + "/" + caseID
            let lines = try String(contentsOfFile: directory + "/expect.txt", encoding: .utf8).split(separator: "\n").map(String.init)
            let rulesFiles = try Self.rulesFiles(directory, lines: lines, root: root)
            if mode == "run" {
                try runCase(caseID, directory: directory, lines: lines, rulesFiles: rulesFiles, tally: &tally)
                continue
            }
            var plugins: [String: SemanticVersion]?
            if let pluginLine = lines.first(where: { $0.hasPrefix("loaded_plugins:") }) {
                plugins = [:]
                for match in pluginLine.matches(of: #/\{"([^"]+)", "([^"]+)"\}/#) {
                    plugins?[String(match.1)] = SemanticVersion(String(match.2))
                }
            }
            let loader = RulesLoader(availablePlugins: plugins ?? RulesLoader.builtinPlugins,
                                     checkPluginRequirements: mode != "engine_load")
            var resultsByName: [String: LoadResult] = [:]
            for (name, path) in rulesFiles {
                resultsByName[name] = loader.load(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))), name: name)
            }
            let results = loader.results
            let allErrors = results.flatMap(\.errors), allWarnings = results.flatMap(\.warnings)
            let skipsOutput = lines.contains { $0.contains("add_extra_output_format") }
            var casePassed = true, checked = 0
            for (number, line) in lines.filter({ $0.hasPrefix("expect: ") }).enumerated() {
                let expectation = String(line.dropFirst(8))
                let id = "\(caseID)#\(number + 1)"
                guard let ok = evaluate(expectation, loader: loader, results: results, byName: resultsByName,
                                        errors: allErrors, warnings: allWarnings, skipsOutput: skipsOutput) else {
                    tally.skip(id, "not evaluated here: \(expectation.prefix { $0 != " " && $0 != "[" && $0 != "(" })")
                    continue
                }
                checked += 1
                tally.record("\(mode) expectations", id: id, ok,
                             "\(expectation) — errors: \(allErrors.map { "\($0.code.rawValue) \($0.locations.first?.itemType ?? "") '\($0.message)'" }) warnings: \(allWarnings.map(\.message))")
                casePassed = casePassed && ok
            }
            if checked > 0 { tally.record("\(mode) cases", id: caseID, casePassed, "a case with a failed expectation") } else { tally.skip(caseID, "no expectation evaluated") }
        }
        print(tally.report("rule loader conformance"))
        let problems = Baseline.check("Falco rule loader", tally)
        #expect(problems.isEmpty, "\(problems)")
    }

    /// The rules files of a case in load order, as (name the loader reports, path): the `rules_file:` lines
    /// (a legacy ruleset under `_shared/` included), or else the case's `NN-` files.
    static func rulesFiles(_ directory: String, lines: [String], root: String) throws -> [(String, String)] {
        let named = lines.filter { $0.hasPrefix("rules_file: ") }.map { line -> String in
            String(line.dropFirst("rules_file: ".count).prefix { $0 != " " })
        }
        if !named.isEmpty {
            return named.map { file in
                let path = file.hasPrefix("../") ? root + "/" + file.dropFirst(3) : directory + "/" + file
                let name = String(file.split(separator: "/").last ?? Substring(file))
                return (name.range(of: #"^\d\d-"#, options: .regularExpression) != nil ? String(name.dropFirst(3)) : name, path)
            }
        }
        return try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.range(of: #"^\d\d-"#, options: .regularExpression) != nil }.sorted()
            .map { (String($0.dropFirst(3)), directory + "/" + $0) }
    }

    /// A capture named by a case, found by its file name among the captures this project reads.
    static func capture(named line: String) -> String? {
        let parts = line.split(separator: " ")
        guard parts.count >= 3, let name = parts[2].split(separator: "/").last else { return nil }
        let folders = [Repository.sharedRoot.appendingPathComponent("upstream/scap").path, Repository.file("traces/scap")]
        return folders.map { $0 + "/" + name }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// A `run` case: the rules files loaded in order, Falco's options applied, the capture replayed, the
    /// detections and errors compared.
    private func runCase(_ caseID: String, directory: String, lines: [String], rulesFiles: [(String, String)], tally: inout Tally) throws {
        guard let captureLine = lines.first(where: { $0.hasPrefix("capture: ") }), let capturePath = Self.capture(named: captureLine) else {
            tally.skip(caseID, "capture not available offline")
            return
        }
        let options = lines.filter { $0.hasPrefix("option: ") }.map { String($0.dropFirst(8)) }
        let expectations = lines.filter { $0.hasPrefix("expect: ") }.map { String($0.dropFirst(8)) }
        // Options the engine has; the others change only how Falco prints or runs.
        var minimum = Priority.debug
        var enabledTags: [String]?, disabledTags: [String] = []
        for option in options {
            let arguments = option.matches(of: #/"([^"]*)"/#).map { String($0.1) }
            if option.hasPrefix("falco.WithMinRulePriority"), let text = arguments.first, let priority = Priority(parsing: text) { minimum = priority }
            else if option.hasPrefix("falco.WithEnabledTags") { enabledTags = arguments }
            else if option.hasPrefix("falco.WithDisabledTags") { disabledTags += arguments }
            else if option.hasPrefix("falco.WithConfig") {
                // A run with one of the testing repo's falco.yaml files checks Falco's own settings (drop actions, metrics...).
                tally.skip(caseID, "runs with a testing falco.yaml")
                return
            }
        }
        let loader = RulesLoader()
        for (name, path) in rulesFiles { loader.load(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))), name: name) }
        let failed = loader.results.contains { !$0.successful }
        var detections: [(rule: String, priority: Priority)] = []
        if !failed {
            let engine = RuleEngine(loader: loader, minimumPriority: minimum)
            if let enabledTags {
                engine.setEnabled(false, ruleNamePattern: "*")
                for tag in enabledTags { engine.setEnabled(true, tag: tag) }
            }
            for tag in disabledTags { engine.setEnabled(false, tag: tag) }
            let (stream, _) = try TraceFiles.open(capturePath)
            while let event = try stream.next() {
                for alert in engine.process(event) { detections.append((alert.rule, alert.priority)) }
            }
        }
        var casePassed = true, checked = 0
        for (number, expectation) in expectations.enumerated() {
            let id = "\(caseID)#\(number + 1)"
            var verdict: Bool?
            if let match = expectation.firstMatch(of: #/^detections (.*?) (==|>) (\d+)$/#) {
                var selected = detections
                let filters = String(match.1)
                if filters != "all" {
                    for filter in filters.matches(of: #/(rule|priority)="([^"]*)"/#) {
                        let value = String(filter.2)
                        // Falco's test helper matches priorities by level ("INFO" is Informational).
                        selected = selected.filter { filter.1 == "rule" ? $0.rule == value : $0.priority == Priority(parsing: value) }
                    }
                }
                let count = Int(match.3) ?? 0
                verdict = match.2 == "==" ? selected.count == count : selected.count > count
            } else if let match = expectation.firstMatch(of: #/^falco_error == (none|some)/#) {
                verdict = failed == (match.1 == "some")
            } else if let match = expectation.firstMatch(of: #/^exit_code == (\d+)/#) {
                verdict = (failed ? 1 : 0) == Int(match.1)
            }
            guard let ok = verdict else {
                tally.skip(id, "not evaluated here: \(expectation.prefix { $0 != " " })")
                continue
            }
            checked += 1
            tally.record("run expectations", id: id, ok, "\(expectation) — \(detections.count) detections: \(Dictionary(grouping: detections, by: \.rule).mapValues(\.count))")
            casePassed = casePassed && ok
        }
        if checked > 0 { tally.record("run cases", id: caseID, casePassed, "a case with a failed expectation") } else { tally.skip(caseID, "no expectation evaluated") }
    }

    private func evaluate(_ expectation: String, loader: RulesLoader, results: [LoadResult], byName: [String: LoadResult],
                          errors: [LoadMessage], warnings: [LoadMessage], skipsOutput: Bool) -> Bool? {
        func quoted(_ text: String) -> String? {
            guard let start = text.firstIndex(of: "\""), let end = text.lastIndex(of: "\""), start < end else { return nil }
            return String(text[text.index(after: start)..<end]).replacingOccurrences(of: "\\\"", with: "\"")
        }
        if let match = expectation.firstMatch(of: #/^load\[(.+)\] == (ok|fail)/#) {
            guard let result = byName[String(match.1)] else { return false }
            return result.successful == (match.2 == "ok")
        }
        if expectation.hasPrefix("error_message_contains"), let text = quoted(expectation) {
            return errors.contains { $0.message.contains(text) }
        }
        if expectation.hasPrefix("warning_message_contains"), let text = quoted(expectation) {
            return warnings.contains { $0.message.contains(text) }
        }
        if expectation.hasPrefix("warning_message_not_contains"), let text = quoted(expectation) {
            return !warnings.contains { $0.message.contains(text) }
        }
        if let match = expectation.firstMatch(of: #/^has_warnings == (true|false)/#) {
            return (results.last.map { !$0.warnings.isEmpty } ?? false) == (match.1 == "true")
        }
        if let match = expectation.firstMatch(of: #/^compiled_condition\[(.+?)\] == /#), let text = quoted(expectation) {
            return loader.compiledCondition(ofRule: String(match.1)) == text
        }
        if let match = expectation.firstMatch(of: #/^compiled_output\[(.+?)\] == /#), let text = quoted(expectation) {
            if skipsOutput { return nil }
            return loader.compiledRules.first { $0.name == String(match.1) }?.outputText == text
        }
        if let match = expectation.firstMatch(of: #/^describe\[rules\]\[0\]\[info\]\[(\w+)\] == (.+)$/#) {
            guard let rule = loader.compiledRules.first else { return false }
            let value = String(match.2)
            switch match.1 {
            case "condition": return rule.rawCondition == quoted(value)
            case "output": return rule.outputText == quoted(value)
            case "description": return rule.description == quoted(value)
            case "capture": return String(rule.capture) == value
            case "capture_duration": return "\(rule.captureDuration)u" == value
            default: return nil
            }
        }
        if let match = expectation.firstMatch(of: #/^validation_(error|warning)_present (.*)$/#) {
            let pool = match.1 == "error" ? errors : warnings
            var properties: [(String, String)] = []
            for property in String(match.2).matches(of: #/(\w+)(=|~)"((?:[^"\\]|\\.)*)"/#) {
                properties.append((String(property.1) + String(property.2), String(property.3).replacingOccurrences(of: "\\\"", with: "\"")))
            }
            // Code and message are properties of the entry; item type and name must hold for one location of its context.
            let itemType = properties.first { $0.0 == "itemtype=" }?.1.lowercased()
            let itemName = properties.first { $0.0 == "itemname=" }?.1
            return pool.contains { message in
                let locationMatches = message.locations.contains { location in
                    (itemType == nil || location.itemType.lowercased() == itemType) && (itemName == nil || location.itemName == itemName)
                }
                return locationMatches && properties.allSatisfy { key, value in
                    switch key {
                    case "code=": return message.code.rawValue.lowercased() == value.lowercased()
                    case "message=": return message.message == value
                    case "message~": return message.message.range(of: value, options: .regularExpression) != nil
                    default: return true
                    }
                }
            }
        }
        if let match = expectation.firstMatch(of: #/^validation_result\[(\d+)\]\.successful == (true|false)/#) {
            guard let index = Int(match.1), index < results.count else { return false }
            return results[index].successful == (match.2 == "true")
        }
        if let match = expectation.firstMatch(of: #/^exit_code == (\d+)/#) {
            return (errors.isEmpty ? 0 : 1) == Int(match.1)
        }
        if let match = expectation.firstMatch(of: #/^falco_error == (none|some)/#) {
            return errors.isEmpty == (match.1 == "none")
        }
        if let match = expectation.firstMatch(of: #/^plugin_requirements_satisfied == (true|false)/#) {
            return errors.isEmpty == (match.1 == "true")
        }
        return nil
    }
}

extension ConformanceRow {
    /// `INDEX.tsv` of rule_loader_cases: case id and mode; short rows are named in `tally.unreadable`.
    static func readIndex(_ path: String, into tally: inout Tally) throws -> [(String, String)] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var cases: [(String, String)] = []
        for (number, line) in text.split(separator: "\n").enumerated().dropFirst() {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count > 3 else {
                tally.unreadable.append("INDEX.tsv:\(number + 1)")
                continue
            }
            cases.append((String(columns[0]), String(columns[3])))
        }
        return cases
    }
}
