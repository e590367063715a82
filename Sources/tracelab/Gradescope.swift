import ArgumentParser
import Foundation
import Grading
import Reports
import Scenarios
import TraceModel

/// `tracelab gradescope`: grading inside Gradescope's autograder container, and the zip that sets it up.
struct GradescopeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradescope", abstract: "Run as a Gradescope autograder, or build the autograder zip.",
        subcommands: [GradescopeRun.self, GradescopePackage.self])
}

/// `tracelab gradescope run`: grades `/autograder/submission` and writes `/autograder/results/results.json`,
/// following Gradescope's container layout. Run from the folder that holds `answers/` (the package's
/// `run_autograder` does so from `/autograder/source`).
struct GradescopeRun: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Grade /autograder/submission into /autograder/results/results.json.")

    @Option(help: "The autograder root (Gradescope: /autograder).")
    var root = "/autograder"

    @Option(help: "The answer key.")
    var key = "answers/key.yaml"

    @Option(help: "Seconds the submission may take.")
    var timeout = 300

    func run() throws {
        let results = root + "/results"
        try FileManager.default.createDirectory(atPath: results, withIntermediateDirectories: true)
        let answerKey: AnswerKey
        do { answerKey = try AnswerKey.load(path: key) } catch {
            // Gradescope shows a malformed or missing results.json as a failed autograder: always write one.
            let message = JSONValue.object([("score", .double(0)), ("output", .string("The autograder could not load its key: \(error)")),
                                            ("tests", .array([]))]).rendered + "\n"
            try Data(message.utf8).write(to: URL(fileURLWithPath: results + "/results.json"))
            throw ExitCode(2)
        }
        let setup = ClassGrading.Setup(executable: "/proc/self/exe", key: key, limits: GradingLimits(seconds: timeout, memoryMiB: 4096), workers: 1)
        let graded = ClassGrading.gradeAll([root + "/submission"], answerKey: answerKey, setup: setup)
        var report = graded.first?.report ?? ClassGrading.failedReport(answerKey, path: root + "/submission", reason: "not graded")
        report.submission = "submission"
        // Written once, at the end, as Gradescope's documentation advises.
        try Data(GradeReports.gradescope(report).utf8).write(to: URL(fileURLWithPath: results + "/results.json"))
        print(GradeReports.markdown(report), terminator: "")
    }
}

