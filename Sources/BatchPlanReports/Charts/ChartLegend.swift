/// A legend entry: a name and the series (color, hatch, dash, marker) it stands for.
public struct LegendEntry: Hashable, Sendable {
    public var name: String
    public var series: Int

    public init(name: String, series: Int) {
        self.name = name
        self.series = series
    }
}

/// Legends shared by the charts: entries flow left to right and wrap.
enum LegendDrawing {
    /// Color-and-hatch swatches with their names; returns the markup and the height it takes.
    static func swatches(prefix: String, entries: [LegendEntry], left: Double, top: Double, width: Double)
        -> (markup: [String], height: Double)
    {
        flow(entries: entries, left: left, top: top, width: width, keyWidth: 14) { series, x, y in
            ChartPalette.swatch(prefix: prefix, index: series, x: x, y: y - 10, width: 14, height: 14)
        }
    }

    /// Line samples (color, dash and marker) with their names; returns the markup and the height it takes.
    static func lines(entries: [LegendEntry], left: Double, top: Double, width: Double) -> (markup: [String], height: Double) {
        flow(entries: entries, left: left, top: top, width: width, keyWidth: 30) { series, x, y in
            let dash = ChartPalette.dash(series)
            let dashAttribute = dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\""
            return "<line x1=\"\(SVG.n(x))\" y1=\"\(SVG.n(y - 4))\" x2=\"\(SVG.n(x + 30))\" y2=\"\(SVG.n(y - 4))\""
                + " stroke=\"\(ChartPalette.color(series))\" stroke-width=\"2.5\"\(dashAttribute)/>"
                + ChartPalette.marker(series, x: x + 15, y: y - 4, size: 3.5)
        }
    }

    private static func flow(
        entries: [LegendEntry], left: Double, top: Double, width: Double, keyWidth: Double,
        key: (Int, Double, Double) -> String
    ) -> (markup: [String], height: Double) {
        guard !entries.isEmpty else { return ([], 0) }
        var markup: [String] = []
        var x = left
        var y = top
        for entry in entries {
            let entryWidth = keyWidth + 6 + SVG.textWidth(entry.name) + 18
            if x > left, x + entryWidth > left + width {
                x = left
                y += 20
            }
            markup.append(key(entry.series, x, y))
            markup.append(SVG.text(entry.name, x: x + keyWidth + 6, y: y, className: "legend"))
            x += entryWidth
        }
        return (markup, y - top + 20)
    }
}
