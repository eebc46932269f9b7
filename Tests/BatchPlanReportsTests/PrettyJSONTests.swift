import Foundation
import Testing

@testable import BatchPlanReports

@Suite("PrettyJSON writes what JSONSerialization writes")
struct PrettyJSONTests {
    static func foundation(_ object: [String: Any]) throws -> String {
        String(
            decoding: try JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]),
            as: UTF8.self)
    }

    static func pretty(_ object: [String: Any]) throws -> String {
        String(decoding: try PrettyJSON.data(object), as: UTF8.self)
    }

    /// Keys whose Foundation order differs from code-unit order: case, digit runs, punctuation.
    static let trickyKeys = [
        "a", "A2", "a9", "a10", "a10b", "a2b", "a_b", "a-b", "a.b", "a/b", "a b", "aB", "ab", "Ab", "_a", "y", "Y",
        "p90_relative_error", "p50", "H100 SXM / resnet50", "H100 SXM / resnet101", "é", "z", "",
    ]

    @Test("tricky keys, every escape, numbers and nesting: identical bytes")
    func trickyDocument() throws {
        var control = ""
        for code in 0..<0x20 { control.unicodeScalars.append(Unicode.Scalar(UInt8(code))) }
        let document: [String: Any] = [
            "strings": ["q\"/\\", control + "\u{7f}é😀\u{2028}", ""],
            "numbers": [0, -3, Int.max, 0.1, 1.0 / 3, 1e-7, 1e20, 1.5e300, -0.0, 100.0, 3e15, 1758888.01, 5e-5] as [Any],
            "others": [true, false, NSNull(), Optional<Int>.none as Any, Optional<Double>.some(2.5) as Any] as [Any],
            "empty": ["dictionary": [String: Any](), "array": [Any]()] as [String: Any],
            "keys": Dictionary(uniqueKeysWithValues: Self.trickyKeys.enumerated().map { ($1, $0) }),
            "nested": [["k": ["deeper": [1, [2, ["x": "y"]]]]]] as [Any],
        ]
        #expect(try Self.pretty(document) == Self.foundation(document))
    }

    @Test("random documents: identical bytes")
    func randomDocuments() throws {
        var generator = SplitMix(seed: 7)
        for _ in 0..<200 {
            let document = Self.randomDictionary(depth: 0, &generator)
            #expect(try Self.pretty(document) == Self.foundation(document))
        }
    }

    @Test("the same key set in many dictionaries keeps Foundation's order each time")
    func repeatedKeySets() throws {
        let rows: [Any] = (0..<50).map { index in
            Dictionary(uniqueKeysWithValues: Self.trickyKeys.shuffled().map { ($0, index) }) as [String: Any]
        }
        let document: [String: Any] = ["rows": rows]
        #expect(try Self.pretty(document) == Self.foundation(document))
    }

    @Test("a value it does not know is refused, not guessed")
    func unknownValue() {
        #expect(throws: PrettyJSON.Unsupported.self) { try PrettyJSON.data(["date": Date()]) }
        #expect(throws: PrettyJSON.Unsupported.self) { try PrettyJSON.data(["nan": Double.nan]) }
    }

    static func randomDictionary(depth: Int, _ g: inout SplitMix) -> [String: Any] {
        var result: [String: Any] = [:]
        for _ in 0..<Int(g.next() % 6) {
            result[trickyKeys[Int(g.next() % UInt64(trickyKeys.count))] + String(g.next() % 3)] = randomValue(depth: depth + 1, &g)
        }
        return result
    }

    static func randomValue(depth: Int, _ g: inout SplitMix) -> Any {
        switch g.next() % (depth > 3 ? 5 : 7) {
        case 0: return Int(truncatingIfNeeded: g.next()) >> Int(g.next() % 60)
        case 1: return Double(bitPattern: g.next() & 0x7FEF_FFFF_FFFF_FFFF) * (g.next() % 2 == 0 ? 1 : -1)
        case 2: return Double(Int(g.next() % 100_000)) / 100
        case 3: return String(decoding: (0..<Int(g.next() % 8)).map { _ in UInt8(g.next() % 0x7F) }, as: UTF8.self)
        case 4: return g.next() % 2 == 0
        case 5: return (0..<Int(g.next() % 4)).map { _ in randomValue(depth: depth + 1, &g) }
        default: return randomDictionary(depth: depth, &g)
        }
    }
}

/// A small deterministic generator (SplitMix64), so a failure reproduces.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
