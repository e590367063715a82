import TraceModel

/// A grade report's JSON form (keys in a fixed order): report.json, the grading child's answer to its parent, and
/// what resumption reads back.
extension GradeReport {
    /// The report as JSON (keys in a fixed order), for tools. With `withRuns`, also the replays the grading made
    /// with every alert (the grading child's answer to `tracelab grade`, which stores them); report.json leaves them out.
    public func json(withRuns: Bool = false) -> String {
        let report = self
        let checks: [JSONValue] = report.checks.map { check in
            .object([("id", .string(check.itemID)), ("question", .string(check.question)), ("title", .string(check.title)),
                     ("score", .double(check.score)), ("max_score", .double(check.maximum)), ("status", .string(check.status.rawValue)),
                     ("feedback", .array(check.feedback.map { .string($0) })), ("evidence", .array(check.evidence.map { .string($0) })),
                     ("figures", .array(check.figures.map { .object([("title", .string($0.title)), ("svg", .string($0.svg))]) }))]
                    + (check.decision.map { decision in
                        [("decision", JSONValue.object([("score", .double(decision.score)), ("graders_score", .double(decision.gradersScore)),
                                                        ("comment", .string(decision.comment)), ("recorded_by", .string(decision.recordedBy)),
                                                        ("recorded_at", .string(decision.recordedAt)), ("stale", .bool(decision.stale))]))]
                    } ?? []))
        }
        var members: [(String, JSONValue)] = [
            ("submission", .string(report.submission)), ("key", .string(report.keyName)), ("key_version", .integer(Int64(report.keyVersion))),
            ("score", .double(report.score)), ("max_score", .double(report.maximum)),
            ("error", report.error.map { .string($0) } ?? .null),
            ("submission_sha256", report.submissionFingerprint.map { .string($0) } ?? .null),
            ("key_sha256", report.keyFingerprint.map { .string($0) } ?? .null),
            ("found", .array(report.found.map { .string($0) })), ("problems", .array(report.problems.map { .string($0) })),
            ("checks", .array(checks)), ("deployment", .array(report.deployment.map { .string($0) })),
        ]
        if let signature = report.similarity {
            let rules = JSONValue.array(signature.rules.map { .string($0) })
            let answers = JSONValue.array(signature.answers.map { .string(String($0, radix: 16)) })
            members.append(("similarity", .object([("rules", rules), ("answers", answers)])))
        }
        if withRuns { members.append(("runs", .array(report.runs.map(\.json)))) }
        let value = JSONValue.object(members)
        return value.rendered + "\n"
    }

    /// Reads back what `json(withRuns:)` wrote (a grading child process's answer, a report.json); nil when it is not such a report.
    public init?(json text: String) {
        guard case .object(let top) = try? JSONParser.parse(Array(text.utf8)) else { return nil }
        func member(_ members: [(String, JSONValue)], _ key: String) -> JSONValue? { members.first { $0.0 == key }?.1 }
        func string(_ value: JSONValue?) -> String? { if case .string(let text)? = value { return text } else { return nil } }
        func number(_ value: JSONValue?) -> Double? {
            switch value {
            case .double(let number)?: return number
            case .integer(let number)?: return Double(number)
            default: return nil
            }
        }
        func strings(_ value: JSONValue?) -> [String] { if case .array(let items)? = value { return items.compactMap { string($0) } } else { return [] } }
        guard let submission = string(member(top, "submission")), let key = string(member(top, "key")),
              case .array(let checkValues)? = member(top, "checks") else { return nil }
        var checks: [CheckResult] = []
        for value in checkValues {
            guard case .object(let check) = value, let id = string(member(check, "id")), let score = number(member(check, "score")),
                  let maximum = number(member(check, "max_score")), let status = string(member(check, "status")).flatMap(CheckResult.Status.init(rawValue:)) else { return nil }
            var figures: [(title: String, svg: String)] = []
            if case .array(let items)? = member(check, "figures") {
                for item in items {
                    guard case .object(let figure) = item, let title = string(member(figure, "title")), let svg = string(member(figure, "svg")) else { continue }
                    figures.append((title, svg))
                }
            }
            var result = CheckResult(itemID: id, question: string(member(check, "question")) ?? id, title: string(member(check, "title")) ?? "",
                                     score: score, maximum: maximum, status: status, feedback: strings(member(check, "feedback")), evidence: strings(member(check, "evidence")),
                                     figures: figures)
            if case .object(let decision)? = member(check, "decision"), let decided = number(member(decision, "score")),
               let gradersScore = number(member(decision, "graders_score")) {
                var stale = false
                if case .bool(let flag)? = member(decision, "stale") { stale = flag }
                result.decision = StaffDecision(score: decided, gradersScore: gradersScore, comment: string(member(decision, "comment")) ?? "",
                                                recordedBy: string(member(decision, "recorded_by")) ?? "", recordedAt: string(member(decision, "recorded_at")) ?? "",
                                                stale: stale)
            }
            checks.append(result)
        }
        var report = GradeReport(submission: submission, keyName: key, keyVersion: Int(number(member(top, "key_version")) ?? 1), checks: checks,
                                 found: strings(member(top, "found")), problems: strings(member(top, "problems")), error: string(member(top, "error")))
        report.deployment = strings(member(top, "deployment"))
        if case .array(let runs)? = member(top, "runs") { report.runs = runs.compactMap(ReplayRun.init(json:)) }
        if case .object(let signature)? = member(top, "similarity") {
            report.similarity = SimilaritySignature(rules: strings(member(signature, "rules")),
                                                    answers: strings(member(signature, "answers")).compactMap { UInt64($0, radix: 16) })
        }
        report.submissionFingerprint = string(member(top, "submission_sha256"))
        report.keyFingerprint = string(member(top, "key_sha256"))
        self = report
    }
}
