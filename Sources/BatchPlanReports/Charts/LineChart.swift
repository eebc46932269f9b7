import Foundation

/// Lines of y against x with horizontal reference rules and labelled markers where a line meets its limit.
///
/// Used for device memory against batch size, one line per precision/optimizer, with the card's capacity and headroom
/// limit as rules. Lines differ in color, dash and marker shape, and each crossing is labelled with its batch.
public struct LineChart: SVGChart {
    public struct Point: Hashable, Sendable {
        public var x: Double
        public var y: Double

        public init(x: Double, y: Double) {
            self.x = x
            self.y = y
        }
    }

    public struct Series: Hashable, Sendable {
        public var name: String
        /// Points in increasing x.
        public var points: [Point]

        public init(name: String, points: [Point]) {
            self.name = name
            self.points = points
        }
    }

    /// A horizontal reference line across the plot, e.g. the card's capacity.
    public struct Rule: Hashable, Sendable {
        public var label: String
        public var y: Double
        public var dashed: Bool

        public init(label: String, y: Double, dashed: Bool = false) {
            self.label = label
            self.y = y
            self.dashed = dashed
        }
    }

    /// A labelled point on a series, e.g. where it crosses the headroom limit.
    public struct Marker: Hashable, Sendable {
        public var series: Int
        public var point: Point
        public var label: String

        public init(series: Int, point: Point, label: String) {
            self.series = series
            self.point = point
            self.label = label
        }
    }

    public var id: String
    public var title: String
    public var series: [Series]
    public var rules: [Rule]
    public var markers: [Marker]
    public var xTitle: String
    public var yTitle: String
    public var xUnit: AxisUnit
    public var yUnit: AxisUnit
    public var width: Double
    public var height: Double

    public init(
        id: String, title: String, series: [Series], rules: [Rule] = [], markers: [Marker] = [], xTitle: String,
        yTitle: String, xUnit: AxisUnit = .count, yUnit: AxisUnit = .bytes, width: Double = 880, height: Double = 340
    ) {
        self.id = id
        self.title = title
        self.series = series
        self.rules = rules
        self.markers = markers
        self.xTitle = xTitle
        self.yTitle = yTitle
        self.xUnit = xUnit
        self.yUnit = yUnit
        self.width = width
        self.height = height
    }

    public func svg() -> String {
        let plotLeft = 72.0
        let plotRight = width - 24
        let plotTop = 44.0
        let plotBottom = height - 56
        let allPoints = series.flatMap(\.points)
        let xMaximum = allPoints.map(\.x).max() ?? 1
        // Batch sizes span orders of magnitude between combinations: a log₂ axis keeps every crossing readable.
        let logX = xUnit == .count && xMaximum >= 64
        let xTicks = logX ? PowerOfTwoTicks(maximum: xMaximum).ticks : NiceTicks(maximum: xMaximum, unit: xUnit).ticks
        let xUpper = logX ? PowerOfTwoTicks(maximum: xMaximum).upper : NiceTicks(maximum: xMaximum, unit: xUnit).upper
        // Lines may run far past the capacity; the plot shows up to a third above the highest rule, and at least
        // where every line starts, so a combination that never fits still shows.
        let ruleTop = rules.map(\.y).max() ?? 0
        let dataTop = allPoints.map(\.y).max() ?? 1
        let startsTop = series.compactMap { $0.points.first?.y }.max() ?? 0
        let yTicks = NiceTicks(maximum: ruleTop > 0 ? min(dataTop, max(ruleTop * 1.3, startsTop * 1.1)) : dataTop, unit: yUnit)
        let y = LinearScale(domainUpper: yTicks.upper, rangeStart: plotBottom, rangeEnd: plotTop)
        let x: any ChartScale =
            logX
            ? LogScale(domainUpper: xUpper, rangeStart: plotLeft, rangeEnd: plotRight)
            : LinearScale(domainUpper: xUpper, rangeStart: plotLeft, rangeEnd: plotRight)

        var body = AxisDrawing.left(ticks: yTicks.ticks, scale: y, left: plotLeft, right: plotRight, title: yTitle)
        body += AxisDrawing.bottom(
            ticks: xTicks, scale: x, top: plotTop, bottom: plotBottom, title: xTitle + (logX ? ", log scale" : ""))
        for (index, rule) in rules.enumerated() {
            let ry = SVG.n(y(rule.y))
            let dash = rule.dashed ? " stroke-dasharray=\"6 4\"" : ""
            body.append(
                "<line x1=\"\(SVG.n(plotLeft))\" y1=\"\(ry)\" x2=\"\(SVG.n(plotRight))\" y2=\"\(ry)\" stroke=\"#1a1a1a\""
                    + " stroke-width=\"1.5\"\(dash)/>")
            // Labels sit at the left, where memory curves are still low: the first above its line, the others below,
            // so close rules do not overprint each other or the crossings on the right.
            let labelY = index == 0 ? y(rule.y) - 5 : y(rule.y) + 14
            body.append(SVG.text(rule.label, x: plotLeft + 6, y: labelY, className: "note"))
        }
        body.append(
            "<clipPath id=\"\(id)-clip\"><rect x=\"\(SVG.n(plotLeft))\" y=\"\(SVG.n(plotTop - 6))\""
                + " width=\"\(SVG.n(plotRight - plotLeft + 6))\" height=\"\(SVG.n(plotBottom - plotTop + 6))\"/></clipPath>")
        body.append("<g clip-path=\"url(#\(id)-clip)\">")
        for (index, line) in series.enumerated() where !line.points.isEmpty {
            let path = Self.pathPoints(line.points, logX: logX).enumerated().map { offset, point in
                (offset == 0 ? "M" : "L") + SVG.n(x(point.x)) + "," + SVG.n(y(point.y))
            }.joined(separator: " ")
            let dash = ChartPalette.dash(index)
            let dashAttribute = dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\""
            body.append(
                "<path d=\"\(path)\" fill=\"none\" stroke=\"\(ChartPalette.color(index))\" stroke-width=\"2.5\"\(dashAttribute)>"
                    + "<title>\(Escaping.xml(line.name))</title></path>")
        }
        body.append("</g>")
        let placed = markers.map { (x: x($0.point.x), y: y($0.point.y), label: $0.label) }
        for (marker, position) in zip(markers, placed) {
            body.append(ChartPalette.marker(marker.series, x: position.x, y: position.y, size: 5))
        }
        // A white halo keeps the labels readable over grid and lines.
        for label in Self.markerLabels(placed) {
            body.append(SVG.text(label.text, x: label.x, y: label.y, anchor: "middle", className: "segment-label"))
        }
        let legendTop = height + 4
        let legend = LegendDrawing.lines(
            entries: series.enumerated().map { LegendEntry(name: $1.name, series: $0) }, left: 16, top: legendTop, width: width - 32)
        body += legend.markup
        let description = series.map { line in
            line.name + ": " + line.points.map { "\(Int(($0.x).rounded())) → \(yUnit == .bytes ? ReportWording.bytes(Int($0.y)) : SVG.n($0.y))" }
                .joined(separator: ", ")
        }.joined(separator: ". ")
        return SVG.frame(
            id: id, title: title, description: description, width: width, height: legendTop + legend.height + 4, body: body)
    }

