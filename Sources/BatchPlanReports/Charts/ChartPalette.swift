/// Colors, hatch patterns, dashes and marker shapes that tell series apart without relying on color alone.
///
/// Colors are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design", https://jfly.uni-koeln.de/color/),
/// which stays distinguishable under the common color-vision deficiencies. The order puts the darker colors first
/// because thin lines and small markers in light yellow or sky blue are hard to see on white.
enum ChartPalette {
    /// Okabe–Ito: blue, vermillion, bluish green, reddish purple, orange, sky blue, black, yellow.
    static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    /// The color of series `index`, cycling.
    static func color(_ index: Int) -> String { colors[index % colors.count] }

    /// Stroke dash patterns for line series, paired with the colors so a grey print still tells lines apart.
    static let dashes = ["", "7 4", "2 3", "9 3 2 3", "4 4", "12 4", "1 2", "6 2 2 2"]

    static func dash(_ index: Int) -> String { dashes[index % dashes.count] }

    /// Number of hatch patterns `patternDefinitions` defines.
    static let patternCount = 6

    /// The fill reference of hatch pattern `index` (pattern 0 is plain: no hatch).
    static func patternFill(prefix: String, _ index: Int) -> String? {
        let slot = index % patternCount
        return slot == 0 ? nil : "url(#\(prefix)-p\(slot))"
    }

    /// `<defs>` with the hatch patterns: semi-transparent dark strokes drawn over a segment's color.
    static func patternDefinitions(prefix: String) -> String {
        let stroke = "stroke=\"#000000\" stroke-opacity=\"0.35\""
        let bodies = [
            // 1: diagonal lines
            "<path d=\"M0,8 L8,0\" \(stroke) stroke-width=\"1.5\"/>",
            // 2: dots
            "<circle cx=\"4\" cy=\"4\" r=\"1.4\" fill=\"#000000\" fill-opacity=\"0.45\"/>",
            // 3: horizontal lines
            "<path d=\"M0,4 L8,4\" \(stroke) stroke-width=\"1.5\"/>",
            // 4: cross-hatch
            "<path d=\"M0,8 L8,0 M0,0 L8,8\" \(stroke) stroke-width=\"1\"/>",
            // 5: vertical lines
            "<path d=\"M4,0 L4,8\" \(stroke) stroke-width=\"1.5\"/>",
        ]
        var defs = "<defs>"
        for (offset, body) in bodies.enumerated() {
            defs += "<pattern id=\"\(prefix)-p\(offset + 1)\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\">"
                + body + "</pattern>"
        }
        return defs + "</defs>"
    }

    /// A filled rectangle in series `index`'s color with its hatch on top.
    static func swatch(prefix: String, index: Int, x: Double, y: Double, width: Double, height: Double, title: String? = nil)
        -> String
    {
        let geometry = "x=\"\(SVG.n(x))\" y=\"\(SVG.n(y))\" width=\"\(SVG.n(width))\" height=\"\(SVG.n(height))\""
        let tooltip = title.map { "<title>\(Escaping.xml($0))</title>" } ?? ""
        var out = "<g><rect \(geometry) fill=\"\(color(index))\" stroke=\"#ffffff\" stroke-width=\"1\"/>"
        if let pattern = patternFill(prefix: prefix, index) {
            out += "<rect \(geometry) fill=\"\(pattern)\"/>"
        }
        return out + tooltip + "</g>"
    }

    /// Marker shape `index` (circle, square, triangle, diamond) centred at (x, y), filled in the series color.
    static func marker(_ index: Int, x: Double, y: Double, size: Double = 4.5) -> String {
        let fill = "fill=\"\(color(index))\" stroke=\"#ffffff\" stroke-width=\"1\""
        let (cx, cy, s) = (x, y, size)
        switch index % 4 {
        case 0:
            return "<circle cx=\"\(SVG.n(cx))\" cy=\"\(SVG.n(cy))\" r=\"\(SVG.n(s))\" \(fill)/>"
        case 1:
            return "<rect x=\"\(SVG.n(cx - s))\" y=\"\(SVG.n(cy - s))\" width=\"\(SVG.n(2 * s))\" height=\"\(SVG.n(2 * s))\" \(fill)/>"
        case 2:
            return "<path d=\"M\(SVG.n(cx)),\(SVG.n(cy - s * 1.2)) L\(SVG.n(cx + s * 1.1)),\(SVG.n(cy + s * 0.9)) L\(SVG.n(cx - s * 1.1)),\(SVG.n(cy + s * 0.9)) Z\" \(fill)/>"
        default:
            return "<path d=\"M\(SVG.n(cx)),\(SVG.n(cy - s * 1.3)) L\(SVG.n(cx + s * 1.3)),\(SVG.n(cy)) L\(SVG.n(cx)),\(SVG.n(cy + s * 1.3)) L\(SVG.n(cx - s * 1.3)),\(SVG.n(cy)) Z\" \(fill)/>"
        }
    }
}
