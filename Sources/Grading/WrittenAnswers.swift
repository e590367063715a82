import TraceModel
import Yams

/// Reading and marking students' written answers: question headings in Markdown, tolerant matching of
/// the facts an answer must name (priority words and their abbreviations, names with a pod's random
/// suffix), and rubrics of keyword categories.
public enum WrittenAnswers {
    /// `Q1`, `q 1`, `Question 1`, `question1` → `Q1`; anything else → nil.
    public static func questionName(_ text: String) -> String? {
        var rest = Substring(text.lowercased()).drop { $0 == " " || $0 == "*" || $0 == "#" || $0 == "_" }
        if rest.hasPrefix("question") { rest = rest.dropFirst(8) } else if rest.hasPrefix("q") { rest = rest.dropFirst() } else { return nil }
        rest = rest.drop { $0 == " " || $0 == "." }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 2 else { return nil }
        let after = rest.dropFirst(digits.count).first
        if let after, after.isLetter || after.isNumber { return nil }
        return "Q" + String(Int(digits) ?? 0)
    }

    /// Orders `Q2` before `Q10`.
    public static func questionOrder(_ a: String, _ b: String) -> Bool {
        (Int(a.dropFirst()) ?? 0, a) < (Int(b.dropFirst()) ?? 0, b)
    }

    /// Splits Markdown at question headings: `# Q1`, `## Question 2`, `**Q3**`, `Q4:` at a line's start.
    public static func parseMarkdown(_ text: String) -> [String: String] {
        var answers: [String: String] = [:]
        var current: String?
        var lines: [Substring] = []
        func finish() {
            if let current, answers[current] == nil { answers[current] = lines.joined(separator: "\n").trimmingBlanks() }
            lines = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            let isHeadingLike = trimmed.hasPrefix("#") || trimmed.hasPrefix("**") || trimmed.lowercased().hasPrefix("q")
            if isHeadingLike, let head = headingQuestion(trimmed) {
                finish()
                current = head.question
                if !head.rest.isEmpty { lines.append(head.rest) }
            } else if current != nil {
                lines.append(line)
            }
        }
        finish()
        return answers
    }

    /// A heading's question and the text after it on the same line (`Q1: cat` → ("Q1", "cat")).
    private static func headingQuestion(_ line: Substring) -> (question: String, rest: Substring)? {
        let stripped = line.drop { $0 == "#" || $0 == " " || $0 == "*" || $0 == "_" }
        var end = stripped.startIndex
        var sawDigit = false
        while end < stripped.endIndex {
            let character = stripped[end]
            if character.isNumber { sawDigit = true } else if sawDigit { break }
            if !(character.isLetter || character.isNumber || character == " " || character == ".") { break }
            end = stripped.index(after: end)
        }
        guard sawDigit, let question = questionName(String(stripped[stripped.startIndex..<end])) else { return nil }
        let rest = stripped[end...].drop { $0 == ":" || $0 == "*" || $0 == "_" || $0 == " " || $0 == ")" || $0 == "-" || $0 == "." }
        return (question, rest)
    }

