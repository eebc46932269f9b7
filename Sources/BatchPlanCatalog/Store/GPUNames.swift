import BatchPlanCore

/// How GPU names are matched: case, spaces and punctuation never matter, and vendor words are optional.
enum GPUNames {
    /// Lowercase letters and digits only: "GeForce RTX 3090" → "geforcertx3090".
    static func key(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") }
            .map(Character.init))
    }

    private static let vendorWords = ["nvidia", "geforce", "tesla", "quadro", "amd", "radeon", "instinct", "apple"]

    /// The key with leading vendor words removed: "NVIDIA GeForce RTX 3090" → "rtx3090".
    static func shortKey(_ name: String) -> String {
        var words = name.lowercased().split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "_" }).map(String.init)
        while let first = words.first, vendorWords.contains(first), words.count > 1 { words.removeFirst() }
        return key(words.joined())
    }

    /// Every key a GPU answers to: its name, its aliases, and both without vendor words.
    static func keys(name: String, aliases: [String]) -> Set<String> {
        Set(([name] + aliases).flatMap { [key($0), shortKey($0)] }.filter { !$0.isEmpty })
    }

    /// Levenshtein distance, for "did you mean" suggestions.
    static func distance(_ a: String, _ b: String) -> Int { NameSuggestion.distance(a, b) }
}
