import FalcoRules
import TraceModel
import TraceReaders

extension RuleSetComparison {
    /// Compares two loaded rule sets on the events of `traces` (any format TraceFiles opens; each event's source
    /// is its file name), on `synthetic` events of the generated benchmark trace and, with `probes`, on probe
    /// events made from both sides' macros (`MacroProbes`, based on the traces' events).
    public static func run(reference: RulesLoader, candidate: RulesLoader, traces: [String], synthetic: Int = 0, probes: Bool = false) throws -> RuleSetComparison {
        var comparison = RuleSetComparison(reference: reference, candidate: candidate)
        var chooser = MacroProbes.BaseChooser()
        for path in traces {
            let (stream, _) = try TraceFiles.open(path)
            let name = path.split(separator: "/").last.map(String.init) ?? path
            while let event = try stream.next() {
                comparison.add(event, source: name)
                chooser.offer(event)
            }
        }
        for event in SyntheticTrace(count: synthetic) { comparison.add(event, source: "synthetic") }
        if probes {
            for loader in [reference, candidate] {
                for event in MacroProbes.events(for: loader, bases: chooser.bases) { comparison.add(event, source: "probes") }
            }
        }
        return comparison
    }
}
