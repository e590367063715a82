import TraceModel

/// Reads metric samples in the OpenMetrics text format or Prometheus's text exposition format, one file
/// or several scrapes concatenated. Families may repeat (one block per scrape); `# TYPE`, `# HELP` and
/// `# UNIT` lines are read, exemplars are skipped. OpenMetrics timestamps are seconds, Prometheus text
/// timestamps milliseconds: a file with a `# EOF` line is OpenMetrics unless told otherwise.
///
/// A bad line is reported with its line and column and skipped; the rest of the file is still read.
public struct ExpositionReader {
    public enum Format: String, Sendable { case openMetrics = "openmetrics", prometheus, automatic = "auto" }

    /// What a reading gave: the samples went into the store; problems name the file, line and column.
    public struct Outcome: Sendable {
        public var samples = 0
        public var lines = 0
        public var format: Format = .automatic
        public var problems: [String] = []
        /// Samples without a timestamp, given `defaultTimestamp`.
        public var untimestamped = 0
        /// Metric families and their declared types.
        public var types: [String: String] = [:]
    }

    /// More labels than this on one sample is refused (Prometheus's `label_limit` is off by default; a
    /// hostile file must not make a series the size of memory).
    public static let maximumLabels = 256
    public static let maximumLabelLength = 65_536
    /// Problems listed one by one; further ones are counted.
    public static let maximumProblems = 100

    public init() {}

