import ArgumentParser
import FalcoRules
import TraceModel

/// `tracelab validate`: loads rules files in order into one engine and reports like `falco -V`.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate Falco rules files (like falco -V), loaded in order into one engine.",
        discussion: "Exit status: 0 when every file loads, 1 when any has errors.")

    @Argument(help: "Rules files, loaded in the order given.")
    var rules: [String]

    @Option(help: "text (like falco -V) or json (like falco -o json_output=true -V).")
    var format: OutputStyle = .text

    func run() throws {
        let loader = RulesLoader()
        for path in rules { loader.load(path: path) }
        switch format {
        case .text: print(LoadResultFormatting.text(loader.results), terminator: "")
        case .json: print(LoadResultFormatting.json(loader.results).rendered)
        }
        if loader.results.contains(where: { !$0.successful }) { throw ExitCode(1) }
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
