import Foundation
@testable import Grading
import Reports
import TestSupport
import Testing
import TraceModel

/// The example submissions and the upstream rules beside the repository.
enum GradingFixtures {
    static let examples = ["full-marks", "typical-partial", "broken", "hostile", "q5-on-default-macros", "sensitive-files-append",
                           "notice-below-priority", "own-rule-shadows-curl", "macro-typo", "catch-all-rules", "written-answers", "wrong-metrics"]

}

/// Grading against the shipped key: the reference solution, the example submissions, hostile input,
/// and byte-identical reports.
@Suite("grading", .serialized)
struct GradingTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The grader over the shipped key. A grader serves one thread, so each test makes its own.
    static func makeGrader() throws -> Grader {
        try Grader(key: AnswerKey.load(path: root + "/answers/key.yaml"))
    }

    static func grade(_ folder: String, with grader: Grader? = nil) throws -> GradeReport {
        try (grader ?? makeGrader()).grade(try Submission.load(directory: folder))
    }

    /// A fresh folder under the temporary directory.
    static func scratch(_ name: String) throws -> String {
        let path = Scratch.directory.appendingPathComponent("tracelab-grading-\(getpid())-\(name)").path
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("the reference solution scores full marks")
    func referenceSolution() throws {
        let report = try Self.grade(Self.root + "/answers/reference")
        #expect(report.maximum == 31)
        #expect(report.score == report.maximum, "\(report.checks.filter { $0.score < $0.maximum }.map { "\($0.itemID): \($0.feedback)" })")
        #expect(report.checks.allSatisfy { $0.status == .passed })
    }

    /// An example's expected.json: scores by item, and the lines its feedback and deployment review must contain.
    struct Expected {
        var score: Double?
        var maximum: Double?
        var derived: Set<String>
        var checks: [(String, Double?)]
        var feedback: [(String, [String])]
        var deployment: [String]

        init(_ name: String) throws {
            let path = GradingTests.root + "/examples/expected/" + name + ".json"
            guard case .object(let top) = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path)))) else {
                throw TraceLabError("not a JSON object", at: SourceLocation(file: path, line: 1, column: 1))
            }
            func number(_ value: JSONValue?) -> Double? { switch value { case .double(let d)?: d; case .integer(let i)?: Double(i); default: nil } }
            func strings(_ value: JSONValue?) -> [String] { if case .array(let items)? = value { items.compactMap { if case .string(let t) = $0 { t } else { nil } } } else { [] } }
            func member(_ key: String) -> JSONValue? { top.first { $0.0 == key }?.1 }
            score = number(member("score"))
            maximum = number(member("max_score"))
            if case .object(let items)? = member("derivation") { derived = Set(items.map(\.0)) } else { derived = [] }
            if case .object(let items)? = member("checks") { checks = items.map { ($0.0, number($0.1)) } } else { checks = [] }
            if case .object(let items)? = member("feedback") { feedback = items.map { ($0.0, strings($0.1)) } } else { feedback = [] }
            deployment = strings(member("deployment"))
        }
    }

    @Test("each example scores what its expected.json says, item by item, with the feedback and deployment lines it names", arguments: GradingFixtures.examples)
    func examples(name: String) throws {
        let report = try Self.grade(Self.root + "/examples/submissions/" + name)
        let expected = try Expected(name)
        #expect(!expected.checks.isEmpty, "examples/expected/\(name).json has no checks")
        for (id, expectedScore) in expected.checks {
            let actual = report.checks.first { $0.itemID == id }
            #expect(actual?.score == expectedScore, "\(name) \(id): \(actual?.feedback ?? [])")
        }
        #expect(expected.checks.count == report.checks.count)
        #expect(report.score == expected.score && report.maximum == expected.maximum, "\(name): \(report.score) / \(report.maximum)")
        // Every expected score carries the reasoning it was derived by.
        #expect(expected.derived == Set(expected.checks.map(\.0)), "\(name): items without a derivation: \(Set(expected.checks.map(\.0)).subtracting(expected.derived))")
        for (id, lines) in expected.feedback {
            let feedback = report.checks.first { $0.itemID == id }?.feedback.joined(separator: "\n") ?? ""
            for line in lines { #expect(feedback.contains(line), "\(name) \(id) feedback lacks: \(line)\n\(feedback)") }
        }
        let review = report.deployment.joined(separator: "\n")
        for line in expected.deployment { #expect(review.contains(line), "\(name) deployment review lacks: \(line)\n\(review)") }
    }

    @Test("Q3: %container.info in the curl rule's output counts as the container's id and name, as the lab's Falco 0.40 printed them")
    func containerInfo() throws {
        let folder = try Self.scratch("container-info")
        for name in ["values.yaml", "answers.md", "dashboards"] {
            try FileManager.default.copyItem(atPath: Self.root + "/examples/submissions/full-marks/" + name, toPath: folder + "/" + name)
        }
        let values = folder + "/values.yaml"
        let text = try String(contentsOfFile: values, encoding: .utf8)
        let changed = text.replacingOccurrences(of: "(id=%container.id name=%container.name cmd=%proc.cmdline)", with: "(cmd=%proc.cmdline %container.info)")
        #expect(changed != text)
        try changed.write(toFile: values, atomically: true, encoding: .utf8)
        let q3 = try #require(try Self.grade(folder).checks.first { $0.itemID == "q3" })
        #expect(q3.score == 2, "\(q3.feedback)")
        #expect(q3.evidence.contains { $0.hasSuffix("cmd=curl -s -o /dev/null http://127.0.0.1:18080/ container_id=9b8c7d6e5f4a container_name=nginx-pod)") }, "\(q3.evidence)")
    }

    @Test("beside a values.yaml with customRules, standalone rules files (a scratch try, a copy of Falco's rules) are said and not used: the chart deploys customRules only")
    func strayRulesFiles() throws {
        let folder = try Self.scratch("stray-rules")
        for name in ["values.yaml", "answers.md", "dashboards"] {
            try FileManager.default.copyItem(atPath: Self.root + "/examples/submissions/full-marks/" + name, toPath: folder + "/" + name)
        }
        try FileManager.default.copyItem(atPath: Self.root + "/rules/default_rules.yaml", toPath: folder + "/falco_rules.yaml")
        try "- rule: scratch\n  desc: an early try\n  condition: evt.type = open\n  output: o\n  priority: WARNING\n".write(toFile: folder + "/old-try.yaml", atomically: true, encoding: .utf8)
        let submission = try Submission.load(directory: folder)
        #expect(submission.rulesFiles.map(\.path) == ["values.yaml", "values.yaml"])
        #expect(submission.found.contains("old-try.yaml: a Falco rules file that the chart does not deploy (your Falco loads values.yaml's customRules); not used"))
        #expect(submission.found.contains { $0.hasPrefix("falco_rules.yaml: a Falco rules file that the chart does not deploy") })
        let report = try Self.grade(folder)
        #expect(report.score == (try Self.grade(Self.root + "/examples/submissions/full-marks")).score)
        // Without customRules, standalone rules files are the rules.
        #expect(try Submission.load(directory: Self.root + "/examples/submissions/typical-partial").rulesFiles.map(\.path) == ["rules/my_rules.yaml"])
    }

    @Test("points past any course's scale: a key giving an item infinite points does not load; a score read back as infinity is shown, not trapped on")
    func pointsOutOfRange() throws {
        let text = try String(contentsOfFile: Self.root + "/answers/key.yaml", encoding: .utf8)
        let line = try #require(text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("points:") })
        let path = Scratch.directory.path + "/key-infinite-points-\(getpid()).yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[line] = lines[line].replacingOccurrences(of: #"points: *[0-9.]+"#, with: "points: inf", options: .regularExpression)
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect { _ = try AnswerKey.load(path: path) } throws: { error in
            "\(error)".contains("\(path):\(line + 1):") && "\(error)".contains("'points' must be a number from 0 to 1000000")
        }
        #expect(CheckResult.points(.infinity) == "inf" && CheckResult.points(-.infinity) == "-inf" && CheckResult.points(1.5) == "1.5")
    }

    @Test("robustness: feedback only unless the key gives it marks; a key naming a variant the corpus lacks does not load")
    func robustnessMarks() throws {
        let folder = Self.root + "/examples/submissions/full-marks"
        let feedbackOnly = try Self.grade(folder)
        let q5 = try #require(feedbackOnly.checks.first { $0.itemID == "q5" })
        #expect(q5.score == 3 && q5.feedback.contains { $0.hasPrefix("Robustness (feedback, not marked): \"Sensitive file read or written\" catches 20 of the 25 recorded ways") })
        // One of q5's 3 points for the share of the 25 variants caught (20): 2 + 20/25 = 2.8.
        var key = try AnswerKey.load(path: Self.root + "/answers/key.yaml")
        let index = try #require(key.items.firstIndex { $0.id == "q5" })
        key.items[index].robustness?.marks = 1
        let marked = try #require(try Self.grade(folder, with: try Grader(key: key)).checks.first { $0.itemID == "q5" })
        #expect(abs(marked.score - 2.8) < 1e-9 && marked.status == .partial)
        #expect(marked.feedback.contains { $0.hasPrefix("Robustness: \"Sensitive file read or written\" catches 20 of the 25") })
        key.items[index].robustness?.variants = ["fetch-curl-copied"]
        #expect(throws: TraceLabError.self) { try Grader(key: key) }
    }

    @Test("Falco's own 3.2.0 rules as --default-rules give every example the same verdicts as the shipped default rules",
          .enabled(if: Prerequisite.shared.runnable, Comment(rawValue: Prerequisite.shared.skipReason)))
    func upstreamDefaultRulesGiveSameVerdicts() throws {
        var key = try AnswerKey.load(path: Self.root + "/answers/key.yaml")
        key.defaultRules = [try Repository.shared("upstream/falco_rules-3.2.0.yaml")]
        let withUpstream = try Grader(key: key), withOurs = try Self.makeGrader()
        #expect(withUpstream.missingDefaultNames.isEmpty && withOurs.missingDefaultNames.isEmpty)
        for name in GradingFixtures.examples + ["../../answers/reference"] {
            let folder = Self.root + "/examples/submissions/" + name
            let ours = try Self.grade(folder, with: withOurs), theirs = try Self.grade(folder, with: withUpstream)
            #expect(ours.checks.map { "\($0.itemID) \($0.score) \($0.status.rawValue)" } == theirs.checks.map { "\($0.itemID) \($0.score) \($0.status.rawValue)" }, "\(name)")
            // The review names the default rules file by its file name: the rest of each line is the same.
            #expect(ours.deployment.map { $0.replacingOccurrences(of: "default_rules.yaml", with: "DEFAULT") }
                    == theirs.deployment.map { $0.replacingOccurrences(of: "falco_rules-3.2.0.yaml", with: "DEFAULT") }, "\(name)")
        }
    }

    @Test("a course site's bulk download: a folder holding the student's zip (top folder, __MACOSX, .DS_Store) and a dashboard in Grafana's old rows layout grade as the plain folder does")
    func bulkDownload() throws {
        let source = Self.root + "/examples/submissions/typical-partial"
        func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: source + "/" + name))) }
        // The same dashboard as Grafana 4 exported it: panels inside rows, no top-level panels, wrapped as the API returns it.
        guard case .object(var dashboard) = try JSONParser.parse(try read("dashboard.json")),
              let panels = dashboard.first(where: { $0.0 == "panels" })?.1 else { throw TraceLabError("no panels", at: nil) }
        dashboard.removeAll { $0.0 == "panels" }
        dashboard.append(("rows", .array([.object([("title", .string("Attacks")), ("panels", panels)])])))
        let oldLayout = Array(JSONValue.object([("meta", .object([])), ("dashboard", .object(dashboard))]).rendered.utf8)
        let archive = ArchiveTests.zip([
            ("smith/answers.md", try read("answers.md"), nil), ("smith/falco.yaml", try read("falco.yaml"), nil),
            ("smith/rules/my_rules.yaml", try read("rules/my_rules.yaml"), nil), ("smith/dashboard.json", oldLayout, nil),
            ("smith/.DS_Store", [0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31], nil), ("__MACOSX/smith/._answers.md", [0, 5, 22, 7], nil),
        ])
        let folder = try Self.scratch("bulk") + "/Smith, Jo_12345_assignsubmission_file_"
        try FileManager.default.createDirectory(atPath: folder + "/__MACOSX", withIntermediateDirectories: true)
        try Data(archive).write(to: URL(fileURLWithPath: folder + "/smith.zip"))
        try Data([0, 0, 0, 1]).write(to: URL(fileURLWithPath: folder + "/.DS_Store"))
        try Data([0, 5, 22, 7]).write(to: URL(fileURLWithPath: folder + "/__MACOSX/._smith.zip"))
        let grader = try Self.makeGrader()
        let bulk = try Self.grade(folder, with: grader), plain = try Self.grade(source, with: grader)
        #expect(bulk.found.contains("smith.zip: an archive, opened (4 files)"), "\(bulk.found)")
        #expect(bulk.found.contains("smith.zip/smith/dashboard.json: a Grafana dashboard"), "\(bulk.found)")
        #expect(bulk.checks.map(\.itemID) == plain.checks.map(\.itemID))
        #expect(bulk.checks.map(\.score) == plain.checks.map(\.score), "\(bulk.checks.map { "\($0.itemID): \($0.feedback)" })")
        #expect(bulk.score == 22.68 && bulk.problems.isEmpty)
    }

    @Test("a roster maps submissions to students; canvas.csv and moodle.csv in the layouts the sites import")
    func gradebookExports() throws {
        let roster = try Roster.parse(Array("\u{FEFF}Submission,ID,Name,Email,SIS_ID,Section\r\nfull-marks,101,\"Doe, Jane\",jane@uni.example,s101,Lab A\r\n"
                                            .utf8) + Array("typical-partial,102,Ana Maria Silva,ana@uni.example,s102,Lab B\nabsent,103,Lee,lee@uni.example,,\n\n".utf8),
                                      name: "roster.csv")
        #expect(roster.students.map(\.submission) == ["full-marks", "typical-partial", "absent"])
        #expect(roster.students[1].firstName == "Ana Maria" && roster.students[1].lastName == "Silva" && roster.students[0].sortableName == "Doe, Jane")
        #expect(throws: TraceLabError.self) { try Roster.parse(Array("name,email\nJo,jo@x\n".utf8), name: "r.csv") }
        do { _ = try Roster.parse(Array("submission,id\na,1\nb,2\na,3\n".utf8), name: "r.csv") } catch {
            #expect("\(error)".contains("r.csv:4") && "\(error)".contains("listed twice (also on line 2)"), "\(error)")
        }
        do { _ = try Roster.parse(Array("submission,id\n\"a,1\n".utf8), name: "r.csv") } catch { #expect("\(error)".contains("r.csv:2:1: a quoted field is never closed"), "\(error)") }

        let grader = try Self.makeGrader()
        let reports = [try Self.grade(Self.root + "/examples/submissions/full-marks", with: grader),
                       try Self.grade(Self.root + "/examples/submissions/typical-partial", with: grader),
                       try Self.grade(Self.root + "/examples/submissions/broken", with: grader)]
        let export = GradebookExports.export(reports, roster: roster, assignment: "Runtime monitoring lab")
        #expect(export.canvas == """
            Student,ID,SIS User ID,SIS Login ID,Section,Runtime monitoring lab
            Points Possible,,,,,31
            "Doe, Jane",101,s101,jane@uni.example,Lab A,31
            "Silva, Ana Maria",102,s102,ana@uni.example,Lab B,22.68
            Lee,103,,lee@uni.example,,

            """)
        let moodle = export.moodle.split(separator: "\n").map(String.init)
        #expect(moodle[0] == "First name,Last name,ID number,Email address,Runtime monitoring lab (Real),Feedback")
        #expect(moodle[2] == "Ana Maria,Silva,102,ana@uni.example,22.68,TraceLab: 22.68 / 31 (key runtime-monitoring-lab version 1); under review: q2")
        #expect(moodle[3] == "Lee,,103,lee@uni.example,,no submission")
        #expect(export.unmatched == ["broken"] && export.missing == ["absent"])
    }

    @Test("similar submissions: a copy with renamed rules, other layout and reworded answers is listed with its original, and nothing else is")
    func similarSubmissions() throws {
        let grader = try Self.makeGrader()
        let names = ["full-marks", "typical-partial", "written-answers", "catch-all-rules", "sensitive-files-append", "q5-on-default-macros"]
        var reports = try names.map { try Self.grade(Self.root + "/examples/submissions/" + $0, with: grader) }
        // The copy: rule names and macro layout changed, the same conditions written differently, answers lightly edited.
        let copy = try Self.scratch("copy")
        try """
        - macro: sensitive_files
          condition: >-
            fd.name   contains   sensitive
        - rule: my own curl detector
          desc: curl ran
          condition: (spawned_process) and (container) and (proc.name = "curl")
          output: curl seen (%container.name)
          priority: NOTICE
        - rule: reading the secret
          desc: reads
          condition: open_read and (sensitive_files)
          output: "%proc.name read it as %user.name"
          priority: WARNING
        """.write(toFile: copy + "/rules.yaml", atomically: true, encoding: .utf8)
        let answers = try String(contentsOfFile: Self.root + "/examples/submissions/written-answers/answers.md", encoding: .utf8)
        try answers.replacingOccurrences(of: "student D", with: "student F").replacingOccurrences(of: "Warning", with: "WARNING")
            .write(toFile: copy + "/answers.md", atomically: true, encoding: .utf8)
        var disguised = try Self.grade(copy, with: grader)
        disguised.submission = "disguised-copy"
        reports.append(disguised)

        let pairs = Similarity.pairs(reports.compactMap { report in report.similarity.map { (report.submission, $0) } })
        #expect(pairs.map { "\($0.first) + \($0.second)" } == ["disguised-copy + typical-partial", "disguised-copy + written-answers"], "\(pairs)")
        let rules = try #require(pairs.first { $0.second == "typical-partial" })
        // The curl rule the lab gives is in most submissions, so only the sensitive-file rule counts.
        #expect(rules.sharedRules == 1 && rules.rules == 1)
        let text = try #require(pairs.first { $0.second == "written-answers" })
        #expect(text.sharedShingles >= 20 && text.answers >= 0.5)
        #expect(GradeReports.classSummary(reports).contains("## Similar submissions (for a person to look at; not a deduction)"))
    }

    @Test("typical mistakes get the feedback that names them")
    func typicalFeedback() throws {
        let report = try Self.grade(Self.root + "/examples/submissions/typical-partial")
        func feedback(_ id: String) -> String { report.checks.first { $0.itemID == id }?.feedback.joined(separator: "\n") ?? "" }
        #expect(feedback("q3").contains("Add %container.id and %container.name"))
        #expect(feedback("q4").contains("also matches 1 event"))
        #expect(feedback("q5").contains("misses 2 of 7 accesses: the write by sh[9991], the write by python3[9993]") && feedback("q5").contains("lacks %fd.name"))
        #expect(feedback("q9").contains("Falco reads the list syscall_event_drops.actions"))
        #expect(feedback("q2").contains("priority: wrong"))
        #expect(report.checks.first { $0.itemID == "q2" }?.status == .needsReview)
    }

    @Test("files that redefine half of Falco's macros, append to a list 5,000 times, or override a default rule into a catch-all are graded and explained, each default item once")
    func hostileDefaultItems() throws {
        let grader = try Self.makeGrader()
        let defaults = try String(contentsOfFile: Self.root + "/rules/default_rules.yaml", encoding: .utf8)
        let macros = defaults.split(separator: "\n").filter { $0.hasPrefix("- macro: ") }.map { String($0.dropFirst("- macro: ".count)) }
        #expect(macros.count == 87)
        var redefine = macros.enumerated().filter { $0.offset % 2 == 0 }.map { "- macro: \($0.element)\n  condition: (evt.num > 0)\n" }.joined(separator: "\n")
        redefine += "\n- rule: Q5\n  desc: q5\n  condition: (open_read or open_write) and sensitive_files\n  output: \"%user.name %proc.name %fd.name\"\n  priority: WARNING\n"
        let appends = (0..<5000).map { "- list: shell_binaries\n  items: [fakeshell\($0)]\n  override:\n    items: append\n" }.joined(separator: "\n")
        let catchAll = "- rule: Terminal shell in container\n  condition: evt.num > 0\n  override:\n    condition: replace\n"
        for (name, text) in [("redefine", redefine), ("appends", appends), ("catch-all", catchAll)] {
            let folder = try Self.scratch("default-items-" + name)
            try text.write(toFile: folder + "/rules.yaml", atomically: true, encoding: .utf8)
            let report = try Self.grade(folder, with: grader)
            #expect(report.error == nil && report.checks.first { $0.itemID == "rules-load" }?.score == 1, "\(name)")
            let review = report.deployment.joined(separator: "\n")
            // Bounded: one line per default item with an effect, one for all the others, whatever the file's size.
            #expect(report.deployment.count <= 50 && review.utf8.count < 40_000, "\(name): \(report.deployment.count) lines")
            switch name {
            case "redefine":
                #expect(review.contains("Your macro spawned_process (rules.yaml:7:3) replaces Falco's default macro spawned_process, which 11 default rules use"))
                #expect(review.contains("Your files also change 30 of Falco's default items with no effect"))
            case "appends":
                #expect(review.contains("list shell_binaries (rules.yaml:1:3, appends to (5000 times))"))
            default:
                #expect(review.contains("Your rule item at rules.yaml:1:3 overrides (condition: replace) Falco's default rule \"Terminal shell in container\". On the key's recordings: \"Terminal shell in container\" now fires on 7746 events it did not"))
            }
        }
    }

    @Test("hostile input: symlinks, alias bombs, junk, huge files, macro cycles, deep conditions, a rule matching everything")
    func hostile() throws {
        let folder = try Self.scratch("hostile")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createSymbolicLink(atPath: folder + "/answers.md", withDestinationPath: "/etc/passwd")
        let bomb = (["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"] + (1...9).map { level in
            let previous = level == 1 ? "a" : "a\(level - 1)"
            return "a\(level): &a\(level) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]"
        }).joined(separator: "\n")
        try bomb.write(toFile: folder + "/bomb.yaml", atomically: true, encoding: .utf8)
        try Data([0x00, 0xFF, 0xFE, 0x89, 0x50, 0x4E, 0x47]).write(to: URL(fileURLWithPath: folder + "/junk.yaml"))
        // 200 MB, sparse: the grader must refuse it by size without reading it.
        let huge = folder + "/huge.yaml"
        FileManager.default.createFile(atPath: huge, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: huge))
        try handle.truncate(atOffset: 200 << 20)
        try handle.close()
        let submission = try Submission.load(directory: folder)
        let problems = submission.problems.joined(separator: "\n")
        #expect(problems.contains("answers.md: a symbolic link; not followed"))
        #expect(problems.contains("bomb.yaml") && problems.contains("alias"))
        #expect(problems.contains("junk.yaml:1:2: invalid UTF-8"))
        #expect(problems.contains("huge.yaml: 209715200 bytes, over the 1048576-byte limit"))
        #expect(submission.answers.isEmpty)

        // Rules that cannot load: a macro cycle, a condition nested 100,000 deep.
        for (name, rules) in [("cycle", "- macro: a\n  condition: b\n- macro: b\n  condition: a\n- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n"),
                              ("deep", "- rule: deep\n  desc: d\n  condition: " + String(repeating: "(", count: 100_000) + "evt.num > 0" + String(repeating: ")", count: 100_000) + "\n  output: o\n  priority: INFO\n")] {
            let rulesFolder = try Self.scratch(name)
            defer { try? FileManager.default.removeItem(atPath: rulesFolder) }
            try rules.write(toFile: rulesFolder + "/rules.yaml", atomically: true, encoding: .utf8)
            let report = try Self.grade(rulesFolder)
            let load = report.checks.first { $0.itemID == "rules-load" }
            #expect(load?.score == 0 && load?.feedback.first?.contains("do not load") == true, "\(name)")
            #expect(load?.evidence.contains { $0.contains("LOAD_ERR") } == true, "\(name): \(load?.evidence ?? [])")
        }

        // A rule that matches every event earns nothing for the curl rule, and says why.
        let everything = try Self.grade(Self.root + "/examples/submissions/hostile")
        let curl = everything.checks.first { $0.itemID == "curl-rule" }
        #expect(curl?.score == 0 && curl?.feedback.first?.contains("matches (nearly) every event") == true)
    }

    @Test("same submission twice: byte-identical reports")
    func deterministic() throws {
        let folder = Self.root + "/examples/submissions/typical-partial"
        let grader = try Self.makeGrader()
        let first = try Self.grade(folder, with: grader), second = try Self.grade(folder)
        #expect(first.json() == second.json())
        #expect(GradeReports.markdown(first) == GradeReports.markdown(second))
        #expect(GradeReports.gradescope(first) == GradeReports.gradescope(second))
        #expect(GradeReports.gradebook([first, second]) == GradeReports.gradebook([second, first]))
        #expect(GradeReports.classSummary([first, second]) == GradeReports.classSummary([first, second]))
    }

    @Test("written answers in .docx and .odt files (pandoc 2.17 and LibreOffice 7.4 made them from written-answers/answers.md) grade item for item as the Markdown does, also inside a zip")
    func documentAnswers() throws {
        let grader = try Self.makeGrader()
        let markdown = try Self.grade(Self.root + "/examples/submissions/written-answers", with: grader)
        for (folder, file) in [("written-answers-docx", "answers.docx"), ("written-answers-odt", "answers.odt"),
                               ("written-answers-libreoffice-docx", "answers.docx"), ("written-answers-libreoffice-odt", "answers.odt")] {
            let report = try Self.grade(Self.root + "/examples/documents/" + folder, with: grader)
            #expect(report.found.contains("\(file): written answers to Q1, Q2, Q8"), "\(report.found)")
            #expect(report.checks.map(\.itemID) == markdown.checks.map(\.itemID))
            for (document, text) in zip(report.checks, markdown.checks) {
                #expect(document.score == text.score && document.status == text.status && document.feedback == text.feedback, "\(file) \(text.itemID)")
            }
            #expect(report.checks.contains { $0.score > 0 })
            // Zipped by the student with the rest of the work: the document inside the archive is read.
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.root + "/examples/documents/\(folder)/\(file)")))
            let archive = ArchiveTests.zip([("lab/\(file)", bytes, nil)])
            let path = try Self.scratch("zipped-" + folder) + "/submission.zip"
            try Data(archive).write(to: URL(fileURLWithPath: path))
            let zipped = try Submission.load(path: path)
            #expect(zipped.answers == (try Submission.load(directory: Self.root + "/examples/documents/" + folder)).answers && zipped.answers.count == 3)
        }
    }

    @Test("document text as Word and LibreOffice write it: split runs, tabs, breaks, entities, text boxes; deleted text and field codes left out; ODF spaces and headings")
    func documentText() throws {
        let word = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <w:document xmlns:w="x"><w:body>
            <w:p w:rsidR="00AB"><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Q</w:t></w:r><w:proofErr w:type="spellStart"/><w:r><w:t>1</w:t></w:r></w:p>
            <w:p><w:r><w:t xml:space="preserve">Level: </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>Warning</w:t></w:r><w:r><w:tab/><w:t>&lt;shadow&gt; &amp; &#x263A;</w:t></w:r>
            <w:del><w:r><w:delText>Notice</w:delText></w:r></w:del><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:br/><w:t>line two</w:t></w:r></w:p>
            <w:p><w:r><w:t>before </w:t></w:r><w:r><w:pict><w:txbxContent><w:p><w:r><w:t>in a text box</w:t></w:r></w:p></w:txbxContent></w:pict></w:r><w:r><w:t>after</w:t></w:r></w:p>
            <w:p/><w:sdt><w:sdtContent><w:p><w:r><w:t>Question 2: Notice</w:t></w:r></w:p></w:sdtContent></w:sdt>
            </w:body></w:document>
            """
        #expect(DocumentText.officeOpenXML(Array(word.utf8)) == "# Q1\nLevel: Warning\t<shadow> & ☺\nline two\nin a text box\nbefore after\n\nQuestion 2: Notice")
        let odf = """
            <office:document-content><office:body><office:text>
              <text:h text:outline-level="2">Q1</text:h>
              <text:p text:style-name="P1">Level:<text:s text:c="3"/><text:span text:style-name="T1">Warning</text:span>
                and  more<text:line-break/>next<text:tab/>tabbed</text:p>
              <text:p/>
            </office:text></office:body></office:document-content>
            """
        #expect(DocumentText.openDocument(Array(odf.utf8)) == "# Q1\nLevel:   Warning and more\nnext\ttabbed\n")
        // A broken document: a name that is not a zip, a zip without the body part; each said, the rest graded.
        let folder = try Self.scratch("broken-documents")
        try Data("not a zip".utf8).write(to: URL(fileURLWithPath: folder + "/answers.docx"))
        try Data(ArchiveTests.zip([("mimetype", Array("application/vnd.oasis.opendocument.text".utf8), nil)])).write(to: URL(fileURLWithPath: folder + "/answers.odt"))
        try Data("%PDF-1.7".utf8).write(to: URL(fileURLWithPath: folder + "/report.pdf"))
        let submission = try Submission.load(directory: folder)
        #expect(submission.found.contains("answers.docx: named as a document but not one (not a zip); not used"))
        #expect(submission.found.contains("answers.odt: a document that could not be read; not used"))
        #expect(submission.problems.contains("answers.odt: no content.xml inside; not a .odt document"), "\(submission.problems)")
        #expect(submission.found.contains("report.pdf: written answers are read from Markdown, text, .docx or .odt; save this file as one of those; not used"))
        #expect(submission.answers.isEmpty)
    }

    @Test("files as editors save them: answers.md and values.yaml in UTF-16 with a byte order mark (Notepad's \"Unicode\"), a UTF-8 byte order mark, CRLF line ends")
    func textEncodings() throws {
        let text = "\u{FEFF}## Q1\r\nLevel: Warning, pod falco-wmmt2\r\n## Q2\r\nNotice\r\n"
        let folder = try Self.scratch("encodings")
        var little: [UInt8] = [], big: [UInt8] = []
        for unit in text.utf16 { little += [UInt8(unit & 0xFF), UInt8(unit >> 8)]; big += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
        for (name, bytes) in [("utf16le", little), ("utf16be", big), ("utf8bom", Array(text.utf8))] {
            try FileManager.default.createDirectory(atPath: folder + "/" + name, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name + "/answers.md"))
            let submission = try Submission.load(directory: folder + "/" + name)
            #expect(submission.answers == ["Q1": "Level: Warning, pod falco-wmmt2", "Q2": "Notice"], "\(name): \(submission.answers)")
        }
        // values.yaml saved as UTF-16: Helm (go-yaml) reads it, and so does the grader.
        let values = try String(contentsOfFile: Self.root + "/examples/submissions/full-marks/values.yaml", encoding: .utf8)
        try FileManager.default.createDirectory(atPath: folder + "/values16", withIntermediateDirectories: true)
        try Data([0xFF, 0xFE] + values.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }).write(to: URL(fileURLWithPath: folder + "/values16/values.yaml"))
        let utf16 = try Submission.load(directory: folder + "/values16"), utf8 = try Submission.load(directory: Self.root + "/examples/submissions/full-marks")
        #expect(utf16.problems.isEmpty && utf16.rulesFiles.map(\.bytes) == utf8.rulesFiles.map(\.bytes) && utf16.configFile?.bytes == utf8.configFile?.bytes)
    }

    @Test("written answers: question headings, priority spellings, pod names with random suffixes")
    func writtenAnswers() {
        let parsed = WrittenAnswers.parseMarkdown("intro\n# Q1\nWarning\n**Question 2:** Notice, nginx\n### q10) text\nQ1a is not a heading\n")
        #expect(parsed["Q1"] == "Warning")
        #expect(parsed["Q2"] == "Notice, nginx")
        #expect(parsed["Q10"]?.hasPrefix("text") == true)
        #expect(WrittenAnswers.questionName("Question 9") == "Q9" && WrittenAnswers.questionName("q1a") == nil && WrittenAnswers.questionName("quiz") == nil)
        #expect(WrittenAnswers.markPriority("severity: WARN", expected: .warning).0 == .right)
        #expect(WrittenAnswers.markPriority("it is info level", expected: .informational).0 == .right)
        #expect(WrittenAnswers.markPriority("the alert level is Notice", expected: .notice).0 == .right)
        #expect(WrittenAnswers.markPriority("Critical", expected: .warning).0 == .wrong)
        #expect(WrittenAnswers.markPriority("warning or notice?", expected: .warning).0 == .needsReview)
        #expect(WrittenAnswers.markPriority("no idea", expected: .warning).0 == .needsReview)
        #expect(WrittenAnswers.markName("pod falco-x7k2p", expected: "falco-wmmt2", what: "pod").0 == .right)
        #expect(WrittenAnswers.markName("in the falco pod", expected: "falco-wmmt2", what: "pod").0 == .right)
        #expect(WrittenAnswers.markName("Falco did not start", expected: "falco-wmmt2", what: "pod").0 == .needsReview)
        #expect(WrittenAnswers.markName("nginx-pod", expected: "nginx-pod", what: "pod").0 == .right)
        #expect(WrittenAnswers.baseName("web-7d4b9c6f8-x2x9z") == "web")
        // The pod an answer gives as the pod decides, not a name inside a quoted command.
        #expect(WrittenAnswers.markName("Pod: nginx-pod (I ran `kubectl exec -it falco-wmmt2 -- cat /etc/shadow`)", expected: "falco-wmmt2", what: "pod").0 == .wrong)
        #expect(WrittenAnswers.markName("pod: nginx-pod\nkubectl exec falco-wmmt2 -- cat /etc/shadow", expected: "falco-wmmt2", what: "pod").0 == .wrong)
        #expect(WrittenAnswers.markName("pod `falco-wmmt2`, after kubectl exec -it nginx-pod", expected: "falco-wmmt2", what: "pod").0 == .right)
        #expect(WrittenAnswers.markName("container falco in pod falco-wmmt2", expected: "falco", what: "container").0 == .right)
        #expect(WrittenAnswers.markName("the nginx-pod container", expected: "falco", what: "container").0 == .wrong)
        // A description is right by the rule's name, its message as kubectl logs prints it, or its desc.
        let message = "Sensitive file opened for reading by non-trusted program (file=/etc/shadow gparent=containerd-shim)"
        #expect(WrittenAnswers.markDescription("\"Sensitive file opened for reading by non-trusted program\"", rule: "Read sensitive file untrusted",
                                               description: "An attempt to read any sensitive file", output: message).0 == .right)
        #expect(WrittenAnswers.markDescription("an untrusted program read a sensitive file", rule: "Read sensitive file untrusted",
                                               description: "", output: message).0 == .right)
        #expect(WrittenAnswers.markDescription("something happened", rule: "Read sensitive file untrusted", description: "An attempt to read any sensitive file",
                                               output: message).0 == .needsReview)
    }

    @Test("HTML and JUnit reports escape what a submission controls and count failures")
    func htmlAndJUnit() throws {
        var report = try Self.grade(Self.root + "/examples/submissions/typical-partial")
        report.submission = "<script>alert(1)</script>"
        report.problems = ["a & b \"quoted\" <tag>"]
        let html = HTMLReports.submission(report)
        #expect(!html.contains("<script>") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("a &amp; b &quot;quoted&quot; &lt;tag&gt;"))
        let summary = HTMLReports.classSummary([report])
        #expect(summary.contains("<svg") && summary.contains("aria-label=\"score histogram\"") && !summary.contains("<script>"))
        let junit = HTMLReports.junit([report])
        let failed = report.checks.filter { $0.score < $0.maximum }.count
        #expect(junit.contains("tests=\"\(report.checks.count)\" failures=\"\(failed)\" errors=\"0\""))
        #expect(junit.components(separatedBy: "<failure ").count - 1 == failed)
    }

    @Test("gradescope results.json has a test per item with score, max_score, status, output and visibility")
    func gradescopeFormat() throws {
        let report = try Self.grade(Self.root + "/examples/submissions/typical-partial")
        guard case .object(let top) = try JSONParser.parse(Array(GradeReports.gradescope(report).utf8)),
              case .array(let tests)? = top.first(where: { $0.0 == "tests" })?.1 else {
            Issue.record("results.json is not an object with tests")
            return
        }
        #expect(tests.count == report.checks.count)
        for test in tests {
            guard case .object(let members) = test else { continue }
            #expect(Set(members.map(\.0)) == ["name", "number", "score", "max_score", "status", "output", "visibility"])
        }
        #expect(top.first { $0.0 == "score" }?.1 == .double(report.score))
    }
}
