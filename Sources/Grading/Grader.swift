import FalcoRules
import Metrics
import Scenarios
import TraceModel
import TraceReaders
import Yams

/// The outcome of one item for one submission.
public struct CheckResult: Sendable {
    public enum Status: String, Sendable {
        case passed, partial, failed
        case needsReview = "needs review"
    }

    public var itemID: String
    public var question: String
    public var title: String
    public var score: Double
    public var maximum: Double
    public var status: Status
    /// What the student can act on, one sentence a line.
    public var feedback: [String]
    /// What the verdict rests on: alerts, events, diagnostics.
    public var evidence: [String]
    /// Pictures for the reports (a dashboard panel as the grader drew it): a title and SVG markup.
    public var figures: [(title: String, svg: String)] = []
    /// Course staff's decision on this item, when one was recorded (`tracelab grade review`).
    public var decision: StaffDecision?

    /// Points as a person writes them: `2`, `1.5`, `0.67` (two decimals at most, without Foundation's locale).
    public static func points(_ value: Double) -> String {
        // A score read back from a report can be anything JSON holds (1e999 reads as infinity): shown, never trapped on.
        guard let hundredths = Int(exactly: (abs(value) * 100).rounded()), hundredths < Int.max / 2 else { return "\(value)" }
        if hundredths % 100 == 0 { return (value < 0 && hundredths > 0 ? "-" : "") + String(hundredths / 100) }
        var fraction = String(hundredths % 100)
        if fraction.count == 1 { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return (value < 0 ? "-" : "") + String(hundredths / 100) + "." + fraction
    }

    public init(itemID: String, question: String, title: String, score: Double, maximum: Double, status: Status, feedback: [String], evidence: [String],
                figures: [(title: String, svg: String)] = []) {
        self.itemID = itemID
        self.question = question
        self.title = title
        self.score = score
        self.maximum = maximum
        self.status = status
        self.feedback = feedback
        self.evidence = evidence
        self.figures = figures
    }
}

/// A submission's grade: every item's result, what was found in it, and the total.
public struct GradeReport: Sendable {
    public var submission: String
    public var keyName: String
    public var keyVersion: Int
    public var checks: [CheckResult]
    public var found: [String]
    public var problems: [String]
    /// What the submission's own Falco (the chart's load order, the student's settings) would do on the key's
    /// recordings, where it differs from what the items credit: feedback, not points.
    public var deployment: [String] = []
    /// The replays the review made, to be stored as runs (not written into report.json).
    public var runs: [ReplayRun] = []
    /// What the class summary compares submissions by (their rules and answers, normalised).
    public var similarity: SimilaritySignature?
    /// Set when the submission could not be graded at all (unreadable, refused); its score is then 0.
    public var error: String?
    /// SHA-256 of the submission and of the key with everything it depends on, for reuse of grades.
    public var submissionFingerprint: String?
    public var keyFingerprint: String?

    public init(submission: String, keyName: String, keyVersion: Int, checks: [CheckResult], found: [String], problems: [String], error: String? = nil) {
        self.submission = submission
        self.keyName = keyName
        self.keyVersion = keyVersion
        self.checks = checks
        self.found = found
        self.problems = problems
        self.error = error
    }

    public var score: Double { (checks.reduce(0) { $0 + $1.score } * 100).rounded() / 100 }
    public var maximum: Double { checks.reduce(0) { $0 + $1.maximum } }
}

/// Grades submissions against an answer key: loads the submission's rules beside the default rules,
/// replays the key's recordings through them, and marks written answers against the alerts the default
/// rules raise on the scenarios. Recordings are read once per grader. A grader is used by one thread.
public final class Grader {
    public let key: AnswerKey
    private var traces: [String: [Event]] = [:]
    /// Metric recordings, read once.
    var metricStores: [String: MetricStore] = [:]
    private let defaultRuleNames: Set<String>
    let defaultLoader: RulesLoader
    /// Macro and list names Falco's default rules define that the key's default rules lack.
    public let missingDefaultNames: [(kind: String, name: String)]
    /// The default rules' alerts on the key's recordings (every matching rule), computed on first use.
    var baseline: DeploymentReview.Outcome?
    /// Ground truth of written_alert items: the alerts the default rules raise, with their events.
    private var truths: [String: [(Alert, Event, CompiledRule)]] = [:]
    /// The corpus variants each item with `robustness:` is tried on, with their recordings' paths.
    private var robustnessVariants: [String: [(variant: Scenario.Variant, path: String)]] = [:]