    /// A marker label placed in the plot: centred at `x`, baseline at `y`.
    struct PlacedLabel: Hashable {
        var text: String
        var x: Double
        var y: Double

        /// The label's box, for overlap checks (12 px font: 11 px above the baseline, 3 below).
        var box: (left: Double, right: Double, top: Double, bottom: Double) {
            let half = SVG.textWidth(text) / 2
            return (x - half, x + half, y - 11, y + 3)
        }

        func overlaps(_ other: PlacedLabel) -> Bool {
            let a = box, b = other.box
            return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
        }
    }

    /// Where marker labels go: below their crossing (clear of the rules just above it), each on the first row that
    /// overprints no label already placed. Markers at the same spot with the same text (curves that coincide) share
    /// one label.
    static func markerLabels(_ markers: [(x: Double, y: Double, label: String)]) -> [PlacedLabel] {
        let firstRow = 19.0, rowHeight = 14.0, rows = 6
        var placed: [PlacedLabel] = []
        var labelled: [(x: Double, y: Double, label: String)] = []
        for marker in markers {
            if labelled.contains(where: { abs($0.x - marker.x) < 1 && abs($0.y - marker.y) < 1 && $0.label == marker.label }) {
                continue
            }
            labelled.append(marker)
            var candidate = PlacedLabel(text: marker.label, x: marker.x, y: marker.y + firstRow)
            for row in 0..<rows {
                candidate.y = marker.y + firstRow + Double(row) * rowHeight
                if !placed.contains(where: candidate.overlaps) { break }
            }
            placed.append(candidate)
        }
        return placed
    }

    /// The points to draw: on a log axis each segment is split so the drawn line is the straight line between the
    /// data points in data space (memory grows linearly with the batch), and markers placed by linear interpolation
    /// sit on it.
    static func pathPoints(_ points: [Point], logX: Bool) -> [Point] {
        guard logX, let first = points.first else { return points }
        var out = [first]
        for (a, b) in zip(points, points.dropFirst()) {
            let steps = 12
            for step in 1...steps {
                let t = Double(step) / Double(steps)
                // Evenly spaced in log x, placed on the straight line between a and b.
                let xValue = a.x > 0 ? a.x * pow(b.x / a.x, t) : a.x + (b.x - a.x) * t
                let fraction = b.x == a.x ? 1 : (xValue - a.x) / (b.x - a.x)
                out.append(Point(x: xValue, y: a.y + (b.y - a.y) * fraction))
            }
        }
        return out
    }
}
