import Foundation
import GRDB
import TestSupport
import Testing

/// `tracelab grade --db` keeps the replays each grade rests on (issue 15): one run per replay role and
/// submission, diffable against the default-rules run and queryable in SQL as docs/database.md shows.
@Suite("grades rest on stored runs", .serialized)
struct GradeRunsTests {
    /// The SQL statement docs/database.md gives for "which submissions alert on event N of the Q5 recording".
    static func documentedQuery() throws -> String {
        let docs = try String(contentsOf: CLITests.root.appendingPathComponent("docs/database.md"), encoding: .utf8)
        let marker = "-- Which submissions' own Falco alerts on event 207"
        let start = try #require(docs.range(of: marker))
        let rest = docs[start.upperBound...]
        let body = try #require(rest.firstIndex(of: "\n"))
        let end = try #require(rest.firstIndex(of: ";"))
        return String(rest[body..<end])
    }

    @Test("grade --db stores three runs per loadable submission, linked by role; diff and the documented SQL read them")
    func gradeLeavesRuns() throws {
        let db = StoreCommandTests.database("grade-runs")
        let out = Scratch.directory.appendingPathComponent("tracelab-grade-runs-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let submissions = ["full-marks", "q5-on-default-macros", "broken"].map { "examples/submissions/" + $0 }
        let grade = try CLITests.run(["grade", "--db", db, "--out", out] + submissions)
        #expect(grade.status == 0, "\(grade.stderr)")

        let queue = try DatabaseQueue(path: db)
        let roles = try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.name, gr.role, gr.run_id FROM grade_runs gr JOIN grades g ON g.id = gr.grade_id
                JOIN submissions s ON s.id = g.submission_id ORDER BY s.name, gr.role
                """).map { "\($0["name"] as String) \($0["role"] as String) \($0["run_id"] as Int64)" }
        }
        // The default-rules replay is the same for every submission, so it is stored once and shared; "broken" does
        // not load, so it has no replays.
        #expect(roles == [
            "full-marks default rules 1", "full-marks deployment 3", "full-marks submission 2",
            "q5-on-default-macros default rules 1", "q5-on-default-macros deployment 5", "q5-on-default-macros submission 4",
        ])
        let unlinked = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE id NOT IN (SELECT run_id FROM grade_runs)") }
        #expect(unlinked == 0)
        // Every stored alert sits on the stored event it names.
        let misplaced = try queue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM alerts a JOIN events e ON e.id = a.event_id WHERE e.num != a.event_num OR e.trace_id != a.trace_id")
        }
        let placed = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM alerts a JOIN events e ON e.id = a.event_id") }
        let alerts = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM alerts") }
        #expect(misplaced == 0 && placed == alerts && (alerts ?? 0) > 0)

        // The student's macro change shows as alerts their rules add to the default rules' run.
        let diff = try CLITests.run(["diff", "--db", db, "1", "4"])
        #expect(diff.status == 0)
        #expect(diff.stdout.contains(#/\+ trace \d+ event 207: Sensitive file accessed \(Warning\)/#))

        let rows = try queue.read { db in try Row.fetchAll(db, sql: Self.documentedQuery()).map { "\($0[0] as String) \($0[1] as String)" } }
        #expect(rows == ["full-marks Read sensitive file untrusted", "q5-on-default-macros Read sensitive file untrusted"])

        // Grading again reuses the stored runs instead of storing them twice.
        let again = try CLITests.run(["grade", "--db", db, "--out", out] + submissions)
        #expect(again.status == 0)
        let runs = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") }
        #expect(runs == 5)
    }
}