    public init(key: AnswerKey) throws(TraceLabError) {
        self.key = key
        let loader = RulesLoader()
        for path in key.defaultRules {
            let result = loader.load(path: path)
            if !result.successful { throw TraceLabError("the default rules do not load: \(LoadResultFormatting.text([result]))", at: SourceLocation(file: path, line: 0, column: 0)) }
        }
        defaultLoader = loader
        defaultRuleNames = Set(loader.compiledRules.map(\.name))
        missingDefaultNames = FalcoDefaultNames.missing(from: loader)
        for item in key.items {
            guard let spec = item.robustness else { continue }
            let corpus = try Scenario.load(path: spec.corpus)
            let chosen: [Scenario.Variant]
            do {
                chosen = try corpus.variants(named: spec.variants, behaviours: spec.behaviours, target: spec.target)
            } catch {
                throw TraceLabError("item \(item.id): \(error.message)", at: SourceLocation(file: key.path, line: 0, column: 0))
            }
            if chosen.isEmpty { throw TraceLabError("item \(item.id): no variant of \(spec.corpus) fits its robustness selection", at: SourceLocation(file: key.path, line: 0, column: 0)) }
            robustnessVariants[item.id] = chosen.map { ($0, corpus.tracePath(of: $0)) }
        }
        for item in key.items {
            guard case .writtenAlert(let written) = item.check else { continue }
            let scenario = try Scenario.load(path: written.scenario)
            let engine = RuleEngine(loader: loader)
            let byName = Dictionary(loader.compiledRules.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            var raised: [(Alert, Event, CompiledRule)] = []
            var seen: Set<String> = []
            for path in scenario.tracePaths {
                for event in try events(path) {
                    for alert in engine.process(event) where seen.insert(alert.rule).inserted {
                        if let rule = byName[alert.rule] { raised.append((alert, event, rule)) }
                    }
                }
            }
            if raised.isEmpty { throw TraceLabError("item \(item.id): the default rules raise no alert on \(written.scenario)", at: SourceLocation(file: key.path, line: 0, column: 0)) }
            truths[item.id] = raised
        }
    }

    /// A recording's events, read once. The key's recordings are read strictly: one the reader had to skip or degrade
    /// (a bad line, a missing sidecar) would grade every submission on less than the key says, so it is an error.
    func events(_ named: String) throws(TraceLabError) -> [Event] {
        let path = AnswerKey.normalized(named)
        if let cached = traces[path] { return cached }
        let (stream, _) = try TraceFiles.open(path)
        var events: [Event] = []
        while let event = try stream.next() { events.append(event) }
        if let warning = stream.warnings.first {
            throw TraceLabError("the key's recording cannot be read whole (\(stream.warnings.count) problem\(stream.warnings.count == 1 ? "" : "s"), the first: \(warning))",
                                at: SourceLocation(file: path, line: 0, column: 0))
        }
        traces[path] = events
        return events
    }

    /// The report of a submission that could not be read at all: every item at zero, with the reason.
    public func ungraded(_ name: String, reason: String) -> GradeReport {
        GradeReport(submission: name, keyName: key.name, keyVersion: key.version,
                    checks: key.items.map { item in
                        CheckResult(itemID: item.id, question: item.question, title: item.title, score: 0, maximum: item.points,
                                    status: .failed, feedback: ["not graded"], evidence: [])
                    }, found: [], problems: [], error: reason)
    }

    /// The pseudo-item of the deployment review, for `skipping` and `onStep`.
    public static let deploymentStep = "deployment review"

    /// Grades one submission; never throws: problems become failed checks with their reasons. Items in `skipping` (an
    /// item id, or `deploymentStep`) are not run: each scores 0 with the reason given (a grading child uses this to go
    /// on past a check that ran away in an earlier attempt). `onStep` is told each item (and the deployment review)
    /// before it runs.
    public func grade(_ submission: Submission, skipping: [String: String] = [:], onStep: (String) -> Void = { _ in }) -> GradeReport {
        var report = GradeReport(submission: submission.name, keyName: key.name, keyVersion: key.version, checks: [],
                                 found: submission.found, problems: submission.problems)
        let context = SubmissionContext(submission: submission, grader: self)
        for item in key.items {
            if let reason = skipping[item.id] {
                report.checks.append(CheckResult(itemID: item.id, question: item.question, title: item.title, score: 0, maximum: item.points,
                                                 status: .failed, feedback: [reason], evidence: []))
                continue
            }
            onStep(item.id)
            var result: CheckResult
            do {
                result = try check(item, context)
            } catch {
                result = CheckResult(itemID: item.id, question: item.question, title: item.title, score: 0, maximum: item.points, status: .failed,
                                     feedback: ["could not be checked: \(error.message)"], evidence: error.location.map { ["\($0)"] } ?? [])
            }
            result.score = (min(result.score, item.points) * 100).rounded() / 100
            report.checks.append(result)
        }
        if let reason = skipping[Self.deploymentStep] {
            report.deployment = ["The review of your Falco as deployed was not made: \(reason)"]
        } else {
            onStep(Self.deploymentStep)
            report.deployment = reviewDeployment(context)
        }
        report.runs = context.runs
        report.similarity = SimilaritySignature(conditions: context.rules.compactMap { context.loader.compiledCondition(ofRule: $0.name) },
                                                answerTexts: submission.answers.sorted { $0.key < $1.key }.map(\.value))
        return report
    }

    /// The submission's rules loaded after the default rules, and what the checks found so far.
    final class SubmissionContext {
        let submission: Submission
        let loader: RulesLoader
        let results: [LoadResult]
        /// Rules the submission adds (not the default rules).
        let rules: [CompiledRule]
        /// The rule each rule_fires item settled on.
        var chosenRules: [String: (rule: CompiledRule, targets: [Event])] = [:]
        /// The replays of the deployment review, to be stored as runs.
        var runs: [ReplayRun] = []

        init(submission: Submission, grader: Grader) {
            self.submission = submission
            // The default rules as the grader loaded them once, then the submission's files on top.
            let loader = grader.defaultLoader.copy()
            // Positions inside a customRules text are moved to the lines of the file the student handed in.
            let results = submission.rulesFiles.map { file in
                var result = loader.load(bytes: file.bytes, name: file.name)
                result.errors = result.errors.map(file.located)
                result.warnings = result.warnings.map(file.located)
                return result
            }
            self.loader = loader
            self.results = results
            rules = results.contains(where: { !$0.successful }) ? [] : loader.compiledRules.filter { !grader.defaultRuleNames.contains($0.name) }
        }
    }

    func result(_ item: AnswerKey.Item, fraction: Double, feedback: [String], evidence: [String], review: Bool = false,
                figures: [(title: String, svg: String)] = []) -> CheckResult {
        let score = item.points * max(0, min(1, fraction))
        let status: CheckResult.Status = review ? .needsReview : fraction >= 1 ? .passed : fraction > 0 ? .partial : .failed
        return CheckResult(itemID: item.id, question: item.question, title: item.title, score: score, maximum: item.points, status: status,
                           feedback: feedback, evidence: evidence, figures: figures)
    }

    private func check(_ item: AnswerKey.Item, _ context: SubmissionContext) throws(TraceLabError) -> CheckResult {
        switch item.check {
        case .rulesLoad: return rulesLoad(item, context)
        case .ruleFires(let spec): return try ruleFires(item, spec, context)
        case .ruleOutput(let ruleOf, let fields): return ruleOutput(item, ruleOf: ruleOf, fields: fields, context)
        case .macroProbe(let macro, let traces, let probe, let expect): return try macroProbe(item, macro: macro, traces: traces, probe: probe, expect: expect, context)
        case .writtenAlert(let spec): return writtenAlert(item, spec, context)
        case .rubric(let categories, let required): return rubric(item, categories: categories, required: required, context)
        case .config(let priority, let actions, let traces): return try config(item, priority: priority, dropActions: actions, traces: traces, context)
        case .dashboard(let spec): return try dashboard(item, spec, context)
        }
    }

    // MARK: Checks

    private func rulesLoad(_ item: AnswerKey.Item, _ context: SubmissionContext) -> CheckResult {
        if context.submission.rulesFiles.isEmpty {
            return result(item, fraction: 0, feedback: ["No rules were found: put them in values.yaml under customRules, or in a rules file (a YAML list of rule, macro and list items)."], evidence: [])
        }
        let failed = context.results.filter { !$0.successful }
        // Warnings about the student's own items (compiling their file also compiles the default rules again,
        // whose warnings are not theirs).
        let studentPaths = Set(context.submission.rulesFiles.map(\.path))
        let warnings = context.results.flatMap { result in
            result.warnings.filter { $0.locations.contains { studentPaths.contains($0.positionName) } }
                .map { "\($0.fileLocation ?? result.name): warning: \($0.code.rawValue): \($0.message)" }
        }
        if !failed.isEmpty {
            var feedback = ["Your rules do not load with the default rules; Falco would refuse to start. Fix the errors below."]
            for message in failed.flatMap(\.errors) {
                // The innermost place in a file the student handed in: a typo in their macro is theirs, even when a default rule meets it first.
                let own = message.locations.last { studentPaths.contains($0.positionName) }
                let chain = message.locations.filter { !$0.positionName.hasPrefix("\"") }.map { "\($0.itemType) '\($0.itemName)'" }.joined(separator: " → ")
                if let own {
                    feedback.append("\(own.positionName):\(own.line):\(own.column): \(message.message) (\(own.itemType) '\(own.itemName)'; while loading \(chain))")
                } else {
                    feedback.append("\(message.fileLocation ?? "?"): \(message.message) (\(chain))")
                }
            }
            return result(item, fraction: 0, feedback: feedback, evidence: LoadResultFormatting.text(failed).split(separator: "\n").map(String.init))
        }
        let names = context.rules.map(\.name)
        return result(item, fraction: 1, feedback: ["Your rules load with the default rules: \(names.isEmpty ? "no new rules" : names.map { "\"\($0)\"" }.joined(separator: ", "))."],
                      evidence: warnings)
    }

