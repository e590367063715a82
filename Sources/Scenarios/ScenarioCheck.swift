import FalcoRules
import Replay
import Store
import Metrics
import Packets
import TraceModel
import TraceReaders

/// The outcome of replaying a scenario: which expected alerts were missing and which alerts were not
/// expected.
public struct ScenarioResult: Sendable {
    public var scenario: String
    public var ruleSet: String
    public var events: Int
    public var alerts: [Alert]
    public var packets: Int
    /// The detections on the captures, each with its capture's name.
    public var detections: [(capture: String, detection: Detection)]
    /// The DoS pods found in the metric recordings.
    public var dos: [Detection]
    public var missing: [String]
    public var unexpected: [String]
    public var warnings: [String]
    /// The stored run the alerts come from, when the scenario was checked against a database.
    public var runID: Int64?
    public var passed: Bool { missing.isEmpty && unexpected.isEmpty }

    /// A readable report: PASS, or FAIL with what is missing and what is unexpected.
    public var report: String {
        var out = "\(passed ? "PASS" : "FAIL") \(scenario) [\(ruleSet)]: \(events) events, \(alerts.count) alerts"
        if packets > 0 { out += ", \(packets) packets, \(detections.count) detections" }
        if !dos.isEmpty { out += ", \(dos.count) DoS" }
        for line in missing { out += "\n  - missing: \(line)" }
        for line in unexpected { out += "\n  + unexpected: \(line)" }
        return out
    }
}

