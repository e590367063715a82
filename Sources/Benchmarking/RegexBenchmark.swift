import Foundation
import Metrics
import TraceModel
import TraceReaders

/// RE2 (what TraceLab matches Falco's `regex` and PromQL's label regexes with) beside Swift's `Regex` (what it
/// used before): the patterns the lab's rules and dashboards use, and those of Grafana's Node Exporter Full, each
/// fully matched against real strings: the command lines and process names of the shipped syscall recordings and
/// the label values of the lab's metric recording. Both must give the same answers.
public struct RegexBenchmark {
    public var repeats = 5
    /// Passes over the inputs within one timed run.
    public var passes = 20

    public static let patterns = [
        ".*curl.*", "(curl|wget)", "/usr/bin/.*", ".*sensitive.*", "(bash|sh|zsh|dash)", "[a-z]+-[0-9a-z]{5}",
        "[a-z]+|nvme[0-9]+n[0-9]+|mmcblk[0-9]+", ".*irq", "mv-.*", "(dos|nmap)-.*", "kube-.*|default", ".*\\.(sh|py)( .*)?",
    ]

    public init() {}

    public func run(root: String, output: BenchmarkOutput) throws {
        let inputs = try Self.inputs(root: root)
        var rows: [[String]] = []
        var totals = (re2: 0.0, swift: 0.0)
        for pattern in Self.patterns {
            let re2 = try RE2Pattern(pattern)
            let swift = try Regex(pattern)
            var re2Matches = 0, swiftMatches = 0
            var re2Times: [Double] = [], swiftTimes: [Double] = []
            for _ in 0..<max(1, repeats) {
                var start = monotonicSeconds()
                re2Matches = 0
                for _ in 0..<passes { for input in inputs where re2.fullMatch(input) { re2Matches += 1 } }
                re2Times.append(monotonicSeconds() - start)
                start = monotonicSeconds()
                swiftMatches = 0
                for _ in 0..<passes { for input in inputs where (try? swift.wholeMatch(in: input)) != nil { swiftMatches += 1 } }
                swiftTimes.append(monotonicSeconds() - start)
            }
            let re2Seconds = median(re2Times), swiftSeconds = median(swiftTimes)
            guard re2Matches == swiftMatches else {
                throw BenchmarkError("\(pattern): RE2 matches \(re2Matches / passes) inputs, Swift's Regex \(swiftMatches / passes)")
            }
            let count = Double(inputs.count * passes)
            totals.re2 += re2Seconds
            totals.swift += swiftSeconds
            rows.append([pattern, String(re2Matches / passes), String(format: "%.2f", count / re2Seconds / 1e6), String(format: "%.2f", count / swiftSeconds / 1e6)])
        }
        let all = Double(inputs.count * passes * Self.patterns.count)
        rows.append(["all \(Self.patterns.count)", "", String(format: "%.2f", all / totals.re2 / 1e6), String(format: "%.2f", all / totals.swift / 1e6)])
        output("inputs: \(inputs.count) strings (command lines and process names of traces/syscalls, label values of traces/metrics/lab-attacks.om)")
        output(textTable(["pattern (full match)", "matches", "RE2 M matches/s", "Swift Regex M matches/s"], rows))
        output("median of \(repeats) alternating runs of \(passes) passes; both engines give the same answers on every input")
    }

    /// The strings matched: each recorded process's command line and name, and every label value, deduplicated.
    static func inputs(root: String) throws -> [String] {
        var strings: Set<String> = []
        let folder = root + "/traces/syscalls"
        for name in (try FileManager.default.contentsOfDirectory(atPath: folder)).sorted() where name.hasSuffix(".strace") {
            let (stream, _) = try TraceFiles.open(folder + "/" + name)
            while let event = try stream.next() {
                guard let thread = event.thread else { continue }
                strings.insert(thread.name)
                strings.insert(([thread.name] + thread.args).joined(separator: " "))
            }
        }
        let (store, _) = try MetricStore.load(path: root + "/traces/metrics/lab-attacks.om")
        for series in store.series { for label in series.labels.labels { strings.insert(label.value) } }
        return strings.sorted()
    }
}
