import Foundation

/// Locates `../shared` beside the repository. A user's clone has none: tests that need it report the
/// absence and pass; CI has it and must run them.
enum SharedData {
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var sharedRoot: URL? {
        let candidate = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: candidate.appendingPathComponent("conformance").path) ? candidate : nil
    }

    /// Whether tests that need `../shared` run: when it is present, and always under `CI=true`, where its
    /// absence must fail them rather than skip them.
    static var runnable: Bool { sharedRoot != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The path of a file under `../shared`, or nil (with a note printed) when the folder is absent.
    static func path(_ relative: String) -> String? {
        guard let root = sharedRoot else {
            print("note: ../shared is absent; \(relative) cannot be checked in this clone")
            return nil
        }
        return root.appendingPathComponent(relative).path
    }

    static func fixture(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("traces/examples").appendingPathComponent(name).path
    }
}

/// One row of a conformance TSV, unescaped.
struct ConformanceRow {
    var id: String
    var test: String
    var kind: String
    var input: String
    var expected: String
    var detail: String
    var context: String

    /// Reads a TSV with the conformance folder's escaping (`\\`, `\t`, `\n`, `\r`).
    static func read(_ path: String) throws -> [ConformanceRow] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var rows: [ConformanceRow] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() where index > 0 {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map { unescape(String($0)) }
            guard columns.count >= 8 else { continue }
            rows.append(ConformanceRow(id: columns[0], test: columns[3], kind: columns[4], input: columns[5], expected: columns[6],
                                       detail: columns[7], context: columns.count > 8 ? columns[8] : ""))
        }
        return rows
    }

    static func unescape(_ text: String) -> String {
        var out = ""
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            guard character == "\\" else { out.append(character); continue }
            switch iterator.next() {
            case "\\": out.append("\\")
            case "t": out.append("\t")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case let other?: out.append("\\"); out.append(other)
            case nil: out.append("\\")
            }
        }
        return out
    }
}

/// Pass counts per kind, printed by the conformance tests and kept in docs/conformance.md.
struct Tally {
    var passed: [String: Int] = [:]
    var total: [String: Int] = [:]
    var failures: [String] = []
    var notRunnable: [String] = []

    mutating func record(_ kind: String, _ ok: Bool, _ note: @autoclosure () -> String) {
        total[kind, default: 0] += 1
        if ok { passed[kind, default: 0] += 1 } else { failures.append(note()) }
    }

    func rate(_ kinds: [String]) -> Double {
        let done = kinds.reduce(0) { $0 + (passed[$1] ?? 0) }
        let all = kinds.reduce(0) { $0 + (total[$1] ?? 0) }
        return all == 0 ? 1 : Double(done) / Double(all)
    }

    func report(_ title: String) -> String {
        var out = "\(title)\n"
        for kind in total.keys.sorted() {
            out += "  \(kind): \(passed[kind] ?? 0)/\(total[kind] ?? 0)\n"
        }
        for failure in failures { out += "  FAIL \(failure)\n" }
        if !notRunnable.isEmpty {
            out += "  not runnable (\(notRunnable.count)): " + notRunnable.map { $0.split(separator: ":").first.map(String.init) ?? $0 }.joined(separator: " ") + "\n"
        }
        return out
    }
}
