import Foundation
import TraceModel

/// Outcomes of a table-driven conformance suite, case by case: per kind the cases run and the ids of
/// those that failed, the cases that could not be run and why, and the rows that could not be read.
public struct Tally: Sendable {
    public struct Kind: Sendable {
        public var total = 0
        public var failing: [String] = []
        public var passed: Int { total - failing.count }
    }

    public private(set) var kinds: [String: Kind] = [:]
    /// Failure descriptions, for the test log.
    public private(set) var failures: [String] = []
    /// Cases that exist but cannot be run here, by id, with the reason.
    public private(set) var notRunnable: [(id: String, reason: String)] = []
    /// Rows or cases that could not be read at all.
    public var unreadable: [String] = []
    /// Figures pinned exactly (events on which a field agrees with an oracle, say).
    public private(set) var counts: [String: Int] = [:]

    public init() {}

    public mutating func record(_ kind: String, id: String, _ ok: Bool, _ note: @autoclosure () -> String) {
        kinds[kind, default: Kind()].total += 1
        if !ok {
            kinds[kind, default: Kind()].failing.append(id)
            failures.append("\(id): \(note())")
        }
    }

    public mutating func skip(_ id: String, _ reason: String) { notRunnable.append((id, reason)) }

    /// Adds to a figure pinned exactly.
    public mutating func count(_ name: String, _ value: Int) { counts[name, default: 0] += value }

    /// Cases run, over every kind, and figures counted.
    public var total: Int { kinds.values.reduce(0) { $0 + $1.total } + counts.count }

    /// One line per kind, then the failures and the cases not run.
    public func report(_ title: String) -> String {
        var out = "\(title)\n"
        for kind in kinds.keys.sorted() { out += "  \(kind): \(kinds[kind]?.passed ?? 0)/\(kinds[kind]?.total ?? 0)\n" }
        for name in counts.keys.sorted() { out += "  \(name): \(counts[name] ?? 0)\n" }
        for failure in failures { out += "  FAIL \(failure)\n" }
        if !notRunnable.isEmpty { out += "  not runnable: \(notRunnable.count)\n" }
        if !unreadable.isEmpty { out += "  unreadable: \(unreadable.joined(separator: "; "))\n" }
        return out
    }
}

/// The pinned conformance figures (`Tests/Baselines/conformance.json`): per suite and kind the number of
/// cases and the ids of the cases known to fail, and how many cases cannot be run. A suite's run must
/// match exactly: a case that passed and now fails, a known failure that now passes (update the baseline
/// on purpose), a different number of cases, a suite that ran nothing, or unreadable rows all fail it.
///
/// `TRACELAB_UPDATE_BASELINES=1 swift test` writes what each suite observed instead of comparing, and
/// `TRACELAB_UPDATE_BASELINES=1 swift test --filter BaselineDocs` then regenerates docs/conformance.md's tables.
public enum Baseline {
    public static let file = Repository.file("Tests/Baselines/conformance.json")
    static var updating: Bool { ProcessInfo.processInfo.environment["TRACELAB_UPDATE_BASELINES"] == "1" }
    private static let lock = NSLock()

    /// One suite as pinned.
    public struct Suite: Sendable, Equatable {
        public var kinds: [String: Pinned]
        public var notRunnable: Int
        public var counts: [String: Int] = [:]

        public struct Pinned: Sendable, Equatable {
            public var total: Int
            public var failing: [String]
        }
    }

