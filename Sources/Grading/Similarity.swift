import TraceModel

/// What two submissions are compared by, for the class summary's list of look-alike pairs (for a person to look
/// at; never a deduction): the conditions of the submission's own rules, normalised (parsed, macros and lists
/// inlined, printed back as libsinsp prints an AST, so names, whitespace and layout do not matter), and its written
/// answers as hashed five-word shingles (FNV-1a of the lower-cased words).
public struct SimilaritySignature: Sendable, Equatable {
    public var rules: [String]
    public var answers: [UInt64]

    public init(rules: [String], answers: [UInt64]) {
        self.rules = rules
        self.answers = answers
    }

    /// The signature of conditions and answer texts.
    public init(conditions: [String], answerTexts: [String]) {
        rules = Array(Set(conditions)).sorted()
        var shingles: Set<UInt64> = []
        for text in answerTexts {
            let words = WrittenAnswers.words(text)
            guard words.count >= 5 else { continue }
            for start in 0...(words.count - 5) { shingles.insert(Self.fnv1a(words[start..<(start + 5)].joined(separator: " "))) }
        }
        answers = shingles.sorted()
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }
}

/// Pairs of submissions that look alike. What many submissions share (the rule the lab gives, the question's own
/// words) is not evidence: a condition or shingle found in more than a quarter of the class (and in more than two
/// submissions) is left out before comparing.
public enum Similarity {
    public struct Pair: Sendable, Equatable {
        public var first: String
        public var second: String
        /// Shared distinctive rule conditions, and the Jaccard index of the distinctive ones.
        public var sharedRules: Int
        public var rules: Double
        /// Shared distinctive answer shingles, and their Jaccard index.
        public var sharedShingles: Int
        public var answers: Double
    }

    /// Pairs whose distinctive rules are at least 80% alike (one condition or more shared), or whose distinctive
    /// answers are at least 50% alike (twenty shingles or more shared); most alike first.
    public static func pairs(_ signatures: [(submission: String, signature: SimilaritySignature)]) -> [Pair] {
        let common = max(2, signatures.count / 4)
        var ruleCounts: [String: Int] = [:], shingleCounts: [UInt64: Int] = [:]
        for (_, signature) in signatures {
            for rule in signature.rules { ruleCounts[rule, default: 0] += 1 }
            for shingle in signature.answers { shingleCounts[shingle, default: 0] += 1 }
        }
        let distinctive = signatures.map { entry in
            (entry.submission, Set(entry.signature.rules.filter { (ruleCounts[$0] ?? 0) <= common }),
             Set(entry.signature.answers.filter { (shingleCounts[$0] ?? 0) <= common }))
        }
        func jaccard<T>(_ a: Set<T>, _ b: Set<T>) -> (shared: Int, index: Double) {
            let shared = a.intersection(b).count
            let union = a.count + b.count - shared
            return (shared, union == 0 ? 0 : Double(shared) / Double(union))
        }
        var out: [Pair] = []
        for i in distinctive.indices {
            for j in distinctive.indices where j > i {
                let rules = jaccard(distinctive[i].1, distinctive[j].1), answers = jaccard(distinctive[i].2, distinctive[j].2)
                guard (rules.shared >= 1 && rules.index >= 0.8) || (answers.shared >= 20 && answers.index >= 0.5) else { continue }
                let (first, second) = distinctive[i].0 < distinctive[j].0 ? (distinctive[i].0, distinctive[j].0) : (distinctive[j].0, distinctive[i].0)
                out.append(Pair(first: first, second: second, sharedRules: rules.shared, rules: rules.index, sharedShingles: answers.shared, answers: answers.index))
            }
        }
        return out.sorted { (max($1.rules, $1.answers), $0.first, $0.second) < (max($0.rules, $0.answers), $1.first, $1.second) }
    }
}