/// `tracelab gradescope package`: the autograder zip: `setup.sh` and `run_autograder` at its root, the
/// release binary (the Swift runtime linked in: Gradescope's image has no Swift), the key and every file it
/// names (rules, scenarios, the recordings they replay), laid out under `source/` as they lie around the key.
struct GradescopePackage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package", abstract: "Build the Gradescope autograder zip around a release binary, and check it.",
        discussion: """
        Build the binary first with: swift build -c release --static-swift-stdlib. The key may be anywhere; the \
        files it names are packed with their places relative to it. The package is refused when a file the key \
        names is missing or lies outside the folders packed by an absolute path, or when the binary needs the Swift \
        toolchain's libraries. --check then unpacks the zip into an empty folder and grades every example \
        submission with the unpacked binary as Gradescope would (no toolchain on the library path), comparing each \
        results.json with the grade this checkout gives.
        """)

    @Option(help: "The tracelab binary to ship.")
    var binary = ".build/release/tracelab"

    @Option(help: "The answer key; it and every file it names are packed.")
    var key = "answers/key.yaml"

    @Option(name: .shortAndLong, help: "The zip to write.")
    var output = "tracelab-autograder.zip"

    @Flag(help: "After writing the zip, unpack it into an empty folder and run it on the example submissions.")
    var check = false

    @Option(help: "The submissions --check grades (default: every folder of examples/submissions).")
    var examples = "examples/submissions"

    func run() throws {
        guard let program = FileManager.default.contents(atPath: binary) else {
            throw ValidationError("no binary at \(binary): build it with `swift build -c release --static-swift-stdlib`")
        }
        let toolchain = try Self.toolchainLibraries(binary)
        if !toolchain.isEmpty {
            printError("tracelab: \(binary) needs the Swift toolchain's \(toolchain.joined(separator: ", ")), which Gradescope's image lacks; build it with `swift build -c release --static-swift-stdlib`")
            throw ExitCode(1)
        }
        let layout: KeyLayout
        do { layout = try KeyLayout(key: key) } catch {
            printError("tracelab: \(error)")
            throw ExitCode(1)
        }
        var entries: [(path: String, bytes: [UInt8], executable: Bool)] = [
            ("setup.sh", Array(Self.setup.utf8), true),
            ("run_autograder", Array(Self.runAutograder(key: layout.keyInPackage).utf8), true),
            ("source/tracelab", Array(program), true),
        ]
        for (file, packed) in layout.files {
            guard let bytes = FileBytes.read(file) else { throw ValidationError("cannot read \(file)") }
            entries.append(("source/" + packed, bytes, false))
        }
        let zip = ZipWriter.archive(entries.sorted { $0.path < $1.path })
        try Data(zip).write(to: URL(fileURLWithPath: output))
        print("wrote \(output): \(entries.count) files, \(zip.count) bytes")
        if check { try PackageCheck(zip: output, key: key, examples: examples).run() }
    }

    /// Shared libraries of the toolchain (the Swift runtime, Foundation, Dispatch) the binary loads.
    static func toolchainLibraries(_ binary: String) throws -> [String] {
        let ldd = try Subprocess.execute("/usr/bin/ldd", [binary])
        return ldd.stdout.split(separator: "\n").compactMap { line -> String? in
            let name = line.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
            return ["libswift", "libFoundation", "lib_FoundationICU", "libdispatch", "libBlocksRuntime"].contains { name.hasPrefix($0) } ? name : nil
        }
    }

    static let setup = """
    #!/usr/bin/env bash
    # Gradescope runs this once when the image is built: the system libraries tracelab links (the Swift runtime is
    # linked into the binary). Package names differ across Debian and Ubuntu releases: the first that exists wins.
    set -euo pipefail
    apt-get update
    install_one() { for name in "$@"; do apt-get install -y --no-install-recommends "$name" && return 0; done; return 1; }
    apt-get install -y --no-install-recommends libsqlite3-0 zlib1g libpcap0.8 libstdc++6
    install_one libssl3 libssl3t64
    install_one libre2-11 libre2-10 libre2-9

    """

    /// Gradescope runs this for each submission.
    static func runAutograder(key: String) -> String {
        """
        #!/usr/bin/env bash
        # Gradescope runs this for each submission: /autograder/submission in, /autograder/results/results.json out.
        cd "${TRACELAB_AUTOGRADER_SOURCE:-/autograder/source}"
        exec ./tracelab gradescope run --root "${TRACELAB_AUTOGRADER_ROOT:-/autograder}" --key '\(key)'

        """
    }
}

/// Where the key and the files it names go in the package: their common folder becomes `source/`, so every
/// path the key and its scenarios give, relative to themselves, still leads to the same file.
struct KeyLayout {
    /// (file as given, path under `source/`), in path order.
    var files: [(String, String)] = []
    var keyInPackage = ""

    init(key: String) throws(TraceLabError) {
        let answerKey = try AnswerKey.load(path: key)
        var wanted = answerKey.dependencies.filter { !$0.hasSuffix(".sidecar.json") || FileManager.default.fileExists(atPath: $0) }
        for item in answerKey.items {
            if case .writtenAlert(let spec) = item.check, let scenario = try? Scenario.load(path: spec.scenario) {
                wanted += scenario.tracePaths + scenario.capturePaths + scenario.metricPaths
                wanted += scenario.tracePaths.map { $0 + ".sidecar.json" }.filter { FileManager.default.fileExists(atPath: $0) }
            }
        }
        let missing = wanted.filter { !FileManager.default.fileExists(atPath: $0) }
        if !missing.isEmpty {
            throw TraceLabError("the key names files that are not here: \(Set(missing).sorted().joined(separator: ", "))", at: SourceLocation(file: key, line: 0, column: 0))
        }
        let current = FileManager.default.currentDirectoryPath
        let absolute = wanted.map { AnswerKey.normalized($0.hasPrefix("/") ? $0 : current + "/" + $0) }
        let base = Self.commonFolder(absolute.map { ($0 as NSString).deletingLastPathComponent }) ?? current
        let prefix = base.hasSuffix("/") ? base : base + "/"
        var seen: Set<String> = []
        for (given, path) in zip(wanted, absolute) where seen.insert(path).inserted {
            files.append((given, String(path.dropFirst(prefix.count))))
        }
        files.sort { $0.1 < $1.1 }
        keyInPackage = String(AnswerKey.normalized(key.hasPrefix("/") ? key : current + "/" + key).dropFirst(prefix.count))
    }