    /// The problems of a suite's run against its baseline (empty when it matches), or none after writing the
    /// run as the new baseline in update mode.
    public static func check(_ name: String, _ tally: Tally) -> [String] {
        var problems: [String] = []
        if tally.total == 0 { problems.append("\(name): ran zero cases") }
        if !tally.unreadable.isEmpty { problems.append("\(name): \(tally.unreadable.count) unreadable rows or cases: \(tally.unreadable.prefix(5))") }
        let observed = Suite(kinds: tally.kinds.mapValues { Suite.Pinned(total: $0.total, failing: $0.failing.sorted()) }, notRunnable: tally.notRunnable.count,
                             counts: tally.counts)
        if updating {
            lock.lock()
            defer { lock.unlock() }
            var all = (try? load()) ?? [:]
            all[name] = observed
            try? write(all)
            return problems
        }
        let pinned: Suite
        do {
            guard let found = try load()[name] else { return problems + ["\(name): no baseline in Tests/Baselines/conformance.json (TRACELAB_UPDATE_BASELINES=1 writes one)"] }
            pinned = found
        } catch {
            return problems + ["the baseline file cannot be read: \(error)"]
        }
        for kind in Set(pinned.kinds.keys).union(observed.kinds.keys).sorted() {
            let expected = pinned.kinds[kind] ?? Suite.Pinned(total: 0, failing: []), actual = observed.kinds[kind] ?? Suite.Pinned(total: 0, failing: [])
            if expected.total != actual.total { problems.append("\(name) \(kind): \(actual.total) cases run, the baseline has \(expected.total)") }
            let newFailures = Set(actual.failing).subtracting(expected.failing).sorted()
            let nowPassing = Set(expected.failing).subtracting(actual.failing).sorted()
            if !newFailures.isEmpty { problems.append("\(name) \(kind): cases that passed now fail: \(newFailures.joined(separator: ", "))") }
            if !nowPassing.isEmpty {
                problems.append("\(name) \(kind): known failures now pass (update the baseline on purpose): \(nowPassing.joined(separator: ", "))")
            }
        }
        for name in Set(pinned.counts.keys).union(observed.counts.keys).sorted() where pinned.counts[name] != observed.counts[name] {
            problems.append("\(name): \(observed.counts[name].map(String.init) ?? "nothing") counted, the baseline has \(pinned.counts[name].map(String.init) ?? "nothing")")
        }
        if pinned.notRunnable != observed.notRunnable {
            problems.append("\(name): \(observed.notRunnable) cases not runnable, the baseline has \(pinned.notRunnable)")
        }
        return problems
    }

    /// Every suite of the baseline file.
    public static func load() throws -> [String: Suite] {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        guard case .object(let top) = try JSONParser.parse(bytes), case .object(let suites)? = top.first(where: { $0.0 == "suites" })?.1 else {
            throw MissingPrerequisite(message: "\(file) has no \"suites\" object")
        }
        var result: [String: Suite] = [:]
        for (name, value) in suites {
            guard case .object(let members) = value else { continue }
            var kinds: [String: Suite.Pinned] = [:]
            if case .object(let kindMembers)? = members.first(where: { $0.0 == "kinds" })?.1 {
                for (kind, pinned) in kindMembers {
                    guard case .object(let fields) = pinned else { continue }
                    let total: Int = { if case .integer(let value)? = fields.first(where: { $0.0 == "total" })?.1 { return Int(value) } else { return -1 } }()
                    var failing: [String] = []
                    if case .array(let ids)? = fields.first(where: { $0.0 == "failing" })?.1 {
                        failing = ids.compactMap { if case .string(let id) = $0 { return id } else { return nil } }
                    }
                    kinds[kind] = Suite.Pinned(total: total, failing: failing)
                }
            }
            let notRunnable: Int = { if case .integer(let value)? = members.first(where: { $0.0 == "not_runnable" })?.1 { return Int(value) } else { return 0 } }()
            var counts: [String: Int] = [:]
            if case .object(let countMembers)? = members.first(where: { $0.0 == "counts" })?.1 {
                for (countName, value) in countMembers { if case .integer(let number) = value { counts[countName] = Int(number) } }
            }
            result[name] = Suite(kinds: kinds, notRunnable: notRunnable, counts: counts)
        }
        return result
    }

