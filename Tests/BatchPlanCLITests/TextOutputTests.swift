import Foundation
import Testing

/// What text output shows people: columns under their headers, labels' values in one column, figures rounded to what
/// a reader can use, and no two numbers that contradict each other once rounded.
@Suite("batchplan text output, end to end")
struct TextOutputTests {
    /// The runs of non-space text in `line` as half-open column ranges, a single space kept inside a run.
    static func segments(_ line: Substring) -> [Range<Int>] {
        let characters = Array(line)
        var result: [Range<Int>] = []
        var index = 0
        while index < characters.count {
            guard characters[index] != " " else {
                index += 1
                continue
            }
            let start = index
            while index < characters.count,
                characters[index] != " " || (index + 1 < characters.count && characters[index + 1] != " ")
            {
                index += 1
            }
            result.append(start..<index)
        }
        return result
    }

    @Test("runs list puts every header, and every row's id, over its own column's rule")
    func runsListColumnsLineUp() throws {
        let result = try CLIRunner().run(["runs", "list"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        try #require(lines.count > 102, "the built-in runs have ids of one to three digits")
        let rules = Self.segments(lines[1])
        let headers = Self.segments(lines[0])
        #expect(headers.count == rules.count, "\(lines[0])")
        for (header, rule) in zip(headers, rules) {
            #expect(rule.contains(header.lowerBound) && rule.contains(header.upperBound - 1), "\(lines[0])\n\(lines[1])")
        }
        for row in [lines[2], lines[101]] {
            // ID is right-aligned: its last digit sits at the end of the first rule.
            #expect(Self.segments(row).first?.upperBound == rules.first?.upperBound, "\(row)\n\(lines[1])")
        }
    }
}
