import Foundation

/// A chart as a pure value that draws itself as one self-contained `<svg>` element: no scripts, no external fonts,
/// no references outside the element.
public protocol SVGChart: Sendable {
    /// Prefix for the element ids the chart defines (patterns, title), unique within one HTML page.
    var id: String { get }
    /// The chart's title, drawn on top and given to screen readers.
    var title: String { get }
    /// The chart as SVG markup.
    func svg() -> String
}

/// Small helpers every chart shares: numbers, text and the `<svg>` frame.
enum SVG {
    /// A coordinate with at most one decimal, never in exponent form: 12.0 → "12", 3.25 → "3.3" (rounded half-even by
    /// C's printf, which is deterministic for the same Double).
    static func n(_ value: Double) -> String {
        var text = String(format: "%.1f", value)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text == "-0" ? "0" : text
    }

    /// A text element whose content is escaped.
    static func text(
        _ content: String, x: Double, y: Double, anchor: String = "start", className: String? = nil, extra: String = ""
    ) -> String {
        let classAttribute = className.map { " class=\"\($0)\"" } ?? ""
        let extraAttributes = extra.isEmpty ? "" : " " + extra
        return "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor)\"\(classAttribute)\(extraAttributes)>"
            + Escaping.xml(content) + "</text>"
    }

    /// The rough width of a label in the chart's 12 px sans-serif font, for layout (0.6 em per character).
    static func textWidth(_ content: String, fontSize: Double = 12) -> Double {
        Double(content.count) * fontSize * 0.6
    }

    /// Shortens a label to at most `limit` characters with an ellipsis.
    static func truncated(_ content: String, to limit: Int) -> String {
        content.count <= limit ? content : String(content.prefix(limit - 1)) + "…"
    }

    /// Wraps a chart's body in the `<svg>` element with its title, description, style and pattern definitions.
    static func frame(id: String, title: String, description: String, width: Double, height: Double, body: [String])
        -> String
    {
        let titleID = "\(id)-title"
        let descID = "\(id)-desc"
        var lines = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(n(width)) \(n(height))\""
                + " width=\"\(n(width))\" height=\"\(n(height))\" role=\"img\" aria-labelledby=\"\(titleID) \(descID)\""
                + " font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif\""
                + " font-size=\"12\">",
            "<title id=\"\(titleID)\">\(Escaping.xml(title))</title>",
            "<desc id=\"\(descID)\">\(Escaping.xml(description))</desc>",
            "<style>" + style + "</style>",
            ChartPalette.patternDefinitions(prefix: id),
            "<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#ffffff\"/>",
            text(title, x: 16, y: 24, className: "chart-title"),
        ]
        lines += body
        lines.append("</svg>")
        return lines.joined(separator: "\n")
    }

    /// Styles scoped to the chart classes; plain selectors only, so the SVG stays valid XML.
    static let style =
        ".chart-title{font-size:15px;font-weight:600;fill:#1a1a1a}"
        + ".axis-title{font-size:12px;fill:#333333}"
        + ".tick{font-size:11px;fill:#444444}"
        + ".grid{stroke:#e3e3e3;stroke-width:1}"
        + ".axis{stroke:#555555;stroke-width:1}"
        + ".label{font-size:12px;fill:#1a1a1a}"
        + ".label-strong{font-size:12px;font-weight:600;fill:#1a1a1a}"
        + ".value{font-size:11px;fill:#1a1a1a}"
        + ".note{font-size:11px;fill:#444444}"
        + ".legend{font-size:12px;fill:#1a1a1a}"
        + ".segment-label{font-size:11px;font-weight:600;fill:#1a1a1a;stroke:#ffffff;stroke-width:3px;"
        + "stroke-linejoin:round;paint-order:stroke}"
}
