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
}