    /// Reads `bytes` (the file `name`) into `store`.
    /// - Parameter defaultTimestamp: for samples without a timestamp (ms); nil makes them problems.
    public func read(_ bytes: [UInt8], name: String, into store: MetricStore, format requested: Format = .automatic,
                     defaultTimestamp: Int64? = nil) -> Outcome {
        var outcome = Outcome()
        let format: Format
        if requested == .automatic {
            format = Self.hasEOF(bytes) ? .openMetrics : .prometheus
        } else {
            format = requested
        }
        outcome.format = format
        var problemCount = 0
        func problem(_ line: Int, _ column: Int, _ message: String) {
            problemCount += 1
            if outcome.problems.count < Self.maximumProblems { outcome.problems.append("\(name):\(line):\(column): \(message)") }
        }
        var lineNumber = 0
        var start = 0
        var sawEOF = false
        var positions: [ByteKey: Int] = [:]
        let outOfOrderBefore = store.outOfOrder, duplicatesBefore = store.duplicates
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            let line = bytes[start..<end]
            start = end + 1
            if line.isEmpty { continue }
            if sawEOF {
                problem(lineNumber, 1, "content after # EOF")
                break
            }
            if line.first == UInt8(ascii: "#") {
                let text = String(decoding: line, as: UTF8.self)
                if text == "# EOF" { sawEOF = true; continue }
                let words = text.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                if words.count >= 4, words[1] == "TYPE" { outcome.types[String(words[2])] = String(words[3]) }
                continue
            }
            outcome.lines += 1
            var parser = LineParser(bytes: Array(line))
            do {
                // Lines of one series repeat their name and labels: those bytes find the series directly.
                let identityEnd = Self.identityEnd(line)
                let identity = ByteKey(bytes: Array(line[line.startIndex..<identityEnd]))
                let known = positions[identity]
                let sample = try known == nil ? parser.sample() : parser.valueAndTimestamp(from: identityEnd - line.startIndex)
                let timestamp: Int64
                if let seconds = sample.timestamp {
                    // Milliseconds in 64 bits (found by fuzzing: a 40-digit timestamp trapped on the conversion).
                    let milliseconds = format == .openMetrics ? (seconds * 1000).rounded() : seconds.rounded(.towardZero)
                    guard milliseconds.isFinite, abs(milliseconds) < 9.2e18 else {
                        problem(lineNumber, line.count + 1, "the timestamp is out of range (milliseconds since 1970 in 64 bits)")
                        continue
                    }
                    timestamp = Int64(milliseconds)
                } else if let defaultTimestamp {
                    timestamp = defaultTimestamp
                    outcome.untimestamped += 1
                } else {
                    problem(lineNumber, line.count + 1, "a sample without a timestamp (give one, or a default time)")
                    continue
                }
                let position = known ?? store.position(of: sample.labels)
                if known == nil { positions[identity] = position }
                if store.append(at: position, timestamp, sample.value) { outcome.samples += 1 }
            } catch {
                problem(lineNumber, error.column, error.message)
            }
        }
        if format == .openMetrics && !sawEOF && requested == .openMetrics { problem(lineNumber, 1, "an OpenMetrics file ends with # EOF") }
        let outOfOrder = store.outOfOrder - outOfOrderBefore, duplicates = store.duplicates - duplicatesBefore
        if outOfOrder > 0 { outcome.problems.append("\(name): \(outOfOrder) samples out of order (not after their series' previous sample) were dropped, as Prometheus drops them") }
        if duplicates > 0 { outcome.problems.append("\(name): \(duplicates) duplicate samples (same series, time and value) were dropped") }
        if problemCount > outcome.problems.count { outcome.problems.append("\(name): \(problemCount - Self.maximumProblems) more bad lines") }
        return outcome
    }

    /// Bytes as a dictionary key, hashed as one block rather than byte by byte.
    struct ByteKey: Hashable {
        let bytes: [UInt8]
        func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    }

    /// Where a sample line's name and labels end (the first space or tab outside quotes).
    static func identityEnd(_ line: ArraySlice<UInt8>) -> Int {
        var index = line.startIndex
        var quoted = false
        while index < line.endIndex {
            let byte = line[index]
            if quoted {
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { quoted = false }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                return index
            }
            index += 1
        }
        return line.endIndex
    }

    static func hasEOF(_ bytes: [UInt8]) -> Bool {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D || bytes[end - 1] == 0x20 { end -= 1 }
        let marker = Array("# EOF".utf8)
        return end >= marker.count && Array(bytes[(end - marker.count)..<end]) == marker
    }

    struct LineError: Error {
        var column: Int
        var message: String
    }

    /// One sample line: `name{label="value",...} value [timestamp] [# exemplar]`.
    struct LineParser {
        let bytes: [UInt8]
        var position = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        /// The value and timestamp after a known series' name and labels (which end at `offset`).
        mutating func valueAndTimestamp(from offset: Int) throws(LineError) -> (labels: Labels, value: Double, timestamp: Double?) {
            position = offset
            return try rest(Labels([]))
        }

        mutating func sample() throws(LineError) -> (labels: Labels, value: Double, timestamp: Double?) {
            var labels: [Label] = []
            let name = identifier(allowColon: true)
            if !name.isEmpty { labels.append(Label(Labels.metricNameLabel, name)) }
            if peek == UInt8(ascii: "{") {
                position += 1
                skipSpaces()
                while peek != UInt8(ascii: "}") {
                    guard position < bytes.count else { throw LineError(column: position + 1, message: "unclosed label set: expected '}'") }
                    let labelName: String
                    if peek == UInt8(ascii: "\"") {
                        labelName = try quoted()  // OpenMetrics 2 / UTF-8 names: a quoted name alone is the metric name
                        skipSpaces()
                        if peek == UInt8(ascii: ",") || peek == UInt8(ascii: "}") {
                            labels.append(Label(Labels.metricNameLabel, labelName))
                            if peek == UInt8(ascii: ",") { position += 1; skipSpaces() }
                            continue
                        }
                    } else {
                        labelName = identifier(allowColon: false)
                    }
                    guard !labelName.isEmpty else { throw LineError(column: position + 1, message: "expected a label name") }
                    skipSpaces()
                    guard peek == UInt8(ascii: "=") else { throw LineError(column: position + 1, message: "expected '=' after label name \(labelName)") }
                    position += 1
                    skipSpaces()
                    let value = try quoted()
                    guard value.utf8.count <= ExpositionReader.maximumLabelLength else {
                        throw LineError(column: position, message: "label \(labelName) has a value over \(ExpositionReader.maximumLabelLength) bytes")
                    }
                    if labels.contains(where: { $0.name == labelName }) { throw LineError(column: position, message: "label \(labelName) given twice") }
                    labels.append(Label(labelName, value))
                    guard labels.count <= ExpositionReader.maximumLabels else {
                        throw LineError(column: position, message: "more than \(ExpositionReader.maximumLabels) labels on one sample")
                    }
                    skipSpaces()
                    if peek == UInt8(ascii: ",") { position += 1; skipSpaces(); continue }
                    guard peek == UInt8(ascii: "}") else { throw LineError(column: position + 1, message: "expected ',' or '}' in the label set") }
                }
                position += 1
            }
            guard labels.contains(where: { $0.name == Labels.metricNameLabel }) else { throw LineError(column: 1, message: "expected a metric name") }
            return try rest(Labels(labels))
        }

        /// The value, optional timestamp and optional exemplar after the name and labels.
        mutating func rest(_ labels: Labels) throws(LineError) -> (labels: Labels, value: Double, timestamp: Double?) {
            guard peek == UInt8(ascii: " ") || peek == UInt8(ascii: "\t") else { throw LineError(column: position + 1, message: "expected a space before the value") }
            skipSpaces()
            let valueColumn = position + 1
            let valueText = word()
            guard let value = Self.number(valueText) else { throw LineError(column: valueColumn, message: "bad sample value '\(valueText)'") }
            skipSpaces()
            var timestamp: Double?
            if position < bytes.count, peek != UInt8(ascii: "#") {
                let column = position + 1
                let text = word()
                guard let parsed = Double(text), parsed.isFinite else { throw LineError(column: column, message: "bad timestamp '\(text)'") }
                timestamp = parsed
                skipSpaces()
            }
            if position < bytes.count, peek != UInt8(ascii: "#") {
                throw LineError(column: position + 1, message: "unexpected text after the sample")
            }
            return (labels, value, timestamp)
        }

        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipSpaces() { while peek == UInt8(ascii: " ") || peek == UInt8(ascii: "\t") { position += 1 } }

        mutating func identifier(allowColon: Bool) -> String {
            let start = position
            while let byte = peek {
                let letter = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "_") || (allowColon && byte == UInt8(ascii: ":"))
                let digit = byte >= 0x30 && byte <= 0x39
                guard letter || (digit && position > start) else { break }
                position += 1
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        mutating func word() -> String {
            let start = position
            while let byte = peek, byte != UInt8(ascii: " "), byte != UInt8(ascii: "\t") { position += 1 }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        mutating func quoted() throws(LineError) -> String {
            guard peek == UInt8(ascii: "\"") else { throw LineError(column: position + 1, message: "expected a quoted label value") }
            position += 1
            var out: [UInt8] = []
            while true {
                guard let byte = peek else { throw LineError(column: position + 1, message: "unterminated label value") }
                position += 1
                if byte == UInt8(ascii: "\"") { break }
                if byte == UInt8(ascii: "\\") {
                    guard let next = peek else { throw LineError(column: position + 1, message: "unterminated escape") }
                    position += 1
                    switch next {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "\\"), UInt8(ascii: "\""): out.append(next)
                    default: throw LineError(column: position, message: "unknown escape \\\(Character(UnicodeScalar(next)))")
                    }
                    continue
                }
                out.append(byte)
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// Go's ParseFloat forms the formats allow: decimals, exponents, NaN, +Inf, -Inf (any case).
        static func number(_ text: String) -> Double? {
            switch text.lowercased() {
            case "nan": return .nan
            case "+inf", "inf": return .infinity
            case "-inf": return -.infinity
            default: return Double(text)
            }
        }
    }
}
