/// Horizontal stacked bars of memory components against a card's capacity and its headroom limit.
///
/// Each component keeps one color and hatch across all rows; the legend names them with their order, and each
/// segment carries a tooltip with its size, so color is not the only cue.
public struct StackedBarChart: SVGChart {
    /// One slice of a bar.
    public struct Segment: Hashable, Sendable {
        public var name: String
        /// Size in bytes.
        public var bytes: Int
        /// The segment's color and hatch; the same name should keep the same series in every chart of a page.
        public var series: Int

        public init(name: String, bytes: Int, series: Int) {
            self.name = name
            self.bytes = bytes
            self.series = series
        }
    }

    /// One bar: a plan's components and the limit its headroom sets.
    public struct Row: Hashable, Sendable {
        public var label: String
        public var segments: [Segment]
        /// Capacity minus headroom, in bytes: what the plan may use.
        public var limitBytes: Int

        public init(label: String, segments: [Segment], limitBytes: Int) {
            self.label = label
            self.segments = segments
            self.limitBytes = limitBytes
        }

        var totalBytes: Int { segments.reduce(0) { $0 + $1.bytes } }
    }

    public var id: String
    public var title: String
    public var rows: [Row]
    /// The card's capacity in bytes.
    public var capacityBytes: Int
    public var width: Double

    public init(id: String, title: String, rows: [Row], capacityBytes: Int, width: Double = 880) {
        self.id = id
        self.title = title
        self.rows = rows
        self.capacityBytes = capacityBytes
        self.width = width
    }

    static let barHeight = 26.0
    static let rowGap = 14.0

    /// The legend: each non-empty segment's name and series, in series order.
    var legend: [LegendEntry] {
        var entries: [LegendEntry] = []
        for row in rows {
            for segment in row.segments where segment.bytes > 0 && !entries.contains(where: { $0.name == segment.name }) {
                entries.append(LegendEntry(name: segment.name, series: segment.series))
            }
        }
        return entries.sorted { $0.series < $1.series }
    }

    public func svg() -> String {
        let labels = rows.map { SVG.truncated($0.label, to: 32) }
        let labelWidth = min(max(labels.map { SVG.textWidth($0) }.max() ?? 60, 60), 220)
        let plotLeft = 16 + labelWidth + 10
        let plotRight = width - 130
        let plotTop = 66.0
        let plotBottom = plotTop + Double(rows.count) * (Self.barHeight + Self.rowGap) + Self.rowGap
        let largest = max(capacityBytes, rows.map(\.totalBytes).max() ?? 0)
        let ticks = NiceTicks(maximum: Double(largest), unit: .bytes)
        let scale = LinearScale(domainUpper: ticks.upper, rangeStart: plotLeft, rangeEnd: plotRight)

        let capacityX = scale(Double(capacityBytes))
        var body = AxisDrawing.bottom(
            ticks: ticks.ticks, scale: scale, top: plotTop, bottom: plotBottom, title: "device memory (GiB)")
        for (index, row) in rows.enumerated() {
            let y = plotTop + Self.rowGap + Double(index) * (Self.barHeight + Self.rowGap)
            body.append(SVG.text(labels[index], x: plotLeft - 10, y: y + Self.barHeight / 2 + 4, anchor: "end", className: "label"))
            var offset = 0
            for segment in row.segments where segment.bytes > 0 {
                let x0 = scale(Double(offset))
                let x1 = scale(Double(offset + segment.bytes))
                body.append(
                    ChartPalette.swatch(
                        prefix: id, index: segment.series, x: x0, y: y, width: max(x1 - x0, 0.5),
                        height: Self.barHeight,
                        title: "\(segment.name): \(ReportWording.bytes(segment.bytes))"))
                // Name wide segments in place, so the legend's colors are not the only way to read the bar.
                if x1 - x0 > SVG.textWidth(segment.name, fontSize: 11) + 10 {
                    body.append(
                        SVG.text(segment.name, x: (x0 + x1) / 2, y: y + Self.barHeight / 2 + 4, anchor: "middle",
                            className: "segment-label"))
                }
                offset += segment.bytes
            }
            // Totals go right of the capacity line when the bar ends before it, so the line never crosses the text.
            let end = max(scale(Double(row.totalBytes)), capacityX)
            body.append(SVG.text(ReportWording.bytes(row.totalBytes), x: end + 6, y: y + Self.barHeight / 2 + 4, className: "value"))
            // The headroom limit of this row: dashed, spanning just its bar.
            let limitX = SVG.n(scale(Double(row.limitBytes)))
            body.append(
                "<line x1=\"\(limitX)\" y1=\"\(SVG.n(y - 5))\" x2=\"\(limitX)\" y2=\"\(SVG.n(y + Self.barHeight + 5))\""
                    + " stroke=\"#1a1a1a\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>")
        }
        body.append(
            "<line x1=\"\(SVG.n(capacityX))\" y1=\"\(SVG.n(plotTop - 14))\" x2=\"\(SVG.n(capacityX))\" y2=\"\(SVG.n(plotBottom))\""
                + " stroke=\"#1a1a1a\" stroke-width=\"2\"/>")
        // The two limits are close together: each label sits on the far side of its own line.
        body.append(
            SVG.text("capacity \(ReportWording.bytes(capacityBytes))", x: capacityX + 6, y: plotTop - 4, className: "note"))
        if let limit = rows.first?.limitBytes {
            let limitX = scale(Double(limit))
            body.append(
                "<line x1=\"\(SVG.n(limitX))\" y1=\"\(SVG.n(plotTop - 16))\" x2=\"\(SVG.n(limitX))\" y2=\"\(SVG.n(plotTop))\""
                    + " stroke=\"#1a1a1a\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>")
            body.append(
                SVG.text("headroom limit \(ReportWording.bytes(limit))", x: limitX - 6, y: plotTop - 4, anchor: "end", className: "note"))
        }
        let legendTop = plotBottom + 52
        let legend = LegendDrawing.swatches(prefix: id, entries: legend, left: 16, top: legendTop, width: width - 32)
        body += legend.markup
        let height = legendTop + legend.height + 8
        let description = rows.map { row in
            row.label + ": " + row.segments.map { "\($0.name) \(ReportWording.bytes($0.bytes))" }.joined(separator: ", ")
                + "; total \(ReportWording.bytes(row.totalBytes)) of \(ReportWording.bytes(capacityBytes))"
        }.joined(separator: ". ")
        return SVG.frame(id: id, title: title, description: description, width: width, height: height, body: body)
    }
}
