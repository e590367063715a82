import ArgumentParser
import FalcoRules
import Grading
import TraceModel

/// `tracelab validate`: loads rules files in order into one engine and reports like `falco -V`.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate Falco rules files (like falco -V), loaded in order into one engine.",
        discussion: """
        With --default-rules, those files load first, as Falco loads its default falco_rules.yaml before rules.d: \
        a student's rules that use open_write or spawned_process validate as they would in the lab's Falco. A Helm \
        values.yaml stands for its customRules entries, loaded in name order as the chart mounts them in rules.d, with \
        positions given in values.yaml's lines. Exit status: 0 when every file loads, 1 when any has errors.
        """)

    @Option(name: .customLong("default-rules"), help: "Default rules loaded first (e.g. rules/default_rules.yaml or Falco's falco_rules.yaml); repeat for several.")
    var defaultRules: [String] = []

    @Argument(help: "Rules files, loaded in the order given.")
    var rules: [String]

    @Option(help: "text (like falco -V) or json (like falco -o json_output=true -V).")
    var format: OutputStyle = .text

    func run() throws {
        let loader = RulesLoader()
        var results: [LoadResult] = []
        for path in defaultRules + rules { results += loadRulesInput(path, into: loader) }
        switch format {
        case .text: print(LoadResultFormatting.text(results), terminator: "")
        case .json: print(LoadResultFormatting.json(results).rendered)
        }
        if !defaultRules.isEmpty {
            let missing = FalcoDefaultNames.missing(from: loader)
            if !missing.isEmpty { printError("tracelab: warning: " + FalcoDefaultNames.warning(missing: missing, in: defaultRules)) }
        } else if let name = Self.undefinedDefaultMacro(results) {
            printError("tracelab: note: '\(name)' is a macro of Falco's default rules, which Falco loads before your files; "
                       + "validate with them: tracelab validate --default-rules rules/default_rules.yaml \(rules.joined(separator: " "))")
        }
        if results.contains(where: { !$0.successful }) { throw ExitCode(1) }
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
    return files.map { file in
        var result = loader.load(bytes: file.bytes, name: file.name)
        result.errors = result.errors.map(file.located)
        result.warnings = result.warnings.map(file.located)
        return result
    }
}

/// Loads rules for the commands that evaluate them (rules files or values.yaml); prints diagnostics and exits 1 on errors.
func loadRules(_ paths: [String]) throws -> RulesLoader {
    let loader = RulesLoader()
    var results: [LoadResult] = []
    for path in paths { results += loadRulesInput(path, into: loader) }
    let failed = results.filter { !$0.successful }
    if !failed.isEmpty {
        printError(LoadResultFormatting.text(failed))
        throw ExitCode(1)
    }
    return loader
}
