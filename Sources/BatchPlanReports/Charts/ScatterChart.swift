/// Measured against predicted values with the y = x line: points above it were under-predicted.
///
/// Both axes share one scale so the diagonal is at 45°; a ±10 % band shows what "close" means. Every point carries
/// its label as a tooltip, and up to `maxLabels` points are labelled in the plot.
public struct ScatterChart: SVGChart {
    public struct Point: Hashable, Sendable {
        public var label: String
        /// Horizontal value (the prediction), in axis units.
        public var predicted: Double
        /// Vertical value (the measurement), in axis units.
        public var measured: Double

        public init(label: String, predicted: Double, measured: Double) {
            self.label = label
            self.predicted = predicted
            self.measured = measured
        }
    }

    public var id: String
    public var title: String
    public var points: [Point]
    public var unit: AxisUnit
    public var size: Double
    /// Points beyond this many are drawn without a text label (their tooltip remains).
    public var maxLabels: Int

    public init(id: String, title: String, points: [Point], unit: AxisUnit = .bytes, size: Double = 600, maxLabels: Int = 12) {
        self.id = id
        self.title = title
        self.points = points
        self.unit = unit
        self.size = size
        self.maxLabels = maxLabels
    }

    public func svg() -> String {
        let plotLeft = 72.0
        let plotTop = 44.0
        // A square plot with room on the right for the labels of points near the right edge.
        let side = size - plotLeft - 24
        let width = plotLeft + side + 24
        let plotRight = plotLeft + side
        let plotBottom = plotTop + side
        let largest = points.flatMap { [$0.predicted, $0.measured] }.max() ?? 1
        let ticks = NiceTicks(maximum: largest * 1.05, unit: unit)
        let x = LinearScale(domainUpper: ticks.upper, rangeStart: plotLeft, rangeEnd: plotRight)
        let y = LinearScale(domainUpper: ticks.upper, rangeStart: plotBottom, rangeEnd: plotTop)
        let suffix = unit.suffix.isEmpty ? "" : " (\(unit.suffix))"

        var body = AxisDrawing.left(ticks: ticks.ticks, scale: y, left: plotLeft, right: plotRight, title: "measured" + suffix)
        body += AxisDrawing.bottom(ticks: ticks.ticks, scale: x, top: plotTop, bottom: plotBottom, title: "predicted" + suffix)
        let upper = ticks.upper
        // ±10 % band around the diagonal.
        body.append(
            "<path d=\"M\(SVG.n(x(0))),\(SVG.n(y(0))) L\(SVG.n(x(upper / 1.1))),\(SVG.n(y(upper))) L\(SVG.n(x(upper))),\(SVG.n(y(upper))) L\(SVG.n(x(upper))),\(SVG.n(y(upper * 0.9))) Z\""
                + " fill=\"#56B4E9\" fill-opacity=\"0.15\"/>")
        body.append(
            "<line x1=\"\(SVG.n(x(0)))\" y1=\"\(SVG.n(y(0)))\" x2=\"\(SVG.n(x(upper)))\" y2=\"\(SVG.n(y(upper)))\""
                + " stroke=\"#1a1a1a\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>")
        body.append(
            SVG.text("dashed: y = x (exact); band: ±10 %", x: x(upper) - 6, y: y(0) - 8, anchor: "end", className: "note"))
        for (index, point) in points.enumerated() {
            let px = x(point.predicted)
            let py = y(point.measured)
            body.append(
                "<g>" + ChartPalette.marker(0, x: px, y: py, size: 5)
                    + "<title>\(Escaping.xml(point.label))</title></g>")
            if index < maxLabels {
                // Points on the right half are labelled to their left, so labels stay inside the plot.
                let leftward = px > (plotLeft + plotRight) / 2
                body.append(
                    SVG.text(SVG.truncated(point.label, to: 36), x: leftward ? px - 9 : px + 9, y: py + 4,
                        anchor: leftward ? "end" : "start", className: "note"))
            }
        }
        let description = points.map { "\($0.label): predicted \(label($0.predicted)), measured \(label($0.measured))" }
            .joined(separator: "; ")
        return SVG.frame(id: id, title: title, description: description, width: width, height: plotBottom + 50, body: body)
    }

    private func label(_ value: Double) -> String {
        unit == .bytes ? ReportWording.bytes(Int(value)) : SVG.n(value)
    }
}
