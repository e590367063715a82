import Foundation
import ArgumentParser
import FalcoRules
import Grading
import TraceModel

/// `tracelab validate`: loads rules files in order into one engine and reports like `falco -V`.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate Falco rules files (like falco -V) and Falco configurations (falco.yaml, Helm values.yaml).",
        discussion: """
        With --default-rules, those files load first, as Falco loads its default falco_rules.yaml before rules.d: \
        a student's rules that use open_write or spawned_process validate as they would in the lab's Falco. A Helm \
        values.yaml stands for its customRules entries, loaded in name order as the chart mounts them in rules.d, with \
        positions given in values.yaml's lines. With --config, a falco.yaml or a values.yaml (its falco: section) is checked against \
        Falco's settings: every unknown key (with the closest known one: syscall_event_drops.action, did you mean \
        actions?) and every value of the wrong type, all in one run; then the rules it names load (the rules_files \
        that exist on this machine, a values.yaml's customRules), after --default-rules. Unlike falco -V, which stops \
        at a file's first error, every error of every file is reported. Exit status: 0 when every file loads and \
        every configuration is valid, 1 otherwise.
        """)

    @Option(name: .customLong("default-rules"), help: "Default rules loaded first (e.g. rules/default_rules.yaml or Falco's falco_rules.yaml); repeat for several.")
    var defaultRules: [String] = []

    @Option(name: .customLong("config"), help: "A falco.yaml or Helm values.yaml to check; the rules it names are loaded too (repeatable).")
    var configs: [String] = []

    @Option(name: .customShort("V"), help: "A rules file to validate, as falco -V takes it (repeatable; loaded before the arguments).")
    var validateFlags: [String] = []

    @Argument(help: "Rules files, loaded in the order given.")
    var ruleArguments: [String] = []

    /// The rules files, `-V` ones first, as given.
    var rules: [String] { validateFlags + ruleArguments }

    @Option(help: "text (like falco -V) or json (like falco -o json_output=true -V).")
    var format: OutputStyle = .text

    func validate() throws {
        if rules.isEmpty && configs.isEmpty { throw ValidationError("Give rules files to validate, or --config FILE.") }
    }

    func run() throws {
        let loader = RulesLoader()
        // Every error of a file in one run (Falco stops at a file's first).
        loader.reportsEveryError = true
        var results: [LoadResult] = []
        for path in defaultRules + rules { results += loadRulesInput(path, into: loader) }
        var problems: [FalcoConfigSchema.Problem] = []
        var notes: [String] = []
        for path in configs {
            let checked = ConfigValidation.check(path)
            problems += checked.problems
            notes += checked.notes
            for file in checked.rulesFiles { results += loadRulesInput(file, into: loader) }
            results += loadCustomRules(checked.customRules, into: loader)
        }
        switch format {
        case .text:
            for problem in problems { print("\(problem.location): \(problem.severity.rawValue): \(problem.message)") }
            if !configs.isEmpty {
                let errors = problems.filter { $0.severity == .error }.count
                print(errors == 0 ? "\(configs.joined(separator: ", ")): configuration OK" : "\(configs.joined(separator: ", ")): \(errors) configuration error\(errors == 1 ? "" : "s")")
            }
            notes.forEach { print($0) }
            print(LoadResultFormatting.text(results), terminator: "")
        case .json:
            var object = LoadResultFormatting.json(results)
            if !configs.isEmpty, case .object(var fields) = object {
                fields.append(("tracelab_config_problems", .array(problems.map(ConfigValidation.json))))
                fields.append(("tracelab_config_notes", .array(notes.map(JSONValue.string))))
                object = .object(fields)
            }
            print(object.rendered)
        }
        if !defaultRules.isEmpty {
            let missing = FalcoDefaultNames.missing(from: loader)
            if !missing.isEmpty { printError("tracelab: warning: " + FalcoDefaultNames.warning(missing: missing, in: defaultRules)) }
        } else if let name = Self.undefinedDefaultMacro(results) {
            printError("tracelab: note: '\(name)' is a macro of Falco's default rules, which Falco loads before your files; "
                       + "validate with them: tracelab validate --default-rules rules/default_rules.yaml \(rules.joined(separator: " "))")
        }
        if results.contains(where: { !$0.successful }) || problems.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }

    /// The first "Undefined macro" error that names a macro of Falco's default rules.
    static func undefinedDefaultMacro(_ results: [LoadResult]) -> String? {
        for message in results.flatMap(\.errors) {
            guard let start = message.message.range(of: "Undefined macro '"), let end = message.message[start.upperBound...].firstIndex(of: "'") else { continue }
            let name = String(message.message[start.upperBound..<end])
            if FalcoDefaultNames.macros.contains(name) { return name }
        }
        return nil
    }
}

