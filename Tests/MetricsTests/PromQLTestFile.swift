import Foundation
import Metrics
import TestSupport
import TraceModel

/// A runner for Prometheus's promqltest files (`load`, `clear`, `eval instant|range`, `expect ...`), for
/// the float features TraceLab implements. Native histograms, experimental syntax and the evals that
/// follow a load this harness skips (`load_with_nhcb`, until the next `clear`) are skipped and counted;
/// everything else is a case, passed or failed, named by its line (`selectors:42`). An instant eval is
/// also run as a range query around its time, as Prometheus's own harness does, and must agree.
struct PromQLTestFile {
    var tally = Tally()
    /// Skipped evals by reason: "experimental syntax", "native histogram data", "after a skipped load".
    var skipReasons: [String: Int] = [:]
    var total: Int { tally.total }
    var passed: Int { tally.kinds.values.reduce(0) { $0 + $1.passed } }
    var skipped: Int { tally.notRunnable.count }
    var failures: [String] { tally.failures }

    /// Experimental features (Prometheus 3 feature flags), by the text that shows them.
    static let experimentalSyntax = ["anchored", "smoothed", "fill(", "fill_left", "fill_right", "limitk", "limit_ratio", "info(", "step()", "range()",
                                     "mad_over_time", "ts_of_", "double_exponential_smoothing", "holt_winters", "min_of", "max_of",
                                     "trim_upper", "trim_lower", "load_with_nhcb", "_with_nhcb"]
    /// Native histograms, in the query or the expected output.
    static let histogramSyntax = ["{{", "{count:", "histogram_count", "histogram_sum", "histogram_avg", "histogram_fraction", "histogram_stddev",
                                  "histogram_stdvar", "histogram_quantiles"]

    static func run(_ text: String, name: String) -> PromQLTestFile {
        var result = PromQLTestFile()
        let store = MetricStore()
        let engine = PromQLEngine(store: store)
        let lines = text.components(separatedBy: "\n")
        var index = 0
        // After a load this harness skips, the evals until the next clear may read what it would have loaded.
        var skippedLoad = false
        // Series loaded with native histogram samples (those samples not loaded): evals that select them are skipped.
        var histogramSeries: [Labels] = []
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            index += 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            let lineNumber = index
            if line == "clear" {
                store.clear()
                histogramSeries = []
                skippedLoad = false
                continue
            }
            // The command's body: the indented lines that follow, up to a blank line.
            var body: [String] = []
            while index < lines.count {
                let next = lines[index].trimmingCharacters(in: .whitespaces)
                if next.isEmpty { break }
                if next.hasPrefix("#") { index += 1; continue }
                if !(lines[index].hasPrefix(" ") || lines[index].hasPrefix("\t")) && (next.hasPrefix("eval") || next.hasPrefix("load") || next == "clear") { break }
                body.append(next)
                index += 1
            }
            if line.hasPrefix("load") {
                if line.hasPrefix("load_with_nhcb") { skippedLoad = true }
                guard !line.hasPrefix("load_with_nhcb"), let interval = PromQLParser.duration(String(line.dropFirst(4)).trimmingCharacters(in: .whitespaces)) else { continue }
                // A series given twice: the later line's samples win at the same times.
                var loaded: [Labels: [Int64: Double]] = [:]
                var order: [Labels] = []
                for entry in body {
                    guard let (labels, values) = parseSeries(entry) else { continue }
                    if values.contains("{{") { histogramSeries.append(labels) }
                    guard let expanded = expand(values) else { continue }
                    if loaded[labels] == nil { order.append(labels) }
                    for (position, value) in expanded.enumerated() {
                        if let value { loaded[labels, default: [:]][Int64(position) * interval] = value }
                    }
                }
                for labels in order {
                    for (time, value) in (loaded[labels] ?? [:]).sorted(by: { $0.key < $1.key }) { store.append(labels, time, value) }
                }
                continue
            }
            guard line.hasPrefix("eval") else { continue }
            let id = "\(name):\(lineNumber)"
            let experimental = line.range(of: #"(?<!@ )\b(start|end)\(\)"#, options: .regularExpression) != nil
                || experimentalSyntax.contains(where: { line.contains($0) })
            let histogram = selectsAny(histogramSeries, line) || histogramSyntax.contains(where: { line.contains($0) || body.joined(separator: "\n").contains($0) })
            if experimental || histogram || skippedLoad {
                let reason = experimental ? "experimental syntax" : histogram ? "native histogram data" : "after a skipped load"
                result.tally.skip(id, reason)
                result.skipReasons[reason, default: 0] += 1
                continue
            }
            let failure = evaluate(line, body, engine: engine)
            result.tally.record("evals", id: id, failure == nil, "\(line): \(failure ?? "")")
        }
        return result
    }