extension Scenario {
    /// Replays the scenario's traces through an engine and compares the alerts with the expectations
    /// that apply to the rule set (named by its rules files' base names). With a `store`, the traces are
    /// ingested there (once: by content hash) and replayed from it as one stored run with `setup`, whose id the
    /// result carries; otherwise they are read from their files.
    public func check(engine: RuleEngine, ruleSet: String, store: TraceStore? = nil, setup: RunSetup? = nil) throws(TraceLabError) -> ScenarioResult {
        var raised: [(Event, Alert)] = []
        var events = 0
        var warnings: [String] = []
        var runID: Int64?
        // A corpus scenario: each variant's recording on its own, compared below with the rules it names.
        var variantRules: [Set<String>] = []
        if !variants.isEmpty {
            // Every matching rule alerts, so a variant's rules do not depend on which rule loads first.
            let matching = engine.matching
            engine.matching = .all
            defer { engine.matching = matching }
            for variant in variants {
                let first = raised.count
                let replay = try Self.replay(tracePath(of: variant), through: engine) { alert, event in raised.append((event, alert)) }
                events += replay.events
                warnings += replay.warnings
                variantRules.append(Set(raised[first...].map(\.1.rule)))
            }
        } else if let store, let setup, !tracePaths.isEmpty {
            do {
                let traceIDs = try tracePaths.map { path throws(StoreError) in try store.ingest(path: path).traceID }
                let run = try TraceReplay.run(traceIDs: traceIDs, from: store, through: engine, setup: setup) { alert, event in raised.append((event, alert)) }
                events = Int(run.eventCount)
                runID = run.id
            } catch {
                throw TraceLabError("\(error)", at: SourceLocation(file: path, line: 0, column: 0))
            }
        } else {
            for path in tracePaths {
                let replay = try Self.replay(path, through: engine) { alert, event in raised.append((event, alert)) }
                events += replay.events
                warnings += replay.warnings
            }
        }
        var unmatched = Array(raised.indices)
        var missing: [String] = []
        for expectation in expectedAlerts where expectation.ruleSets.isEmpty || expectation.ruleSets.contains(where: { name in ruleSet.split(separator: "+").contains { $0 == name } }) {
            var selector = ConditionCompiler()
            guard let node = try? ConditionParser.parse(expectation.on, maxDepth: 1000), let predicate = try? selector.compile(node) else {
                missing.append("\(expectation.rule): the 'on' condition does not compile: \(expectation.on)")
                continue
            }
            let renderers = expectation.fields.map { field in
                (field, (try? ConditionParser.parse(field.field + " exists")).flatMap { node -> Extractor? in
                    guard case .unary(let operand, _, _) = node else { return nil }
                    return try? ConditionCompiler().resolve(operand).1
                })
            }
            var found = 0
            var near: String?
            for index in unmatched {
                let (event, alert) = raised[index]
                guard alert.rule == expectation.rule, predicate(event) else { continue }
                let mismatches = renderers.compactMap { field, extractor -> String? in
                    let actual = extractor?.render(event) ?? "<NA>"
                    return actual == field.value ? nil : "\(field.field)=\(actual) (expected \(field.value))"
                }
                if alert.priority != expectation.priority {
                    near = "priority \(alert.priority.name) (expected \(expectation.priority.name))"
                    continue
                }
                if !mismatches.isEmpty {
                    near = mismatches.joined(separator: ", ")
                    continue
                }
                unmatched.removeAll { $0 == index }
                found += 1
            }
            if found < expectation.atLeast {
                missing.append("\(expectation.rule) (\(expectation.priority.name)) on \(expectation.on)" + (near.map { ": an alert differs: \($0)" } ?? ": not raised"))
            }
        }
        var unexpected = silent && variants.isEmpty ? unmatched.map { index -> String in
            let (event, alert) = raised[index]
            return "\(alert.rule) (\(alert.priority.name)) on event \(event.number) \(event.type) by \(event.thread?.name ?? "<NA>")"
        } : []
        // Each variant raises exactly the rules it lists for this rule set (none listed: not compared).
        for (variant, rules) in zip(variants, variantRules) {
            guard let expected = variant.alerts[ruleSet].map(Set.init) else { continue }
            missing += expected.subtracting(rules).sorted().map { "\(variant.name): \($0) not raised" }
            if silent { unexpected += rules.subtracting(expected).sorted().map { "\(variant.name): \($0) raised" } }
        }
        // Captures: every expected detection met by one detection of its own; with `silent`, no others.
        var detections: [(capture: String, detection: Detection)] = []
        var packets = 0
        for path in capturePaths {
            let analysis = try CaptureAnalysis.run(path: path, keepFlows: false)
            packets += analysis.packets
            warnings += analysis.problems.map { "\(path): \($0)" }
            let capture = CaptureReader.name(of: path)
            detections += analysis.detections.map { (capture, $0) }
        }
        var unclaimed = Array(detections.indices)
        for expectation in expectedDetections {
            let candidates = unclaimed.filter { expectation.capture == nil || detections[$0].capture == expectation.capture }
            if let index = candidates.first(where: { expectation.mismatch(detections[$0].detection) == nil }) {
                unclaimed.removeAll { $0 == index }
                continue
            }
            let near = candidates.first { detections[$0].detection.kind == expectation.kind }.flatMap { expectation.mismatch(detections[$0].detection) }
            missing.append("detection \(expectation.description)" + (near.map { ": a detection differs: \($0)" } ?? ": not detected"))
        }
        if silent { unexpected += unclaimed.map { "detection in \(detections[$0].capture): \(detections[$0].detection.summary)" } }
        // Metric recordings: the DoS detector's pods.
        var dos: [Detection] = []
        for path in metricPaths {
            let (store, outcome) = try MetricStore.load(path: path)
            warnings += outcome.problems
            do { dos += try DoSDetector().run(store) } catch { throw TraceLabError("the DoS detector failed: \(error)", at: SourceLocation(file: path, line: 0, column: 0)) }
        }
        var unclaimedDoS = Array(dos.indices)
        for expectation in expectedDoS {
            if let index = unclaimedDoS.first(where: { dos[$0].pod == expectation.pod && dos[$0].technique == expectation.signal && (expectation.namespace == nil || dos[$0].namespace == expectation.namespace) }) {
                unclaimedDoS.removeAll { $0 == index }
            } else {
                missing.append("DoS of pod \(expectation.pod) (\(expectation.signal)): not detected")
            }
        }
        if silent { unexpected += unclaimedDoS.map { "DoS: \(dos[$0].summary)" } }
        return ScenarioResult(scenario: name, ruleSet: ruleSet, events: events, alerts: raised.map(\.1), packets: packets, detections: detections,
                              dos: dos, missing: missing, unexpected: unexpected, warnings: warnings, runID: runID)
    }

    /// Replays one recording through the engine from its file; its events and the reader's warnings.
    static func replay(_ path: String, through engine: RuleEngine,
                       onAlert: (Alert, Event) -> Void) throws(TraceLabError) -> (events: Int, warnings: [String]) {
        let (stream, _) = try TraceFiles.open(path)
        do {
            let events = try TraceReplay.run(stream, through: engine, onAlert: onAlert)
            return (events, stream.warnings.map(\.description))
        } catch let error as TraceLabError {
            throw error
        } catch {
            throw TraceLabError("\(error)", at: SourceLocation(file: path, line: 0, column: 0))
        }
    }
}
