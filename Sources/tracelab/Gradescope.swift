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
/// release binary, the key, the rules, the scenarios and the recordings they replay.
struct GradescopePackage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package", abstract: "Build the Gradescope autograder zip around a release binary.",
        discussion: "Build the binary first with: swift build -c release --static-swift-stdlib")

    @Option(help: "The tracelab binary to ship.")
    var binary = ".build/release/tracelab"

    @Option(help: "The answer key; its folder, the rules, the scenarios and the traces it uses are packed.")
    var key = "answers/key.yaml"

    @Option(name: .shortAndLong, help: "The zip to write.")
    var output = "tracelab-autograder.zip"

    func run() throws {
        guard let program = FileManager.default.contents(atPath: binary) else {
            throw ValidationError("no binary at \(binary): build it with `swift build -c release --static-swift-stdlib`")
        }
        let answerKey = try AnswerKey.load(path: key)
        var entries: [(path: String, bytes: [UInt8], executable: Bool)] = [
            ("setup.sh", Array(Self.setup.utf8), true),
            ("run_autograder", Array(Self.runAutograder.utf8), true),
            ("source/tracelab", Array(program), true),
        ]
        // The key and every file it depends on, under source/ with their project paths; the reference
        // solution stays out.
        var files = Set(answerKey.dependencies.filter { FileManager.default.fileExists(atPath: $0) })
        for item in answerKey.items {
            if case .writtenAlert(let spec) = item.check, let scenario = try? Scenario.load(path: spec.scenario) {
                for trace in scenario.tracePaths { files.insert(trace); files.insert(trace + ".sidecar.json") }
            }
        }
        var packed: Set<String> = []
        for file in files.sorted() where FileManager.default.fileExists(atPath: file) {
            guard let relative = Self.projectPath(file), packed.insert(relative).inserted, let bytes = FileBytes.read(file) else { continue }
            entries.append(("source/" + relative, bytes, false))
        }
        let zip = ZipWriter.archive(entries.sorted { $0.path < $1.path })
        try Data(zip).write(to: URL(fileURLWithPath: output))
        print("wrote \(output): \(entries.count) files, \(zip.count) bytes")
    }

    /// A path relative to the project folder, with `..` segments resolved; nil when it leaves the project.
    static func projectPath(_ path: String) -> String? {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return path.hasPrefix("/") || parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    static let setup = """
    #!/usr/bin/env bash
    # Gradescope runs this once when the image is built: the system libraries tracelab links.
    set -euo pipefail
    apt-get update
    apt-get install -y --no-install-recommends libsqlite3-0 zlib1g libpcap0.8 'libssl3|libssl3t64' || \\
      apt-get install -y --no-install-recommends libsqlite3-0 zlib1g libpcap0.8 libssl3t64

    """

    static let runAutograder = """
    #!/usr/bin/env bash
    # Gradescope runs this for each submission: /autograder/submission in, /autograder/results/results.json out.
    cd /autograder/source
    exec ./tracelab gradescope run --root /autograder --key answers/key.yaml

    """
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
