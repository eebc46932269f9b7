import BatchPlanCore
import Foundation
import Testing

@Suite("Number formatting")
struct NumberFormatTests {
    static let formats = ["%.1f", "%.2f", "%.0f", "%.3f", "%g%%", "%.1fM", "%.0f min", "%.2f ms", "×%.3f"]

    @Test("numbers print as Foundation's String(format:) printed them", arguments: formats)
    func formatsAsFoundation(format: String) {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 0.05, 0.15, 0.25, 0.35, 1.05, 2.5, 99.95, 999.5, 1e15, -3.75, .nan, .infinity,
                                -.infinity, 1e300, .ulpOfOne, 12.345, 1_410.2]
        for _ in 0..<500 { values.append(Double.random(in: -1e7...1e7, using: &generator)) }
        for _ in 0..<500 { values.append(Double.random(in: 0...1, using: &generator)) }
        for value in values {
            #expect(NumberFormat.string(format, value) == String(format: format, value), "\(format) of \(value)")
        }
    }

    @Test("a text longer than the first buffer comes out whole")
    func longText() {
        let text = NumberFormat.string("%.2f", 1e300)
        #expect(text.count == 304)
        #expect(text == String(format: "%.2f", 1e300))
    }
}