    /// A YAML answer as plain text: scalars as they are, lists and mappings line by line.
    public static func flatten(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return scalar.string
        case .sequence(let items): return items.map(flatten).joined(separator: "\n")
        case .mapping(let pairs): return pairs.map { "\($0.key.string ?? ""): \(flatten($0.value))" }.joined(separator: "\n")
        default: return ""
        }
    }

    /// Lower-cased words (letters, digits, `/`, `.`, `-`, `_`) of a text.
    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "/" || $0 == "." || $0 == "-" || $0 == "_") }
            .map { String($0).trimmingCharacters(in: ".-") }.filter { !$0.isEmpty }
    }

    /// Every way a student may write a priority.
    static let priorityWords: [Priority: [String]] = [
        .emergency: ["emergency", "emerg"], .alert: ["alert"], .critical: ["critical", "crit"], .error: ["error", "err"],
        .warning: ["warning", "warn"], .notice: ["notice"], .informational: ["informational", "info"], .debug: ["debug"],
    ]

    /// The verdict on one part of a written answer.
    public enum Mark: String, Sendable {
        case right, wrong
        case needsReview = "needs review"
    }

    /// Marks the priority named in an answer: right when the expected one is named (alone or with
    /// its abbreviation), wrong when only others are, needs review when none is or several are.
    static func markPriority(_ text: String, expected: Priority) -> (Mark, String) {
        let answerWords = Set(words(text))
        // "alert" is also an ordinary word in these answers: it names the level only when no other level is named.
        var named = Priority.allCases.filter { $0 != .alert && (priorityWords[$0] ?? []).contains(where: answerWords.contains) }
        if named.isEmpty && expected == .alert && answerWords.contains("alert") { named = [.alert] }
        if named == [expected] { return (.right, "names \(expected.name)") }
        if named.isEmpty { return (.needsReview, "no priority level named (expected \(expected.name))") }
        if named.contains(expected) { return (.needsReview, "names several levels: \(named.map(\.name).joined(separator: ", ")) (expected \(expected.name))") }
        return (.wrong, "names \(named.map(\.name).joined(separator: ", ")); the alert's priority is \(expected.name)")
    }

    /// A name without a random suffix Kubernetes adds (`falco-wmmt2` → `falco`, `web-7d4b9c-x2x9z` → `web`).
    static func baseName(_ name: String) -> String {
        var parts = name.split(separator: "-").map(String.init)
        while parts.count > 1, let last = parts.last, last.count >= 5, last.count <= 10,
              last.allSatisfy({ $0.isLowercase || $0.isNumber }), last.contains(where: \.isNumber) || last.count == 5 {
            parts.removeLast()
        }
        return parts.joined(separator: "-")
    }

    /// Marks a name (pod, container) in an answer. The names the answer gives *as* the pod or container count first:
    /// the word right before the word for what it is, or the first after it ("pod: nginx-pod", "the falco pod",
    /// "the pod was named falco-wmmt2"), outside quoted
    /// commands (`kubectl exec nginx-pod -- cat ...` names the pod a student ran a command in, not the alert's).
    /// Right when one of them is the expected name (or its base, or the name with another random suffix); wrong
    /// when they name only others. Without any, right when the exact distinctive name (with a dash or a digit)
    /// appears elsewhere; needs review otherwise, since a bare base such as "falco" is also the tool's name.
    static func markName(_ text: String, expected: String, what: String) -> (Mark, String) {
        let answerWords = words(withoutCommands(text))
        let name = expected.lowercased()
        let base = baseName(expected).lowercased()
        func isExpected(_ word: String) -> Bool { word == name || word == base || (base != name && baseName(word) == base) }
        // The word right before "pod" ("the falco pod") and the first word after it past fillers ("pod name is X").
        let fillers: Set<String> = ["is", "was", "name", "named", "called", "the", "its", "it", "of", "in", "itself", "s"]
        func looksLikeName(_ word: String) -> Bool {
            word.contains { $0 == "-" || $0.isNumber } && word.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." }
        }
        var declared: [String] = []
        for (index, word) in answerWords.enumerated() where word.hasPrefix(what) && word.count <= what.count + 1 {
            var candidates: [String] = []
            if index > 0 { candidates.append(answerWords[index - 1]) }
            if let after = answerWords[(index + 1)...].first(where: { !fillers.contains($0) }) { candidates.append(after) }
            for other in candidates where (isExpected(other) || looksLikeName(other)) && !other.hasPrefix(what) && !declared.contains(other) {
                declared.append(other)
            }
        }
        if let right = declared.first(where: isExpected) {
            return (.right, right == name || right == base && base == name ? "names the \(what) \(expected)"
                : right == base ? "names the \(what) \(base) (the random suffix may differ)" : "names the \(what) \(base) with another random suffix")
        }
        if !declared.isEmpty {
            return (.wrong, "names the \(what) \(declared.joined(separator: ", ")); the alert's \(what) is \(expected)")
        }
        let distinctive = name.contains { $0 == "-" || $0.isNumber }
        if distinctive, answerWords.contains(name) { return (.right, "names the \(what) \(expected)") }
        if base != name, answerWords.contains(where: { $0 != base && baseName($0) == base }) {
            return (.right, "names the \(what) \(base) with another random suffix")
        }
        if answerWords.contains(base) { return (.needsReview, "mentions \(base) but not clearly as the \(what) (\(expected))") }
        return (.needsReview, "the \(what) \(expected) is not named")
    }

    /// The text without the commands it quotes: code spans holding a space (`kubectl exec -it nginx-pod -- bash`)
    /// and `kubectl ...` to the end of its line. Single-word code spans (`falco-wmmt2`) are kept.
    static func withoutCommands(_ text: String) -> String {
        var out = ""
        var span: String?
        for character in text {
            if character == "`" {
                if let inside = span {
                    if !inside.contains(" ") { out += inside }
                    span = nil
                } else {
                    span = ""
                }
            } else if span != nil {
                span?.append(character)
            } else {
                out.append(character)
            }
        }
        if let inside = span { out += inside }
        return out.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard let range = line.range(of: "kubectl", options: .caseInsensitive) else { return String(line) }
            return String(line[..<range.lowerBound])
        }.joined(separator: "\n")
    }

    /// Marks the description: right when the answer names the rule, or gives most of the significant words of the
    /// rule's name, of its output message as `kubectl logs` prints it (the text before its fields), or of its `desc`;
    /// needs review otherwise.
    static func markDescription(_ text: String, rule: String, description: String, output: String) -> (Mark, String) {
        let answer = text.lowercased()
        if answer.contains(rule.lowercased()) { return (.right, "names the rule \"\(rule)\"") }
        let stop: Set<String> = ["a", "an", "the", "in", "of", "by", "to", "on", "and", "or", "for", "with", "is", "was", "be", "are", "e.g"]
        let answerWords = Set(words(text))
        func share(_ source: String) -> (present: Int, total: Int, words: [String]) {
            let sourceWords = words(source).filter { !stop.contains($0) && !$0.contains("=") }
            let present = sourceWords.filter { word in answerWords.contains(word) || answerWords.contains { $0.hasPrefix(String(word.prefix(5))) && word.count >= 5 } }
            return (present.count, sourceWords.count, sourceWords)
        }
        // The message before its fields: "Sensitive file opened for reading by non-trusted program (file=...".
        let message = String(output.split(whereSeparator: { $0 == "(" || $0 == "|" }).first ?? Substring(output))
        let candidates = [("rule \"\(rule)\"", share(rule)), ("the alert's message", share(message)), ("the rule's description", share(description))]
        if let (what, match) = candidates.first(where: { $0.1.total > 0 && Double($0.1.present) / Double($0.1.total) >= 0.6 }) {
            return (.right, "describes \(what) (\(match.present) of \(match.total) key words)")
        }
        let ruleShare = candidates[0].1
        return (.needsReview, "does not clearly name \"\(rule)\" or quote its message (\(ruleShare.present) of \(ruleShare.total) key words of the rule: \(ruleShare.words.joined(separator: ", ")))")
    }

    /// Marks the action: right when the process (or a synonym) and, when the alert is about a file,
    /// the file (or its base name) are named.
    static func markAction(_ text: String, process: String, file: String?, synonyms: [String: [String]]) -> (Mark, String) {
        let answerWords = Set(words(text))
        let processWords = [process.lowercased()] + (synonyms[process.lowercased()] ?? [])
        let namesProcess = processWords.contains(where: answerWords.contains)
        var namesFile = true
        if let file, !file.isEmpty {
            let fileBase = file.split(separator: "/").last.map { String($0).lowercased() } ?? file.lowercased()
            namesFile = answerWords.contains(file.lowercased()) || answerWords.contains(fileBase) || answerWords.contains { $0.hasSuffix("/" + fileBase) }
        }
        let what = file.map { "\(process) on \($0)" } ?? process
        if namesProcess && namesFile { return (.right, "names \(what)") }
        if namesProcess || namesFile { return (.needsReview, "names part of the action (\(what))") }
        return (.needsReview, "the action (\(what)) is not named")
    }
}

extension StringProtocol {
    func trimmingBlanks() -> String {
        String(self.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    func trimmingCharacters(in set: String) -> String {
        String(self.drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