    private func compileCondition(_ text: String) throws(TraceLabError) -> EventPredicate {
        do {
            var compiler = ConditionCompiler()
            return try compiler.compile(try ConditionParser.parse(text, maxDepth: 1000))
        } catch {
            throw TraceLabError("the key's condition does not compile: \(text): \(error)", at: SourceLocation(file: key.path, line: 0, column: 0))
        }
    }

    private func extractor(_ field: String) -> Extractor? { Self.extractor(field) }

    /// The value extractor of a field, as a condition would read it.
    private static func extractor(_ field: String) -> Extractor? {
        guard let node = try? ConditionParser.parse(field + " exists"), case .unary(let operand, _, _) = node else { return nil }
        return try? ConditionCompiler().resolve(operand).1
    }

    /// True when an output format refers to the field, or to one of `a|b` alternatives.
    private static func formatMentions(_ rule: CompiledRule, _ field: String) -> Bool {
        let keys = labOutput(rule).fieldKeys
        return field.split(separator: "|").contains { alternative in keys.contains(String(alternative)) }
    }

    /// A rule's output as the lab's Falco printed it. In Falco 0.40 (the lab's, March 2025) `%container.info` stood
    /// for `container_id=%container.id container_name=%container.name` (its rule_loader_compiler.cpp). Current Falco
    /// replaces it by nothing, but its container plugin appends the same two fields to every rule by default
    /// (falco.yaml's `append_output: [suggested_output: true]`), so in both a student who wrote it saw the container.
    static func labOutput(_ rule: CompiledRule) -> OutputFormat {
        guard let text = RuleEngine.falco040Output(rule.outputText), let expanded = try? OutputFormat(text) else { return rule.output }
        return expanded
    }

