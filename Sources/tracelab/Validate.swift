import ArgumentParser
import FalcoRules
import TraceModel

/// `tracelab validate`: loads rules files in order into one engine and reports like `falco -V`.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate Falco rules files (like falco -V), loaded in order into one engine.",
        discussion: """
        With --default-rules, those files load first, as Falco loads its default falco_rules.yaml before rules.d: \
        a student's rules that use open_write or spawned_process validate as they would in the lab's Falco. \
        Exit status: 0 when every file loads, 1 when any has errors.
        """)

    @Option(name: .customLong("default-rules"), help: "Default rules loaded first (e.g. rules/default_rules.yaml or Falco's falco_rules.yaml); repeat for several.")
    var defaultRules: [String] = []

    @Argument(help: "Rules files, loaded in the order given.")
    var rules: [String]

    @Option(help: "text (like falco -V) or json (like falco -o json_output=true -V).")
    var format: OutputStyle = .text

    func run() throws {
        let loader = RulesLoader()
        for path in defaultRules + rules { loader.load(path: path) }
        switch format {
        case .text: print(LoadResultFormatting.text(loader.results), terminator: "")
        case .json: print(LoadResultFormatting.json(loader.results).rendered)
        }
        if !defaultRules.isEmpty {
            let missing = FalcoDefaultNames.missing(from: loader)
            if !missing.isEmpty { printError("tracelab: warning: " + FalcoDefaultNames.warning(missing: missing, in: defaultRules)) }
        } else if let name = Self.undefinedDefaultMacro(loader.results) {
            printError("tracelab: note: '\(name)' is a macro of Falco's default rules, which Falco loads before your files; "
                       + "validate with them: tracelab validate --default-rules rules/default_rules.yaml \(rules.joined(separator: " "))")
        }
        if loader.results.contains(where: { !$0.successful }) { throw ExitCode(1) }
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

/// Loads rules for the commands that evaluate them; prints diagnostics and exits 1 on errors.
func loadRules(_ paths: [String]) throws -> RulesLoader {
    let loader = RulesLoader()
    for path in paths { loader.load(path: path) }
    let failed = loader.results.filter { !$0.successful }
    if !failed.isEmpty {
        printError(LoadResultFormatting.text(failed))
        throw ExitCode(1)
    }
    return loader
}
