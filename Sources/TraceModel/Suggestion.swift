/// "Did you mean" for a word that is not one of the known ones: the closest known word by edit distance
/// (insertions, deletions, substitutions and swaps of neighbours, case ignored), when it is close enough to be a
/// likely typo: at most a third of the word's length, and at least one edit (`action` → `actions`).
public enum Suggestion {
    /// The known word the misspelt one most likely meant, or nil. Ties go to a word that starts with the misspelt
    /// one or that it starts with (`fd.nam` → `fd.name`, not `fd.num`), then to the first in `candidates`.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let target = Array(word.lowercased().utf8)
        guard !target.isEmpty, target.count <= 256 else { return nil }
        let allowed = max(1, target.count / 3)
        var best: (word: String, rank: Int)?
        for candidate in candidates {
            let known = Array(candidate.lowercased().utf8)
            guard known != target, known.count <= 256, abs(known.count - target.count) <= allowed else { continue }
            let distance = editDistance(target, known)
            guard distance <= allowed else { continue }
            let extends = known.starts(with: target) || target.starts(with: known)
            let rank = distance * 2 + (extends ? 0 : 1)
            if rank < (best?.rank ?? .max) { best = (candidate, rank) }
        }
        return best?.word
    }

    /// " (did you mean 'x'?)" or "".
    public static func hint(for word: String, among candidates: [String]) -> String {
        closest(to: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Optimal string alignment distance (Damerau–Levenshtein without repeated edits of a substring).
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { value = min(value, previous2[j - 2] + 1) }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