    private func ruleFires(_ item: AnswerKey.Item, _ spec: AnswerKey.RuleFires, _ context: SubmissionContext) throws(TraceLabError) -> CheckResult {
        let selector = try compileCondition(spec.fireOn)
        var targets: [Event] = []
        var eventCount = 0
        for path in spec.fireTraces {
            let all = try events(path)
            eventCount += all.count
            targets += all.filter(selector)
        }
        if targets.isEmpty { throw TraceLabError("item \(item.id): no event of the recordings matches '\(spec.fireOn)'", at: SourceLocation(file: key.path, line: 0, column: 0)) }
        guard context.results.allSatisfy(\.successful) else {
            return result(item, fraction: 0, feedback: ["Your rules do not load with the default rules (see rules-load), so none of them can be tried here."], evidence: [])
        }
        let taken = Set(context.chosenRules.values.map(\.rule.name))
        var candidates = context.rules.filter { !taken.contains($0.name) }
        if let macro = spec.usesMacro {
            let using = candidates.filter { rule in WrittenAnswers.words(rule.rawCondition).contains(macro.lowercased()) }
            if using.isEmpty {
                return result(item, fraction: 0, feedback: ["No rule of yours uses the macro \(macro) in its condition."], evidence: candidates.map { "rule \"\($0.name)\": \($0.rawCondition)" })
            }
            candidates = using
        }
        // The rule that fires on the most target events is the one this item is about.
        let per = spec.per.flatMap(extractor)
        var best: (rule: CompiledRule, fired: [Event])?
        for rule in candidates.sorted(by: { $0.name < $1.name }) {
            let fired = targets.filter { rule.eventTypes.contains($0.type) && rule.predicate($0) }
            if fired.count > (best?.fired.count ?? 0) { best = (rule, fired) }
        }
        guard let best else {
            return result(item, fraction: 0, feedback: ["None of your rules fires on \(spec.fireOn) in \(spec.fireTraces.map(Self.fileName).joined(separator: ", "))."],
                          evidence: Array(targets.prefix(3).map { "expected an alert on \($0.reference)" }))
        }
        // A rule that fires on nearly every event is not a detection: no credit, and no rule for later items.
        var firedAnywhere = 0
        for path in spec.fireTraces {
            firedAnywhere += try events(path).filter { best.rule.eventTypes.contains($0.type) && best.rule.predicate($0) }.count
        }
        if eventCount > 0, Double(firedAnywhere) >= 0.9 * Double(eventCount) {
            return result(item, fraction: 0, feedback: ["\"\(best.rule.name)\" fires on \(firedAnywhere) of the \(eventCount) events of \(spec.fireTraces.map(Self.fileName).joined(separator: ", ")): it matches (nearly) every event, which detects nothing."],
                          evidence: [])
        }
        context.chosenRules[item.id] = (best.rule, best.fired)
        var feedback: [String] = []
        var evidence: [String] = best.fired.prefix(3).map { "\"\(best.rule.name)\" fires on \($0.reference)" }
        // Coverage: each distinct `per` value (a process, say), and with `per_access` each kind of access of it,
        // needs an alert.
        var coverage = 1.0
        if per != nil || spec.perAccess {
            let groups = coverageGroups(targets, per: per, perAccess: spec.perAccess)
            let covered = Set(coverageGroups(best.fired, per: per, perAccess: spec.perAccess).map(\.key))
            let missed = groups.filter { !covered.contains($0.key) }
            coverage = Double(groups.count - missed.count) / Double(max(1, groups.count))
            if !missed.isEmpty {
                let what = spec.perAccess ? "accesses" : "cases (\(spec.per ?? ""))"
                feedback.append("\"\(best.rule.name)\" misses \(missed.count) of \(groups.count) \(what): \(missed.prefix(6).map(\.label).joined(separator: ", ")).")
                evidence += missed.prefix(3).map { "no alert on \($0.event.reference)" }
            }
        }
        // Silence elsewhere.
        var falseAlerts: [Event] = []
        for path in spec.silentTraces {
            falseAlerts += try events(path).filter { best.rule.eventTypes.contains($0.type) && best.rule.predicate($0) }
        }
        if !falseAlerts.isEmpty {
            feedback.append("\"\(best.rule.name)\" also fires where it should not: \(falseAlerts.count) alert\(falseAlerts.count == 1 ? "" : "s") on \(spec.silentTraces.map(Self.fileName).joined(separator: ", ")).")
            evidence += falseAlerts.prefix(3).map { "unexpected alert on \($0.reference)" }
        }
        // Precision: among the rule's alerts on these recordings (events of its own types only, so a trace full of
        // reads does not hide a rule that fires on every exec), most must be on targets, or the rule does not
        // single out what the item is about and its coverage earns nothing.
        var beside: [Event] = []
        for path in spec.fireTraces {
            beside += try events(path).filter { !selector($0) && best.rule.eventTypes.contains($0.type) && best.rule.predicate($0) }
        }
        let offTarget = beside + falseAlerts
        let precision = Double(best.fired.count) / Double(best.fired.count + offTarget.count)
        if precision <= 0.5 && coverage > 0 {
            let programs = Array(Set(offTarget.compactMap { $0.thread?.name })).sorted()
            feedback.insert("\"\(best.rule.name)\" does not single out \(spec.fireOn): \(offTarget.count) of its \(best.fired.count + offTarget.count) alerts on these recordings are on other events (\(programs.prefix(8).joined(separator: ", "))), so firing on the targets earns nothing.", at: 0)
            evidence += beside.prefix(3).map { "alert beside the targets: \($0.reference)" }
            coverage = 0
        }
        let silence = falseAlerts.isEmpty ? 1.0 : 0.0
        var parts = [(coverage, 1.0), (silence, 1.0)]
        if !spec.outputFields.isEmpty {
            let missing = spec.outputFields.filter { !Self.formatMentions(best.rule, $0) }
            parts.append((Double(spec.outputFields.count - missing.count) / Double(spec.outputFields.count), 1.0))
            if !missing.isEmpty { feedback.append("The output of \"\(best.rule.name)\" lacks \(missing.map(Self.placeholder).joined(separator: ", ")).") }
        }
        var fraction = parts.reduce(0) { $0 + $1.0 * $1.1 } / parts.reduce(0) { $0 + $1.1 }
        if fraction >= 1 { feedback.insert("\"\(best.rule.name)\" fires where expected and nowhere else.", at: 0) }
        if let robustness = try robustness(item, what: "\"\(best.rule.name)\"", catches: { best.rule.eventTypes.contains($0.type) && best.rule.predicate($0) }) {
            feedback.append(robustness.feedback)
            fraction = robustness.fraction(fraction)
        }
        return result(item, fraction: fraction, feedback: feedback, evidence: evidence)
    }

