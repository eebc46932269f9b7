extension StringProtocol {
    /// The text without leading and trailing spaces and tabs: what Foundation's
    /// `trimmingCharacters(in: .whitespaces)` gives, worked on the string's scalars without Foundation's bridging,
    /// which was most of rendering a table on Linux.
    ///
    /// The set is CoreFoundation's whitespace set: the tab, the Unicode space separators (Zs) and U+200B ZERO WIDTH
    /// SPACE, which Unicode once counted among them (read off `CharacterSet.whitespaces` over every scalar).
    public func trimmingSpaces() -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x09, 0x20, 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: true
            default: false
            }
        }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSpace($0) })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
