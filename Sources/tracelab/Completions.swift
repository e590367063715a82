import ArgumentParser

/// `tracelab completions bash|zsh|fish`: the shell completion script, to save where the shell looks for it.
struct Completions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the shell completion script for bash, zsh or fish.",
        discussion: """
        bash: tracelab completions bash > ~/.local/share/bash-completion/completions/tracelab; \
        zsh: tracelab completions zsh > ~/.zfunc/_tracelab (with ~/.zfunc in fpath); \
        fish: tracelab completions fish > ~/.config/fish/completions/tracelab.fish.
        """)

    @Argument(help: "bash, zsh or fish.")
    var shell: CompletionShell

    func run() {
        print(TraceLab.completionScript(for: shell))
    }
}

extension CompletionShell: @retroactive ExpressibleByArgument {}