    /// True when the eval's query selects one of these series.
    static func selectsAny(_ series: [Labels], _ line: String) -> Bool {
        guard !series.isEmpty, let query = line.range(of: #"^eval\S*\s+(instant\s+at\s+\S+|range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+)\s+"#, options: .regularExpression),
              let expr = try? PromQLParser.parse(String(line[query.upperBound...])) else { return false }
        return series.contains { labels in expr.selectors.contains { selector in selector.matchers.allSatisfy { $0.matches(labels[$0.name] ?? "") } } }
    }

    /// nil when the eval passes, else why not.
    static func evaluate(_ line: String, _ body: [String], engine: PromQLEngine) -> String? {
        var expectFail = line.hasPrefix("eval_fail")
        var ordered = line.hasPrefix("eval_ordered")
        var failMessage: String?
        var failRegex: String?
        var expectedString: String?
        var rangeVector: (Int64, Int64, Int64)?
        var expectations: [String] = []
        for entry in body {
            if entry.hasPrefix("expect ") {
                let rest = entry.dropFirst(7).trimmingCharacters(in: .whitespaces)
                if rest.hasPrefix("fail") {
                    expectFail = true
                    if let range = rest.range(of: "msg:") { failMessage = rest[range.upperBound...].trimmingCharacters(in: .whitespaces) }
                    if let range = rest.range(of: "regex:") { failRegex = rest[range.upperBound...].trimmingCharacters(in: .whitespaces) }
                } else if rest.hasPrefix("ordered") {
                    ordered = true
                } else if rest.hasPrefix("string") {
                    expectedString = String(rest.dropFirst(6)).trimmingCharacters(in: .whitespaces)
                } else if rest.hasPrefix("range vector") {
                    let words = rest.split(separator: " ").map(String.init)
                    if words.count >= 8, let from = PromQLParser.duration(words[3]), let to = PromQLParser.duration(words[5]), let step = PromQLParser.duration(words[7]) {
                        rangeVector = (from, to, step)
                    }
                }
                continue
            }
            if entry.hasPrefix("expected_fail_message") { expectFail = true; failMessage = String(entry.dropFirst(21)).trimmingCharacters(in: .whitespaces); continue }
            if entry.hasPrefix("expected_fail_regexp") { expectFail = true; failRegex = String(entry.dropFirst(20)).trimmingCharacters(in: .whitespaces); continue }
            expectations.append(entry)
        }
        // The command line.
        let instant = line.range(of: #"^eval(_[a-z]+)?\s+instant\s+at\s+(\S+)\s+(.+)$"#, options: .regularExpression) != nil
        var query = ""
        var time: Int64 = 0
        var range: (Int64, Int64, Int64)?
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if instant {
            guard words.count >= 5, let at = PromQLParser.duration(words[3]) else { return "cannot read the command" }
            time = at
            query = words[4...].joined(separator: " ")
        } else {
            guard words.count >= 9, let from = PromQLParser.duration(words[3]), let to = PromQLParser.duration(words[5]), let step = PromQLParser.duration(words[7]) else {
                return "cannot read the command"
            }
            range = (from, to, step)
            query = words[8...].joined(separator: " ")
        }
        do {
            let expr = try PromQLParser.parse(query)
            if let (from, to, step) = range {
                let series = try engine.range(expr, start: from, end: to, step: step)
                if expectFail { return "expected a failure, got \(series.count) series" }
                return compareRange(series, expectations, from: from, step: step)
            }
            let value = try engine.instant(expr, at: time)
            if expectFail { return "expected a failure, got a result" }
            switch value {
            case .scalar(let number, _):
                guard expectations.count == 1, let expected = parseValue(expectations[0]) else { return "scalar \(number), expected \(expectations)" }
                if !almostEqual(number, expected) { return "scalar \(number), expected \(expected)" }
                return try rangeModeCheck(expr, at: time, engine: engine, expectations, ordered: ordered, scalar: true)
            case .string(let text, _):
                let expected = expectedString.map { String($0.dropFirst().dropLast()) }
                return text == expected ? nil : "string \(text), expected \(expectedString ?? "nothing")"
            case .vector(let elements):
                if let failure = compareVector(elements, expectations, ordered: ordered) { return failure }
                return try rangeModeCheck(expr, at: time, engine: engine, expectations, ordered: ordered, scalar: false)
            case .matrix(let series):
                guard let (from, _, step) = rangeVector else { return series.isEmpty && expectations.isEmpty ? nil : "a range vector without 'expect range vector'" }
                return compareRange(series, expectations, from: from, step: step, exactTimes: true)
            }
        } catch {
            guard expectFail else { return "failed: \(error)" }
            if let failMessage, !error.message.hasSuffix(failMessage) { return "message \(error.message), expected \(failMessage)" }
            if let failRegex, error.message.range(of: failRegex, options: .regularExpression) == nil { return "message \(error.message), expected /\(failRegex)/" }
            return nil
        }
    }

    /// Prometheus's harness runs every instant eval again as a range query from a minute before to a minute
    /// after its time, step one minute, and compares the middle step with the expectations (not for ordered
    /// evals: a range query's order is its own).
    static func rangeModeCheck(_ expr: Expr, at time: Int64, engine: PromQLEngine, _ expectations: [String], ordered: Bool,
                               scalar: Bool) throws(PromQLError) -> String? {
        guard !ordered else { return nil }
        let series = try engine.range(expr, start: time - 60_000, end: time + 60_000, step: 60_000)
        let middle = series.compactMap { one in one.samples.first { $0.timestamp == time }.map { VectorElement(labels: one.labels, value: $0.value, time: time) } }
        if scalar {
            guard let value = middle.first?.value, let expected = expectations.first.flatMap(parseValue), almostEqual(value, expected) else {
                return "in range mode: \(middle.first.map { String($0.value) } ?? "no point") at the middle step, expected \(expectations)"
            }
            return nil
        }
        return compareVector(middle, expectations, ordered: false).map { "in range mode: " + $0 }
    }

    static func compareVector(_ elements: [VectorElement], _ expectations: [String], ordered: Bool) -> String? {
        var expected: [(Labels, Double)] = []
        for line in expectations {
            guard let (labels, values) = parseSeries(line), let value = parseValue(values) else { return "cannot read expectation \(line)" }
            expected.append((labels, value))
        }
        guard elements.count == expected.count else {
            return "got \(elements.count) elements \(elements.prefix(4).map { "\($0.labels) \($0.value)" }), expected \(expected.count)"
        }
        if ordered {
            for (element, (labels, value)) in zip(elements, expected) where element.labels != labels || !almostEqual(element.value, value) {
                return "got \(element.labels) \(element.value) in order, expected \(labels) \(value)"
            }
            return nil
        }
        let actual = Dictionary(elements.map { ($0.labels, $0.value) }, uniquingKeysWith: { first, _ in first })
        for (labels, value) in expected {
            guard let got = actual[labels] else { return "missing \(labels); got \(elements.map(\.labels.description))" }
            if !almostEqual(got, value) { return "\(labels): got \(got), expected \(value)" }
        }
        return nil
    }

    static func compareRange(_ series: [RangeElement], _ expectations: [String], from: Int64, step: Int64, exactTimes: Bool = false) -> String? {
        var expected: [Labels: [Int64: Double]] = [:]
        for line in expectations {
            guard let (labels, values) = parseSeries(line), let expanded = expand(values) else { return "cannot read expectation \(line)" }
            var points: [Int64: Double] = [:]
            for (position, value) in expanded.enumerated() { if let value { points[from + Int64(position) * step] = value } }
            expected[labels] = points
        }
        let nonEmpty = series.filter { !$0.samples.isEmpty }
        guard nonEmpty.count == expected.count else { return "got \(nonEmpty.count) series \(nonEmpty.prefix(3).map(\.labels.description)), expected \(expected.count)" }
        for one in nonEmpty {
            guard let points = expected[one.labels] else { return "unexpected series \(one.labels)" }
            guard points.count == one.samples.count else { return "\(one.labels): \(one.samples.count) points, expected \(points.count)" }
            for sample in one.samples {
                guard let value = points[sample.timestamp] else { return "\(one.labels): a point at \(sample.timestamp) ms not expected" }
                if !almostEqual(sample.value, value) { return "\(one.labels) at \(sample.timestamp) ms: got \(sample.value), expected \(value)" }
            }
        }
        _ = exactTimes
        return nil
    }

    /// Prometheus's almost.Equal with epsilon 1e-6.
    static func almostEqual(_ a: Double, _ b: Double) -> Bool {
        if a.bitPattern == staleNaN.bitPattern || b.bitPattern == staleNaN.bitPattern { return a.bitPattern == b.bitPattern }
        if a.isNaN && b.isNaN { return true }
        if a == b { return true }
        let minNormal = 2.2250738585072014e-308
        let difference = abs(a - b)
        let sum = abs(a) + abs(b)
        if a == 0 || b == 0 || sum < minNormal { return difference < 1e-6 * minNormal }
        return difference / min(sum, Double.greatestFiniteMagnitude) < 1e-6
    }

    /// `metric{a="b"} rest` or `{a="b"} rest` → labels and the rest.
    static func parseSeries(_ line: String) -> (Labels, String)? {
        let characters = Array(line)
        var index = 0
        var name = ""
        while index < characters.count, characters[index] != "{", characters[index] != " ", characters[index] != "\t" { name.append(characters[index]); index += 1 }
        var labels: [Label] = name.isEmpty ? [] : [Label(Labels.metricNameLabel, name)]
        if index < characters.count, characters[index] == "{" {
            index += 1
            while index < characters.count, characters[index] != "}" {
                while index < characters.count, characters[index] == " " || characters[index] == "," { index += 1 }
                if index < characters.count, characters[index] == "}" { break }
                var key = ""
                if index < characters.count, characters[index] == "\"" {
                    index += 1
                    while index < characters.count, characters[index] != "\"" { key.append(characters[index]); index += 1 }
                    index += 1
                } else {
                    while index < characters.count, characters[index] != "=", characters[index] != " " { key.append(characters[index]); index += 1 }
                }
                while index < characters.count, characters[index] == " " { index += 1 }
                guard index < characters.count, characters[index] == "=" else {
                    // A quoted metric name alone.
                    labels.append(Label(Labels.metricNameLabel, key))
                    continue
                }
                index += 1
                while index < characters.count, characters[index] == " " { index += 1 }
                guard index < characters.count, characters[index] == "\"" else { return nil }
                index += 1
                var value = ""
                while index < characters.count, characters[index] != "\"" {
                    if characters[index] == "\\", index + 1 < characters.count {
                        index += 1
                        value.append(characters[index] == "n" ? "\n" : characters[index])
                    } else {
                        value.append(characters[index])
                    }
                    index += 1
                }
                index += 1
                labels.append(Label(key, value))
            }
            index += 1
        }
        return (Labels(labels), String(characters[min(index, characters.count)...]).trimmingCharacters(in: .whitespaces))
    }

    static func parseValue(_ text: String) -> Double? {
        switch text.trimmingCharacters(in: .whitespaces) {
        case "NaN": return .nan
        case "Inf", "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "stale": return staleNaN
        case let other: return Double(other)
        }
    }

    /// The expanding notation: `a+bxn`, `a-bxn`, `axn`, `_`, `_xn`, `stale`, numbers.
    static func expand(_ text: String) -> [Double?]? {
        var out: [Double?] = []
        var inHistogram = false
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) {
            // A native histogram sample ({{...}}, maybe repeated with xN): not loaded, its points left empty.
            if token.hasPrefix("{{") { inHistogram = true }
            if inHistogram {
                if let close = token.range(of: "}}") {
                    inHistogram = false
                    let rest = token[close.upperBound...]
                    var repeats = 1
                    if rest.hasPrefix("x"), let count = Int(rest.dropFirst()) { repeats = count + 1 }
                    out += Array(repeating: nil, count: repeats)
                }
                continue
            }
            if token == "_" { out.append(nil); continue }
            if token == "stale" { out.append(staleNaN); continue }
            if let xIndex = token.lastIndex(of: "x"), let count = Int(token[token.index(after: xIndex)...]) {
                let head = String(token[..<xIndex])
                if head == "_" { out += Array(repeating: nil, count: count); continue }
                // a+b or a-b, where a may start with a sign.
                var split: String.Index?
                var position = head.index(after: head.startIndex)
                while position < head.endIndex {
                    let character = head[position]
                    let previous = head[head.index(before: position)]
                    if (character == "+" || character == "-") && previous != "e" && previous != "E" { split = position }
                    position = head.index(after: position)
                }
                if let split, let start = parseValue(String(head[..<split])), let increment = parseValue(String(head[head.index(after: split)...])) {
                    let signed = head[split] == "-" ? -increment : increment
                    for step in 0...count { out.append(start + Double(step) * signed) }
                } else if let value = parseValue(head) {
                    out += Array(repeating: value, count: count + 1)
                } else {
                    return nil
                }
                continue
            }
            guard let value = parseValue(token) else { return nil }
            out.append(value)
        }
        return out
    }
}