    /// What a rule or macro catches of the item's corpus variants (its `robustness:`): a feedback line naming the
    /// variants it misses, with their hints, and the fraction with the item's `marks` given for the share caught.
    private func robustness(_ item: AnswerKey.Item, what: String,
                            catches: (Event) -> Bool) throws(TraceLabError) -> (feedback: String, fraction: (Double) -> Double)? {
        guard let spec = item.robustness, let chosen = robustnessVariants[item.id] else { return nil }
        var missed: [Scenario.Variant] = [], falseAlarms: [Scenario.Variant] = []
        var shouldCatch = 0
        for (variant, path) in chosen {
            let caught = try events(path).contains(where: catches)
            switch variant.expectation {
            case .yes:
                shouldCatch += 1
                if !caught { missed.append(variant) }
            case .no: if caught { falseAlarms.append(variant) }
            case .either: break
            }
        }
        let share = shouldCatch == 0 ? 1 : Double(shouldCatch - missed.count) / Double(shouldCatch)
        let attacks = Scenario.attacks(of: chosen.map(\.variant))
        var line = "Robustness\(spec.marks > 0 ? "" : " (feedback, not marked)"): \(what) catches \(shouldCatch - missed.count) of the \(shouldCatch) recorded ways of \(attacks.joined(separator: ", ")) in \(Self.fileName(spec.corpus))"
        if missed.isEmpty {
            line += "."
        } else {
            let named = missed.prefix(3).map { variant in "\(variant.name) (\(variant.does))" + (variant.hint.map { ": \($0)" } ?? "") }
            line += "; it misses " + named.joined(separator: "; ")
            if missed.count > 3 { line += "; and \(missed.count - 3) more: " + missed.dropFirst(3).map(\.name).joined(separator: ", ") }
            line += ". `tracelab probe --rules YOUR_FILE` shows every variant."
        }
        if !falseAlarms.isEmpty { line += " It also fires on \(falseAlarms.map { "\($0.name) (\($0.does))" }.joined(separator: ", ")), which it should not." }
        let weight = item.points > 0 ? spec.marks / item.points : 0
        return (line, { base in (1 - weight) * base + weight * share })
    }