    /// Writes the suites, sorted, one kind a line, so the file diffs well.
    static func write(_ suites: [String: Suite]) throws {
        func quoted(_ text: String) -> String { JSONValue.string(text).rendered }
        var out = "{\n  \"about\": \"Pinned conformance figures: per suite and kind, the cases run and the ids known to fail. Written by TRACELAB_UPDATE_BASELINES=1 swift test; read by every conformance test (Tests/TestSupport/Baseline.swift).\",\n  \"suites\": {\n"
        let names = suites.keys.sorted()
        for (index, name) in names.enumerated() {
            guard let suite = suites[name] else { continue }
            out += "    \(quoted(name)): {\n      \"not_runnable\": \(suite.notRunnable),\n      \"kinds\": {\n"
            let kinds = suite.kinds.keys.sorted()
            for (kindIndex, kind) in kinds.enumerated() {
                guard let pinned = suite.kinds[kind] else { continue }
                out += "        \(quoted(kind)): {\"total\": \(pinned.total), \"failing\": [\(pinned.failing.map(quoted).joined(separator: ", "))]}"
                out += kindIndex == kinds.count - 1 ? "\n" : ",\n"
            }
            out += "      }"
            if !suite.counts.isEmpty {
                out += ",\n      \"counts\": {\n" + suite.counts.keys.sorted().map { "        \(quoted($0)): \(suite.counts[$0] ?? 0)" }.joined(separator: ",\n") + "\n      }"
            }
            out += "\n    }" + (index == names.count - 1 ? "\n" : ",\n")
        }
        out += "  }\n}\n"
        try Data(out.utf8).write(to: URL(fileURLWithPath: file))
    }

    /// A Markdown table of some suites, for docs/conformance.md: per kind the cases passed and the known
    /// failures (their ids, or how many when there are more than six); the not-runnable count; and the pinned
    /// figures, `X agrees` / `X events` pairs as one row with the share.
    public static func table(_ suites: [String: Suite], names: [String]) -> String {
        var out = "| suite | kind | passed | known failures |\n|---|---|---:|---|\n"
        var figures: [(String, String, Int, Int)] = []
        for name in names {
            guard let suite = suites[name] else { continue }
            for kind in suite.kinds.keys.sorted() {
                guard let pinned = suite.kinds[kind] else { continue }
                let failing = pinned.failing.count <= 6 ? pinned.failing.joined(separator: ", ") : "\(pinned.failing.count) (ids in the baseline file)"
                out += "| \(name) | \(kind) | \(pinned.total - pinned.failing.count)/\(pinned.total) | \(failing) |\n"
            }
            if suite.notRunnable > 0 { out += "| \(name) | not runnable here | \(suite.notRunnable) | |\n" }
            for count in suite.counts.keys.sorted() where count.hasSuffix(" agrees") {
                let field = String(count.dropLast(" agrees".count))
                figures.append((name, field, suite.counts[count] ?? 0, suite.counts[field + " events"] ?? 0))
            }
        }
        guard !figures.isEmpty else { return out }
        if out.split(separator: "\n").count <= 2 { out = "" } else { out += "\n" }
        out += "| suite | field | agrees | share |\n|---|---|---:|---:|\n"
        for (name, field, agrees, events) in figures {
            let share = events == 0 ? "—" : String(format: "%.2f%%", Double(agrees) * 100 / Double(events))
            out += "| \(name) | `\(field)` | \(agrees)/\(events) | \(share) |\n"
        }
        return out
    }

    /// docs/conformance.md with every generated block (`<!-- baseline: NAME, NAME -->` ... `<!-- /baseline -->`)
    /// rendered from the baseline file.
    public static func renderDocs(_ text: String, suites: [String: Suite]) -> String {
        var out = "", rest = Substring(text)
        while let open = rest.range(of: "<!-- baseline: ") {
            guard let endOfOpen = rest[open.upperBound...].range(of: " -->"), let close = rest[endOfOpen.upperBound...].range(of: "<!-- /baseline -->") else { break }
            let names = rest[open.upperBound..<endOfOpen.lowerBound].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            out += rest[..<endOfOpen.upperBound] + "\n" + table(suites, names: names)
            out += "<!-- /baseline -->"
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}