/// Loads one rules input into a loader: a rules file, or a Helm values.yaml, which stands for its
/// customRules entries in the chart's order (positions moved to values.yaml's lines).
func loadRulesInput(_ path: String, into loader: RulesLoader) -> [LoadResult] {
    guard let bytes = FileBytes.read(path), let files = try? Submission.customRules(ofValues: bytes, path: path) else { return [loader.load(path: path)] }
    return loadCustomRules(files, into: loader)
}

/// Loads a values.yaml's customRules entries in order, their messages placed in values.yaml's lines.
func loadCustomRules(_ files: [Submission.RulesFile], into loader: RulesLoader) -> [LoadResult] {
    files.map { file in
        var result = loader.load(bytes: file.bytes, name: file.name)
        result.errors = result.errors.map(file.located)
        result.warnings = result.warnings.map(file.located)
        return result
    }
}

/// Loads rules for the commands that evaluate them (rules files or values.yaml), into `loader` when given (after what
/// it holds); prints diagnostics and exits 1 on errors.
@discardableResult
func loadRules(_ paths: [String], into loader: RulesLoader = RulesLoader()) throws -> RulesLoader {
    var results: [LoadResult] = []
    for path in paths { results += loadRulesInput(path, into: loader) }
    let failed = results.filter { !$0.successful }
    if !failed.isEmpty {
        printError(LoadResultFormatting.text(failed))
        throw ExitCode(1)
    }
    return loader
}

/// `validate --config`: a configuration's schema problems and Falco's own checks, and the rules it names.
enum ConfigValidation {
    struct Checked {
        var problems: [FalcoConfigSchema.Problem] = []
        /// What was skipped or stood in for, said once.
        var notes: [String] = []
        /// The `rules_files` of a falco.yaml that exist here, files of a directory expanded.
        var rulesFiles: [String] = []
        /// A values.yaml's customRules entries, in the chart's order.
        var customRules: [Submission.RulesFile] = []
    }

    static func check(_ path: String) -> Checked {
        var checked = Checked()
        guard let bytes = FileBytes.read(path) else {
            checked.problems.append(.init(severity: .error, key: "", message: "cannot read configuration file", location: SourceLocation(file: path, line: 0, column: 0)))
            return checked
        }
        checked.problems = FalcoConfigSchema.check(bytes, name: path)
        do {
            let config = try FalcoConfig.parse(bytes, name: path)
            if config.usedDeprecatedRulesFile {
                checked.problems.append(.init(severity: .warning, key: "rules_file", message: "Using deprecated config key 'rules_file' (singular form); use 'rules_files'",
                                              location: SourceLocation(file: path, line: 1, column: 1)))
            }
            let directory = (path as NSString).deletingLastPathComponent
            if let files = try? Submission.customRules(ofValues: bytes, path: path) {
                checked.customRules = files
            } else {
                for entry in config.rulesFiles {
                    let resolved = entry.hasPrefix("/") ? entry : (directory.isEmpty ? entry : directory + "/" + entry)
                    var isDirectory: ObjCBool = false
                    if FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) {
                        checked.rulesFiles += isDirectory.boolValue ? expandDirectories([resolved], suffixes: [".yaml", ".yml"]) : [resolved]
                    } else {
                        checked.notes.append("\(path): rules_files entry '\(entry)' is not on this machine: skipped, as Falco skips a missing path"
                                             + (entry.hasPrefix("/etc/falco/") ? " (--default-rules stands in for Falco's default rules)" : ""))
                    }
                }
            }
        } catch {
            // Falco's own message, unless the schema check already named the same place.
            let location = error.location ?? SourceLocation(file: path, line: 1, column: 1)
            if !checked.problems.contains(where: { $0.severity == .error && $0.location.line == location.line }) {
                checked.problems.append(.init(severity: .error, key: "", message: error.message, location: location))
            }
        }
        checked.problems.sort { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
        return checked
    }

    static func json(_ problem: FalcoConfigSchema.Problem) -> JSONValue {
        .object([("file", .string(problem.location.file)), ("line", .integer(Int64(problem.location.line))), ("column", .integer(Int64(problem.location.column))),
                 ("severity", .string(problem.severity.rawValue)), ("key", .string(problem.key)), ("message", .string(problem.message))])
    }
}