    /// The coverage groups of events: one per `per` value (all events in one group without it), split with
    /// `perAccess` into the kinds of access each event makes (an event that is neither a read nor a write, a close
    /// say, is in no group). Each group keeps its first event and a label for feedback (`write by sh[41]`).
    private func coverageGroups(_ events: [Event], per: Extractor?, perAccess: Bool) -> [(key: String, label: String, event: Event)] {
        var seen: Set<String> = []
        var groups: [(key: String, label: String, event: Event)] = []
        for event in events {
            let value = per.map { $0.render(event) ?? "<NA>" } ?? ""
            let kinds = perAccess ? Self.accessKinds(event) : [""]
            for kind in kinds where seen.insert(value + "\u{0}" + kind).inserted {
                let process = event.thread.map { "\($0.name)[\($0.pid)]" } ?? value
                groups.append((value + "\u{0}" + kind, perAccess ? "the \(kind) by \(process)" : value, event))
            }
        }
        return groups
    }

    /// Whether an event reads or writes its file: an open by its flags (`O_RDWR` both), a read or write syscall by
    /// its type; nothing for any other event.
    static func accessKinds(_ event: Event) -> [String] {
        switch event.type {
        case "open", "openat", "openat2", "creat", "open_by_handle_at":
            let read = openRead?.render(event) == "true", write = openWrite?.render(event) == "true"
            return (read ? ["read"] : []) + (write ? ["write"] : [])
        case "read", "pread", "pread64", "readv", "preadv", "preadv2": return ["read"]
        case "write", "pwrite", "pwrite64", "writev", "pwritev", "pwritev2": return ["write"]
        default: return []
        }
    }

    private static let openRead = extractor("evt.is_open_read"), openWrite = extractor("evt.is_open_write")

    private func ruleOutput(_ item: AnswerKey.Item, ruleOf: String, fields: [String], _ context: SubmissionContext) -> CheckResult {
        guard let chosen = context.chosenRules[ruleOf] else {
            if !context.results.allSatisfy(\.successful) {
                return result(item, fraction: 0, feedback: ["Your rules do not load with the default rules (see rules-load), so the output of your rule for \(ruleOf) cannot be checked."], evidence: [])
            }
            return result(item, fraction: 0, feedback: ["No rule of yours was found for \(ruleOf), so its output cannot be checked."], evidence: [])
        }
        let rule = chosen.rule
        let output = Self.labOutput(rule)
        let mentioned = fields.filter { Self.formatMentions(rule, $0) }
        var feedback: [String] = []
        var evidence = ["output format: \(rule.outputText)"]
        var rendered = 0
        for field in fields {
            guard let extractor = extractor(String(Self.placeholder(field).dropFirst())), let event = chosen.targets.first else { continue }
            let value = extractor.render(event) ?? "<NA>"
            let message = output.render(event)
            if message.contains(value) { rendered += 1 } else { feedback.append("The alert does not show \(field) (\(value)).") }
            evidence.append("\(field) of \(event.reference) = \(value)")
        }
        if let event = chosen.targets.first { evidence.append("alert: \(output.render(event))") }
        let missing = fields.filter { !mentioned.contains($0) }
        if !missing.isEmpty { feedback.insert("Add \(missing.map(Self.placeholder).joined(separator: " and ")) to the rule's output.", at: 0) }
        let fraction = (Double(mentioned.count) + Double(rendered)) / Double(2 * max(1, fields.count))
        if fraction >= 1 { feedback.insert("The output of \"\(rule.name)\" carries \(fields.joined(separator: ", ")) and shows the trace's values.", at: 0) }
        return result(item, fraction: fraction, feedback: feedback, evidence: evidence)
    }

