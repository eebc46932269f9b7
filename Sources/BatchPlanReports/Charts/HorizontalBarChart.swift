/// Horizontal bars in groups, each group with its own value axis, labelled on the left with values at the bars' ends.
///
/// Used for the largest batch per card × combination, one group per model: batch sizes of different models differ by
/// orders of magnitude, so each gets its own scale (small multiples) instead of one axis that flattens the small ones.
/// Each bar carries its series' color and hatch, and the value label says the number, so color is never the only cue.
public struct HorizontalBarChart: SVGChart {
    /// One bar.
    public struct Bar: Hashable, Sendable {
        /// Row label on the left, e.g. "bf16-amp + adamw".
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

    /// Bars that share one value axis, under a heading.
    public struct Group: Hashable, Sendable {
        public var heading: String
        public var bars: [Bar]

        public init(heading: String, bars: [Bar]) {
            self.heading = heading
            self.bars = bars
        }
    }

    public var id: String
    public var title: String
    public var groups: [Group]
    /// Legend entries in series order.
    public var legend: [LegendEntry]
    /// The value axis title with its unit, e.g. "largest batch that fits (samples)".
    public var axisTitle: String
    public var unit: AxisUnit
    public var width: Double

    public init(
        id: String, title: String, groups: [Group], legend: [LegendEntry], axisTitle: String, unit: AxisUnit = .count,
        width: Double = 880
    ) {
        self.id = id
        self.title = title
        self.groups = groups
        self.legend = legend
        self.axisTitle = axisTitle
        self.unit = unit
        self.width = width
    }

    /// Every bar, group after group.
    public var bars: [Bar] { groups.flatMap(\.bars) }

    static let barHeight = 18.0
    static let rowGap = 8.0

    public func svg() -> String {
        func label(_ bar: Bar) -> String { (bar.emphasized ? "★ " : "") + SVG.truncated(bar.label, to: 44) }
        let labelWidth = min(max(bars.map { SVG.textWidth(label($0)) }.max() ?? 80, 80), 300)
        let plotLeft = 16 + labelWidth + 10
        let valueRoom = max(bars.map { SVG.textWidth($0.valueLabel, fontSize: 11) }.max() ?? 0, 20) + 12
        let plotRight = width - 16 - valueRoom
        var body: [String] = []
        var top = 44.0
        for group in groups {
            body.append(SVG.text(group.heading, x: 16, y: top + 14, className: "label-strong"))
            let plotTop = top + 22
            let plotBottom = plotTop + Double(group.bars.count) * (Self.barHeight + Self.rowGap) + Self.rowGap
            let largest = group.bars.map(\.value).max() ?? 0
            let ticks = NiceTicks(maximum: largest, unit: unit, target: 5)
            let scale = LinearScale(domainUpper: ticks.upper, rangeStart: plotLeft, rangeEnd: plotRight)
            // A group with no bar at all (nothing fits) gets no axis: a scale from 0 to 1 would only suggest data.
            if largest > 0 {
                body += AxisDrawing.bottom(ticks: ticks.ticks, scale: scale, top: plotTop, bottom: plotBottom, title: axisTitle)
            }
            for (row, bar) in group.bars.enumerated() {
                let y = plotTop + Self.rowGap + Double(row) * (Self.barHeight + Self.rowGap)
                let middle = y + Self.barHeight / 2 + 4
                body.append(
                    SVG.text(label(bar), x: plotLeft - 10, y: middle, anchor: "end",
                        className: bar.emphasized ? "label-strong" : "label"))
                let end = scale(bar.value)
                if bar.value > 0 {
                    body.append(
                        ChartPalette.swatch(
                            prefix: id, index: bar.series, x: plotLeft, y: y, width: max(end - plotLeft, 1),
                            height: Self.barHeight, title: "\(group.heading) · \(bar.label): \(bar.valueLabel)"))
                }
                body.append(SVG.text(bar.valueLabel, x: end + 6, y: middle, className: "value"))
            }
            top = plotBottom + (largest > 0 ? 48 : 8)
        }
        let legendTop = top + 4
        let legendLines = LegendDrawing.swatches(prefix: id, entries: legend, left: 16, top: legendTop, width: width - 32)
        body += legendLines.markup
        let height = legendTop + legendLines.height + 4
        let description = groups.map { group in
            group.heading + ": " + group.bars.map { "\($0.label) \($0.valueLabel)" }.joined(separator: ", ")
        }.joined(separator: "; ")
        return SVG.frame(id: id, title: title, description: description, width: width, height: height, body: body)
    }
}
