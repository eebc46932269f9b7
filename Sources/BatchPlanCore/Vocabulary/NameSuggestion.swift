/// "Did you mean …?" for names users type: GPU names, enum values, optimizer aliases.
///
/// One place for the edit distance so that every "unknown X" error suggests the same way.
public enum NameSuggestion {
    /// Levenshtein distance between `a` and `b` (insertions, deletions and substitutions cost 1).
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The candidates closest to `typed` (case-insensitive), best first: those within a third of the typed
    /// length (at least 2 edits), or that start with or contain what was typed. At most `limit`.
    ///
    /// Each name is suggested once: candidate lists join several vocabularies (an optimizer's own name and the same
    /// name as a Hugging Face `optim` value), so a name that appears twice, in any letter case, keeps its first spelling.
    public static func closest(to typed: String, among candidates: [String], limit: Int = 3) -> [String] {
        let lowered = typed.lowercased()
        guard !lowered.isEmpty else { return [] }
        let budget = max(2, lowered.count / 3)
        var seen: Set<String> = []
        let distinct = candidates.filter { seen.insert($0.lowercased()).inserted }
        let scored = distinct.compactMap { candidate -> (String, Int)? in
            let key = candidate.lowercased()
            let edits = distance(lowered, key)
            if edits <= budget { return (candidate, edits) }
            if key.hasPrefix(lowered) || (lowered.count >= 3 && key.contains(lowered)) { return (candidate, budget + 1) }
            return nil
        }
        return scored.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.prefix(limit).map(\.0)
    }

    /// `did you mean "a" or "b"?`, or `nil` when nothing is close.
    public static func didYouMean(_ typed: String, among candidates: [String]) -> String? {
        let close = closest(to: typed, among: candidates)
        guard !close.isEmpty else { return nil }
        return "did you mean " + close.map { "\"\($0)\"" }.joined(separator: " or ") + "?"
    }
}