    private func macroProbe(_ item: AnswerKey.Item, macro: String, traces: [String], probe: String, expect: String, _ context: SubmissionContext) throws(TraceLabError) -> CheckResult {
        let defined = context.submission.rulesFiles.contains { file in Self.definesMacro(file.bytes, name: file.name, macro: macro) }
        if !defined {
            return result(item, fraction: 0, feedback: ["No macro named \(macro) is defined in your rules."], evidence: [])
        }
        guard context.results.allSatisfy(\.successful) else {
            return result(item, fraction: 0, feedback: ["Your rules do not load, so the macro \(macro) cannot be tried."], evidence: [])
        }
        // The macro as Falco evaluates it once the submission's rules are loaded (a rule `condition: MACRO`).
        let macroPredicate: EventPredicate
        do {
            guard let compiled = try context.loader.predicate(ofMacro: macro) else {
                return result(item, fraction: 0, feedback: ["The macro \(macro) cannot be used as a condition."], evidence: [])
            }
            macroPredicate = compiled
        } catch {
            return result(item, fraction: 0, feedback: ["The macro \(macro) cannot be used as a condition: \(error.message)"], evidence: [])
        }
        let selector = try compileCondition(probe), expectation = try compileCondition(expect)
        var total = 0, shouldMatch = 0
        var wrong: [(Event, Bool)] = []
        for path in traces {
            for event in try events(path) where selector(event) {
                total += 1
                let expected = expectation(event)
                if expected { shouldMatch += 1 }
                if macroPredicate(event) != expected { wrong.append((event, expected)) }
            }
        }
        // Half for matching every access it should, half for matching nothing else; a macro that matches none of the
        // accesses it should earns nothing for its silence (matching nothing is not a detection).
        let missed = wrong.filter { $0.1 }.count, extra = wrong.count - missed
        let matchesSome = missed < shouldMatch
        let fraction = total == 0 || !matchesSome ? 0 : ((missed == 0 ? 0.5 : 0) + (extra == 0 ? 0.5 : 0))
        var feedback: [String] = []
        if wrong.isEmpty { feedback.append("\(macro) is true exactly where expected (\(total) events tried).") }
        if missed > 0 { feedback.append("\(macro) misses \(missed) access\(missed == 1 ? "" : "es") it should match\(matchesSome ? "" : " (all of them), so it earns nothing for matching nothing else").") }
        if extra > 0 { feedback.append("\(macro) also matches \(extra) event\(extra == 1 ? "" : "s") it should not.") }
        let evidence = wrong.prefix(5).map { "\($0.0.reference): expected \($0.1 ? "a match" : "no match")" }
        if let robustness = try robustness(item, what: macro, catches: { selector($0) && macroPredicate($0) }) {
            feedback.append(robustness.feedback)
            return result(item, fraction: robustness.fraction(fraction), feedback: feedback, evidence: evidence)
        }
        return result(item, fraction: fraction, feedback: feedback, evidence: evidence)
    }

    /// True when a rules text defines a macro by that name (top-level item `macro: NAME`).
    static func definesMacro(_ bytes: [UInt8], name: String, macro: String) -> Bool {
        guard let node = try? YAMLGuard.compose(bytes, name: name), case .sequence(let items) = node else { return false }
        return items.contains { $0["macro"]?.string == macro }
    }

    /// `%field` for the first of `a|b` alternatives.
    private static func placeholder(_ field: String) -> String { "%" + (field.split(separator: "|").first.map(String.init) ?? field) }

    static func fileName(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }

