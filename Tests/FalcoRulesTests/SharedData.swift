import Foundation
import TestSupport

/// `../shared` beside the repository, through TestSupport: a test that needs it says so in a trait
/// (`.enabled(if: SharedData.runnable, SharedData.skipComment)`) and reads files with `path`, which throws
/// (the test fails) when the folder or the file is absent.
enum SharedData {
    static let repositoryRoot: URL = Repository.root

    /// Whether tests that need `../shared` run: when it is present, and always under `CI=true`.
    static var runnable: Bool { Prerequisite.shared.runnable }

    /// Why they are skipped where it is absent.
    static var skipComment: Comment { Comment(rawValue: Prerequisite.shared.skipReason) }

    /// The path of a file under `../shared`; throws when it is absent.
    static func path(_ relative: String) throws -> String { try Repository.shared(relative) }

    static func fixture(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("traces/examples").appendingPathComponent(name).path
    }
}

import Testing

/// One row of a conformance TSV, unescaped.
struct ConformanceRow {
    var id: String
    var test: String
    var kind: String
    var input: String
    var expected: String
    var detail: String
    var context: String

    /// Reads a TSV with the conformance folder's escaping (`\\`, `\t`, `\n`, `\r`); rows with too few
    /// columns are named in `unreadable`, never dropped silently.
    static func read(_ path: String, into tally: inout Tally) throws -> [ConformanceRow] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var rows: [ConformanceRow] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() where index > 0 {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map { unescape(String($0)) }
            guard columns.count >= 8 else {
                tally.unreadable.append("\(path.split(separator: "/").last ?? ""):\(index + 1): \(columns.count) columns")
                continue
            }
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
