/// Horizontal bars, one per row, labelled on the left and with their value written at the bar's end.
///
/// Used for the largest batch per card × combination. Each bar carries its series' color and hatch, and the value
/// label says the number, so color is never the only cue.
public struct HorizontalBarChart: SVGChart {
    /// One bar.
    public struct Bar: Hashable, Sendable {
        /// Row label on the left, e.g. "ViT-B/16 · bf16-amp + adamw".
        public var label: String
        /// Bar length in axis units (0 draws no bar).
        public var value: Double
        /// Text at the bar's end, e.g. "256" or "does not fit".
        public var valueLabel: String
        /// Which legend entry (color and hatch) the bar belongs to.
        public var series: Int
        /// Whether to draw the label in bold and mark it as chosen.
        public var emphasized: Bool

        public init(label: String, value: Double, valueLabel: String, series: Int, emphasized: Bool = false) {
            self.label = label
            self.value = value
            self.valueLabel = valueLabel
            self.series = series
            self.emphasized = emphasized
        }
    }

    public var id: String
    public var title: String
    public var bars: [Bar]
    /// Legend entries in series order.
    public var legend: [String]
    /// The value axis title with its unit, e.g. "largest batch that fits (samples)".
    public var axisTitle: String
    public var unit: AxisUnit
    public var width: Double

    public init(
        id: String, title: String, bars: [Bar], legend: [String], axisTitle: String, unit: AxisUnit = .count,
        width: Double = 760
    ) {
        self.id = id
        self.title = title
        self.bars = bars
        self.legend = legend
        self.axisTitle = axisTitle
        self.unit = unit
        self.width = width
    }

    static let barHeight = 18.0
    static let rowGap = 8.0

    public func svg() -> String {
        let labels = bars.map { ($0.emphasized ? "★ " : "") + SVG.truncated($0.label, to: 44) }
        let labelWidth = min(max(labels.map { SVG.textWidth($0) }.max() ?? 80, 80), 300)
        let plotLeft = 16 + labelWidth + 10
        let valueRoom = max(bars.map { SVG.textWidth($0.valueLabel, fontSize: 11) }.max() ?? 0, 20) + 12
        let plotRight = width - 16 - valueRoom
        let plotTop = 44.0
        let plotBottom = plotTop + Double(bars.count) * (Self.barHeight + Self.rowGap) + Self.rowGap
        let ticks = NiceTicks(maximum: bars.map(\.value).max() ?? 1, unit: unit)
        let scale = LinearScale(domainUpper: ticks.upper, rangeStart: plotLeft, rangeEnd: plotRight)

        var body = AxisDrawing.bottom(ticks: ticks, scale: scale, top: plotTop, bottom: plotBottom, title: axisTitle)
        for (row, bar) in bars.enumerated() {
            let y = plotTop + Self.rowGap + Double(row) * (Self.barHeight + Self.rowGap)
            let middle = y + Self.barHeight / 2 + 4
            body.append(
                SVG.text(labels[row], x: plotLeft - 10, y: middle, anchor: "end",
                    className: bar.emphasized ? "label-strong" : "label"))
            let end = scale(bar.value)
            if bar.value > 0 {
                body.append(
                    ChartPalette.swatch(
                        prefix: id, index: bar.series, x: plotLeft, y: y, width: end - plotLeft, height: Self.barHeight,
                        title: "\(bar.label): \(bar.valueLabel)"))
            }
            body.append(SVG.text(bar.valueLabel, x: end + 6, y: middle, className: "value"))
        }
        let legendTop = plotBottom + 50
        let legendLines = LegendDrawing.swatches(prefix: id, entries: legend, left: 16, top: legendTop, width: width - 32)
        body += legendLines.markup
        let height = legendTop + legendLines.height + 12
        let description = bars.map { "\($0.label): \($0.valueLabel)" }.joined(separator: "; ")
        return SVG.frame(id: id, title: title, description: description, width: width, height: height, body: body)
    }
}

/// Legends shared by the charts: entries flow left to right and wrap.
enum LegendDrawing {
    /// Color-and-hatch swatches with their names; returns the markup and the height it takes.
    static func swatches(prefix: String, entries: [String], left: Double, top: Double, width: Double)
        -> (markup: [String], height: Double)
    {
        flow(entries: entries, left: left, top: top, width: width, keyWidth: 14) { index, x, y in
            ChartPalette.swatch(prefix: prefix, index: index, x: x, y: y - 10, width: 14, height: 14)
        }
    }

    /// Line samples (color, dash and marker) with their names; returns the markup and the height it takes.
    static func lines(entries: [String], left: Double, top: Double, width: Double) -> (markup: [String], height: Double) {
        flow(entries: entries, left: left, top: top, width: width, keyWidth: 30) { index, x, y in
            let dash = ChartPalette.dash(index)
            let dashAttribute = dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\""
            return "<line x1=\"\(SVG.n(x))\" y1=\"\(SVG.n(y - 4))\" x2=\"\(SVG.n(x + 30))\" y2=\"\(SVG.n(y - 4))\""
                + " stroke=\"\(ChartPalette.color(index))\" stroke-width=\"2.5\"\(dashAttribute)/>"
                + ChartPalette.marker(index, x: x + 15, y: y - 4, size: 3.5)
        }
    }

    private static func flow(
        entries: [String], left: Double, top: Double, width: Double, keyWidth: Double,
        key: (Int, Double, Double) -> String
    ) -> (markup: [String], height: Double) {
        guard !entries.isEmpty else { return ([], 0) }
        var markup: [String] = []
        var x = left
        var y = top
        for (index, entry) in entries.enumerated() {
            let entryWidth = keyWidth + 6 + SVG.textWidth(entry) + 18
            if x > left, x + entryWidth > left + width {
                x = left
                y += 20
            }
            markup.append(key(index, x, y))
            markup.append(SVG.text(entry, x: x + keyWidth + 6, y: y, className: "legend"))
            x += entryWidth
        }
        return (markup, y - top + 20)
    }
}
