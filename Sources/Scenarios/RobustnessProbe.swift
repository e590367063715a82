import FalcoRules
import TraceModel

/// What a set of rules catches of a corpus scenario's variants (`tracelab probe`, issue 20): every variant
/// replayed through the default rules followed by the probed rules, every matching rule alerting
/// (`rule_matching: all`, so a rule is credited for what it matches even where an earlier rule would take the
/// event in a Falco left at `first`), and per behaviour and target the share of the variants a correct rule
/// should catch that the probed rules do.
public struct RobustnessProbe: Sendable {
    /// A rule that alerted on a variant, with the first event it alerted on.
    public struct Catch: Sendable {
        public var rule: String
        /// `event 151 openat by cat[9950] on /etc/shadow`.
        public var event: String
    }

    /// One variant: which probed rules and which default rules alerted on it.
    public struct Row: Sendable {
        public var variant: Scenario.Variant
        public var byProbed: [Catch]
        public var byDefault: [Catch]
        public var caught: Bool { !byProbed.isEmpty }
        /// A variant that should not be caught, caught.
        public var falseAlarm: Bool { variant.expectation == .no && caught }
        /// A variant that should be caught, missed.
        public var missed: Bool { variant.expectation == .yes && !caught }
    }

    /// Coverage of one behaviour and target (`read-file /etc/shadow`).
    public struct Attack: Sendable {
        public var name: String
        /// The variants a correct rule should catch, and how many the probed rules catch.
        public var shouldCatch: Int
        public var caught: Int
        /// Variants that should not be caught and are.
        public var falseAlarms: [String]
        /// True when the probed rules are judged on this attack: named by `--behaviour`, or caught at least once.
        public var inScope: Bool
        /// Caught over should-catch, 0 when nothing should be caught.
        public var coverage: Double { shouldCatch == 0 ? 0 : Double(caught) / Double(shouldCatch) }
    }

    /// The probed rules, in load order (the rules the probed files define, replace or override).
    public var probedRules: [String]
    public var rows: [Row]
    public var attacks: [Attack]
    /// The corpus scenario file.
    public var corpus: String
    /// Events replayed over every variant.
    public var events: Int
    /// Reader warnings, by recording.
    public var warnings: [String]

    /// The probed rules that alerted on at least one variant, in load order: the matrix's columns.
    public var catchingRules: [String] {
        let alerted = Set(rows.flatMap { $0.byProbed.map(\.rule) })
        return probedRules.filter(alerted.contains)
    }

    /// The lowest coverage over the attacks in scope; nil when none is in scope.
    public var minimumCoverage: Double? { attacks.filter(\.inScope).map(\.coverage).min() }

    /// Replays every variant of `corpus` (restricted to `behaviours` when not empty) through `loader`'s rules.
    /// `probed` names the rules under test; every other rule counts as a default rule.
    public static func run(corpus: Scenario, loader: RulesLoader, probed: [String], behaviours: [String] = []) throws(TraceLabError) -> RobustnessProbe {
        let chosen = try corpus.variants(behaviours: behaviours)
        let probedSet = Set(probed)
        let engine = RuleEngine(loader: loader, matching: .all)
        var rows: [Row] = []
        var events = 0
        var warnings: [String] = []
        for variant in chosen {
            let path = corpus.tracePath(of: variant)
            var first: [String: String] = [:]
            var order: [String] = []
            let replay = try Scenario.replay(path, through: engine) { alert, event in
                if first[alert.rule] == nil {
                    first[alert.rule] = event.reference
                    order.append(alert.rule)
                }
            }
            events += replay.events
            warnings += replay.warnings.map { "\(path): \($0)" }
            let catches = order.map { Catch(rule: $0, event: first[$0] ?? "") }
            rows.append(Row(variant: variant, byProbed: catches.filter { probedSet.contains($0.rule) },
                            byDefault: catches.filter { !probedSet.contains($0.rule) }))
        }
        var attacks: [Attack] = []
        for name in Scenario.attacks(of: rows.map(\.variant)) {
            let group = rows.filter { $0.variant.attack == name }
            let shouldCatch = group.filter { $0.variant.expectation == .yes }
            let caught = shouldCatch.filter(\.caught).count
            attacks.append(Attack(name: name, shouldCatch: shouldCatch.count, caught: caught,
                                  falseAlarms: group.filter(\.falseAlarm).map(\.variant.name),
                                  inScope: !behaviours.isEmpty || caught > 0))
        }
        return RobustnessProbe(probedRules: probed, rows: rows, attacks: attacks, corpus: corpus.path, events: events, warnings: warnings)
    }

    /// The rules loaded after the first `defaultItems` entries of the loader's item log: those the probed files
    /// define, replace or override, in the order the engine holds them.
    public static func rules(loadedAfter defaultItems: Int, in loader: RulesLoader) -> [String] {
        let touched = Set(loader.itemLog.dropFirst(defaultItems).filter { $0.kind == .rule }.map(\.name))
        return loader.compiledRules.map(\.name).filter(touched.contains)
    }
}
