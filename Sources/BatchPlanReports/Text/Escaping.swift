/// Escaping for each output language, so a model named `<script>` or `a|b` shows as text everywhere.
public enum Escaping {
    /// Escapes text for XML and HTML content and attribute values: `&`, `<`, `>`, `"`, `'`.
    ///
    /// Control characters other than tab, newline and carriage return are not allowed in XML 1.0; they become U+FFFD.
    public static func xml(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0xFFFE...0xFFFF).contains(scalar.value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Escapes text for GitHub-flavoured Markdown, inline and inside table cells.
    ///
    /// Markdown punctuation gets a backslash; `<`, `>` and `&` become entities so no raw HTML reaches the page;
    /// newlines become spaces so a cell stays one row.
    public static func markdown(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\n", "\r", "\r\n": out += " "
            case "\\", "`", "*", "_", "[", "]", "|", "#", "~", "!":
                out += "\\\(character)"
            default: out.append(character)
            }
        }
        return out
    }

    /// Quotes one CSV field per RFC 4180: fields holding a comma, quote, CR or LF are quoted and quotes doubled.
    public static func csv(_ field: String) -> String {
        let needsQuotes = field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard needsQuotes else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
