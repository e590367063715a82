import ArgumentParser

/// `--strict`: input that was skipped (a bad record, a cut capture, a missing sidecar) makes the exit status
/// non-zero instead of only being reported.
struct StrictOption: ParsableArguments {
    @Flag(name: .customLong("strict"), inversion: .prefixedNo,
          help: "Exit 1 when any input was skipped or degraded (bad records, cut captures, a missing sidecar); each is reported either way.")
    var strict = false
}

/// The input problems a command reported, counted: each is printed as it comes, and `finish` sums them up and,
/// under `--strict`, fails the command.
struct InputProblems {
    private(set) var count = 0

    /// Prints one problem (a reader's warning or a skipped record) on standard error.
    mutating func report(_ message: String) {
        count += 1
        printError("tracelab: warning: \(message)")
    }

    /// Says how many problems there were; exits 1 under `strict` when there were any.
    func finish(strict: Bool) throws {
        guard count > 0 else { return }
        printError("tracelab: \(count) input problem\(count == 1 ? "" : "s") (skipped or degraded input)\(strict ? "; --strict makes this an error" : "")")
        if strict { throw ExitCode(1) }
    }
}