    /// The deepest folder holding every one of these absolute folders (nil for none).
    static func commonFolder(_ folders: [String]) -> String? {
        guard var common = folders.first?.split(separator: "/") else { return nil }
        for folder in folders.dropFirst() {
            let parts = folder.split(separator: "/")
            common = Array(zip(common, parts).prefix { $0 == $1 }.map(\.0))
        }
        return "/" + common.joined(separator: "/")
    }
}

/// `gradescope package --check`: the zip unpacked into an empty folder and run as Gradescope runs it.
struct PackageCheck {
    var zip: String
    var key: String
    var examples: String

    func run() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tracelab-package-check-\(getpid())").path
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work + "/unpacked", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let unzip = try Subprocess.execute("/usr/bin/unzip", ["-q", zip, "-d", work + "/unpacked"])
        guard unzip.status == 0 else { throw ValidationError("unzip failed: \(unzip.stderr)") }
        for script in ["setup.sh", "run_autograder", "source/tracelab"] {
            guard FileManager.default.isExecutableFile(atPath: work + "/unpacked/" + script) else { throw ValidationError("\(script) is not executable in the zip") }
        }
        let submissions = ((try? FileManager.default.contentsOfDirectory(atPath: examples)) ?? []).sorted().map { examples + "/" + $0 }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        if submissions.isEmpty { throw ValidationError("no example submissions in \(examples)") }
        var failures = 0
        for submission in submissions {
            let root = work + "/root-" + (submission as NSString).lastPathComponent
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: submission, toPath: root + "/submission")
            // As Gradescope runs it: its script, a bare PATH, no library path, nothing of this checkout.
            let environment = ["PATH": "/usr/bin:/bin", "TRACELAB_AUTOGRADER_SOURCE": work + "/unpacked/source", "TRACELAB_AUTOGRADER_ROOT": root]
            let graded = try Subprocess.execute("/bin/bash", [work + "/unpacked/run_autograder"], environment: environment)
            let expected = try Subprocess.execute("/proc/self/exe", ["grade", "--self", "--format", "json", "--key", key, submission])
            let score = FileBytes.read(root + "/results/results.json").flatMap(Self.score), wanted = Self.score(Array(expected.stdout.utf8))
            let ok = graded.status == 0 && score != nil && score == wanted
            if !ok { failures += 1 }
            print("\((submission as NSString).lastPathComponent): \(ok ? "ok" : "FAILED"), score \(score.map { String($0) } ?? "none") (this checkout: \(wanted.map { String($0) } ?? "none"))"
                  + (graded.status == 0 ? "" : "; run_autograder exit \(graded.status): \(graded.stderr.suffix(300))"))
        }
        print("package check: \(submissions.count - failures) of \(submissions.count) submissions graded by the unpacked autograder as here")
        if failures > 0 { throw ExitCode(1) }
    }

    /// The `score` of a results.json or report.json.
    static func score(_ bytes: [UInt8]) -> Double? {
        switch (try? JSONParser.parse(bytes))?["score"] {
        case .double(let value)?: value
        case .integer(let value)?: Double(value)
        case .unsigned(let value)?: Double(value)
        default: nil
        }
    }
}

/// Writes zip archives with deflated entries, fixed timestamps and Unix modes: the same files give the
/// same bytes.
enum ZipWriter {
    static func archive(_ entries: [(path: String, bytes: [UInt8], executable: Bool)]) -> [UInt8] {
        func u16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
        func u32(_ value: Int) -> [UInt8] { u16(value & 0xFFFF) + u16(value >> 16 & 0xFFFF) }
        let dosTime = 0, dosDate = (1 << 5) | 1  // 1980-01-01 00:00
        var out: [UInt8] = [], central: [UInt8] = []
        for entry in entries {
            let name = Array(entry.path.utf8)
            let crc = Int(SubmissionArchive.crc32(entry.bytes))
            let data = SubmissionArchive.deflate(entry.bytes, windowBits: -15)
            let offset = out.count
            let common = u16(20) + u16(0x0800) + u16(8) + u16(dosTime) + u16(dosDate) + u32(crc) + u32(data.count) + u32(entry.bytes.count) + u16(name.count) + u16(0)
            out += u32(0x0403_4B50) + common + name + data
            let mode = entry.executable ? 0o100755 : 0o100644
            central += u32(0x0201_4B50) + u16(3 << 8 | 20) + common + u16(0) + u16(0) + u16(0) + u32(mode << 16) + u32(offset) + name
        }
        return out + central + u32(0x0605_4B50) + u16(0) + u16(0) + u16(entries.count) + u16(entries.count) + u32(central.count) + u32(out.count) + u16(0)
    }
}