    private func writtenAlert(_ item: AnswerKey.Item, _ spec: AnswerKey.WrittenAlert, _ context: SubmissionContext) -> CheckResult {
        guard let truth = truths[item.id] else { return result(item, fraction: 0, feedback: ["no ground truth"], evidence: []) }
        guard let answer = context.submission.answers[item.question], !answer.isEmpty else {
            return result(item, fraction: 0, feedback: ["No answer to \(item.question) was found (a heading such as \"## \(item.question)\" in answers.md or in a .docx or .odt, or a key \(item.question) in answers.yaml)."], evidence: [])
        }
        var marks: [(String, WrittenAnswers.Mark, String)] = []
        for (alert, event, rule) in truth {
            let pod = extractor("k8s.pod.name")?.render(event) ?? ""
            let container = extractor("container.name")?.render(event) ?? ""
            let process = event.thread?.name ?? ""
            let file = event.fd.flatMap { $0.type == .file ? $0.name : nil }
            let parts: [(String, (WrittenAnswers.Mark, String))] = [
                ("priority", WrittenAnswers.markPriority(answer, expected: alert.priority)),
                ("description", WrittenAnswers.markDescription(answer, rule: alert.rule, description: rule.description, output: alert.message)),
                ("pod", WrittenAnswers.markName(answer, expected: pod, what: "pod")),
                ("container", WrittenAnswers.markName(answer, expected: container, what: "container")),
                ("action", WrittenAnswers.markAction(answer, process: process, file: file, synonyms: spec.synonyms)),
            ]
            marks += parts.map { ($0.0, $0.1.0, $0.1.1) }
        }
        let right = marks.filter { $0.1 == .right }.count
        let review = marks.contains { $0.1 == .needsReview }
        let feedback = marks.map { "\($0.0): \($0.1.rawValue) — \($0.2)" }
        let evidence = truth.map { alert, event, _ in "\(alert.priority.name) \(alert.rule) on \(event.reference): \(alert.message)" }
        return result(item, fraction: Double(right) / Double(marks.count), feedback: feedback, evidence: evidence, review: review)
    }

    private func rubric(_ item: AnswerKey.Item, categories: [AnswerKey.RubricCategory], required: Int, _ context: SubmissionContext) -> CheckResult {
        guard let answer = context.submission.answers[item.question], !answer.isEmpty else {
            return result(item, fraction: 0, feedback: ["No answer to \(item.question) was found."], evidence: [])
        }
        let text = " " + WrittenAnswers.words(answer).joined(separator: " ") + " "
        let named = categories.filter { category in category.keywords.contains { text.contains(" " + $0) } }
        let missing = categories.filter { category in !named.contains { $0.name == category.name } }
        var feedback = ["Names \(named.count) categor\(named.count == 1 ? "y" : "ies") (\(required) asked for)\(named.isEmpty ? "" : ": " + named.map(\.name).joined(separator: ", "))."]
        if !missing.isEmpty && named.count < required { feedback.append("Not found: \(missing.map(\.name).joined(separator: ", ")).") }
        return result(item, fraction: Double(named.count) / Double(required), feedback: feedback, evidence: [])
    }

    private func config(_ item: AnswerKey.Item, priority: Priority?, dropActions: [String], traces: [String], _ context: SubmissionContext) throws(TraceLabError) -> CheckResult {
        guard let file = context.submission.configFile else {
            return result(item, fraction: 0, feedback: ["No Falco settings were found (values.yaml with a falco: section, or falco.yaml)."], evidence: [])
        }
        let settings: FalcoConfig
        do { settings = try FalcoConfig.parse(file.bytes, name: file.name) } catch {
            return result(item, fraction: 0, feedback: ["\(file.name) cannot be read as Falco settings."], evidence: ["\(error)"])
        }
        var parts: [Double] = []
        var feedback: [String] = []
        var evidence: [String] = []
        if let priority {
            parts.append(settings.priority == priority ? 1 : 0)
            feedback.append(settings.priority == priority ? "priority is \(priority.name)." : "priority is \(settings.priority.name); the lab asks for \(priority.name).")
        }
        for action in dropActions {
            if settings.syscallEventDrops.actions.contains(action) {
                parts.append(1)
                feedback.append("syscall_event_drops.actions includes \(action).")
            } else if settings.syscallEventDrops.singularActionKeyIgnored == action {
                parts.append(0.5)
                feedback.append("You set syscall_event_drops.action: \(action) as the lab words it, but Falco reads the list syscall_event_drops.actions; write actions: [\(action)].")
            } else {
                parts.append(0)
                feedback.append("syscall_event_drops.actions is [\(settings.syscallEventDrops.actions.joined(separator: ", "))]; the lab asks for \(action).")
            }
        }
        // The effect, shown by replay: alerts below the priority disappear.
        if !traces.isEmpty, context.results.allSatisfy(\.successful) {
            let all = RuleEngine(loader: context.loader, minimumPriority: .debug)
            let filtered = RuleEngine(loader: context.loader, minimumPriority: settings.priority)
            var before = 0, after = 0
            for path in traces {
                for event in try events(path) {
                    before += all.process(event).count
                    after += filtered.process(event).count
                }
            }
            evidence.append("replay of \(traces.map(Self.fileName).joined(separator: ", ")): \(before) alerts at any priority, \(after) at \(settings.priority.name) or above")
        }
        let fraction = parts.isEmpty ? 1 : parts.reduce(0, +) / Double(parts.count)
        return result(item, fraction: fraction, feedback: feedback, evidence: evidence)
    }
}
