@testable import BatchPlanCore
import Foundation
import Testing

@Suite("Memory sizes")
struct ByteSizeTests {
    static let examples: [(String, Int)] = [
        ("12GB", 12_884_901_888), ("12 GiB", 12_884_901_888), ("12288MiB", 12_884_901_888), ("11.5G", 12_348_030_976),
        ("1024", 1024), ("512 MB", 536_870_912), ("2tb", 2_199_023_255_552), ("0.5 GiB", 536_870_912),
        ("80gb", 85_899_345_920),
    ]

    @Test("sizes parse in binary units as card vendors mean them", arguments: examples)
    func parses(text: String, bytes: Int) throws {
        #expect(try ByteSize.parse(text) == bytes)
    }

    @Test("malformed sizes are rejected with a message that shows a valid example", arguments: [
        "12XB", "-3GB", "1e400GB", "", "  ", "GB", "12..5GB", "nan GB", "inf", "1.2.3G", "99999999999TB",
    ])
    func rejects(text: String) {
        do {
            _ = try ByteSize.parse(text)
            Issue.record("\"\(text)\" should not parse")
        } catch {
            #expect(error.description.contains("12GB"))
        }
    }

    @Test("parsing what format prints gives back the size within rounding")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let bytes = Int.random(in: 1024...(1 << 44), using: &generator)
            let text = ByteSize.format(bytes)
            let parsed = try ByteSize.parse(text)
            #expect(abs(Double(parsed - bytes)) / Double(bytes) < 0.05, "\(bytes) → \(text) → \(parsed)")
        }
    }

    @Test("the number check accepts exactly what the regular expression it replaced accepted", arguments: [
        "12", "11.5", ".5", "+3", "+.5", "0", "007", "1.", ".", "+", "", "1.2.3", "12..5", "-3", "1e3", "+-1", "1+",
        "١٢", "½", "1.5.", "++1", "3.14159",
    ])
    func plainDecimal(text: String) {
        let expression = #"^\+?[0-9]+(\.[0-9]+)?$|^\+?\.[0-9]+$"#
        #expect(ByteSize.isPlainDecimal(text) == (text.range(of: expression, options: .regularExpression) != nil))
    }

    @Test("sizes print as Foundation's %.1f formatting printed them, at unit and rounding boundaries too")
    func formatsAsBefore() {
        func foundation(_ bytes: Int) -> String {
            let magnitude = Double(bytes.magnitude)
            let sign = bytes < 0 ? "-" : ""
            for (name, size) in [("TiB", 1_099_511_627_776.0), ("GiB", 1_073_741_824.0), ("MiB", 1_048_576.0), ("KiB", 1024.0)]
            where magnitude >= size {
                return sign + String(format: "%.1f %@", magnitude / size, name)
            }
            return "\(bytes) B"
        }
        var generator = SystemRandomNumberGenerator()
        var samples: [Int] = [0, 1, 1023, 1024, -1024, 1025, 1075, 1126, 1127, 1_048_575, 1_048_576, 1_153_433, 1_205_862,
                       (1 << 30) - 1, 1 << 30, (1 << 30) + (1 << 30) / 20, (1 << 40) * 3 / 2, (1 << 53) - 1, 1 << 53, Int.max, Int.min + 1]
        for shift in [10, 20, 30, 40] {
            // Just below, at and above where the first decimal turns over (x.x5 of the unit).
            for k in stride(from: 1, through: 99, by: 2) {
                let turn = (1 << shift) * k / 20
                samples += [turn - 1, turn, turn + 1, (1 << shift) + turn]
            }
        }
        for _ in 0..<2000 { samples.append(Int.random(in: -(1 << 45)...(1 << 45), using: &generator)) }
        for bytes in samples {
            #expect(ByteSize.format(bytes) == foundation(bytes), "\(bytes)")
        }
    }

    static let gib = 1 << 30
    static let mib = 1 << 20
    static let comparedExamples: [(Int, Int, String, String)] = [
        (12 * gib + 30 * mib, 12 * gib, "12.03 GiB", "12.00 GiB"),
        (gib + 12 * mib, gib, "1.01 GiB", "1.00 GiB"),
        (35 * gib + 300 * mib, 12 * gib, "35.3 GiB", "12.0 GiB"),
        (12 * gib, 12 * gib, "12.0 GiB", "12.0 GiB"),
        (12 * gib + 1, 12 * gib, "12.000 GiB", "12.000 GiB"),
    ]

    @Test("two sizes compared get the decimals that tell them apart, and no more", arguments: comparedExamples)
    func comparedSizes(example: (Int, Int, String, String)) {
        let (a, b, textA, textB) = example
        let (formattedA, formattedB) = ByteSize.format(a, against: b)
        #expect(formattedA == textA && formattedB == textB)
    }
}
