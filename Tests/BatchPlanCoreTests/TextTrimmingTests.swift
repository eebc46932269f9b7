import BatchPlanCore
import Foundation
import Testing

@Suite("Text trimming")
struct TextTrimmingTests {
    @Test("spaces and tabs are trimmed as Foundation's whitespace set trims them",
          arguments: ["", " ", "  a  ", "\ta b\t", "a", "resnet50   191  ", "\u{00A0}x\u{2003}", "x\n", "\ny ", " é ",
                      "\u{3000}全角\u{3000}", "a\u{200B}", "  \u{0301}x"])
    func trimsAsFoundation(text: String) {
        #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
    }

    @Test("every scalar of the basic plane counts as a space exactly when Foundation's whitespace set holds it")
    func sameSetAsFoundation() {
        var differing: [String] = []
        for value in 0..<0x1_0000 {  // the basic plane: the set holds nothing beyond U+3000
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = "x" + String(Character(scalar))
            let trimmed = text.trimmingSpaces() == "x"
            if trimmed != CharacterSet.whitespaces.contains(scalar) { differing.append(String(value, radix: 16)) }
        }
        #expect(differing.isEmpty, "\(differing.prefix(10))")
    }
}
