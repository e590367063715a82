import Foundation

/// What a test needs that a user's clone or machine may lack: `../shared` beside the repository, or one of
/// Debian's oracle tools. A test that needs one names it in its trait:
///
///     @Test(.enabled(if: Prerequisite.sysdig.runnable, Prerequisite.sysdig.skipComment))
///
/// so Swift Testing reports it as skipped, with the reason, where the prerequisite is absent; under
/// `CI=true` it runs anyway and fails on the missing prerequisite (`path()` throws), so CI cannot pass by
/// skipping.
public struct Prerequisite: Sendable {
    public let name: String
    /// The files that must exist, the first of each group that does is used.
    let candidates: [String]
    let hint: String

    public static let shared = Prerequisite(name: "../shared", candidates: [Repository.sharedRoot.appendingPathComponent("conformance").path],
                                            hint: "a clone without ../shared; CI has it beside the clone")
    public static let sysdig = tool("sysdig", hint: "apt-get install sysdig")
    public static let prometheus = tool("prometheus", hint: "apt-get install prometheus")
    public static let promtool = tool("promtool", hint: "apt-get install prometheus")
    public static let tshark = tool("tshark", hint: "apt-get install tshark")
    public static let editcap = tool("editcap", hint: "apt-get install tshark")
    public static let chromium = tool("chromium", hint: "apt-get install chromium")
    public static let unzip = tool("unzip", hint: "apt-get install unzip")

    static func tool(_ name: String, hint: String) -> Prerequisite {
        Prerequisite(name: name, candidates: ["/usr/bin/" + name, "/usr/local/bin/" + name, "/usr/sbin/" + name], hint: hint)
    }

    /// True when the prerequisite is here.
    public var isPresent: Bool { candidates.contains { FileManager.default.fileExists(atPath: $0) } }

    /// Whether a test that needs it runs: when it is here, and always under `CI=true`.
    public var runnable: Bool { isPresent || Repository.isCI }

    /// Why the test is skipped where it is absent.
    public var skipReason: String { "needs \(name), which is absent here (\(hint)); under CI=true it runs and fails instead" }

    /// The tool's or folder's path; throws (the test fails) when it is absent.
    public func path() throws -> String {
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw MissingPrerequisite(message: "\(name) is absent (\(hint))" + (Repository.isCI ? "; CI=true requires it" : ""))
        }
        return found
    }

    /// Whether a test needing all of these runs.
    public static func runnable(_ needed: Prerequisite...) -> Bool { needed.allSatisfy(\.runnable) }

    /// Why a test needing all of these is skipped: the absent ones.
    public static func skipReason(_ needed: Prerequisite...) -> String {
        let absent = needed.filter { !$0.isPresent }
        return "needs " + absent.map { "\($0.name) (\($0.hint))" }.joined(separator: " and ") + ", absent here; under CI=true it runs and fails instead"
    }

    /// Every prerequisite the suite knows, for `.ci/run`'s report.
    public static let all: [Prerequisite] = [.shared, .sysdig, .prometheus, .promtool, .tshark, .editcap, .chromium]
}

/// The failure of a test whose prerequisite is missing where it must be present.
public struct MissingPrerequisite: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The repository and what sits beside it.
public enum Repository {
    /// The repository's root folder.
    public static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared`, whether or not it exists.
    public static let sharedRoot: URL = root.deletingLastPathComponent().appendingPathComponent("shared")

    /// True under CI (`CI=true`), where every prerequisite must be present.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The path of a file under `../shared`; throws when `../shared` or the file is absent.
    public static func shared(_ relative: String) throws -> String {
        _ = try Prerequisite.shared.path()
        let path = sharedRoot.appendingPathComponent(relative).path
        guard FileManager.default.fileExists(atPath: path) else { throw MissingPrerequisite(message: "../shared/\(relative) is absent") }
        return path
    }

    /// The path of a file of the repository.
    public static func file(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}
