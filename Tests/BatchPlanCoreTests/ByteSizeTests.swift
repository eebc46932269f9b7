import BatchPlanCore
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
}
