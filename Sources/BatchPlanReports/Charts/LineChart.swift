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
        yTitle: String, xUnit: AxisUnit = .count, yUnit: AxisUnit = .bytes, width: Double = 760, height: Double = 340
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
        let xTicks = NiceTicks(maximum: allPoints.map(\.x).max() ?? 1, unit: xUnit)
        let yTicks = NiceTicks(maximum: max(allPoints.map(\.y).max() ?? 1, rules.map(\.y).max() ?? 0), unit: yUnit)
        let x = LinearScale(domainUpper: xTicks.upper, rangeStart: plotLeft, rangeEnd: plotRight)
        let y = LinearScale(domainUpper: yTicks.upper, rangeStart: plotBottom, rangeEnd: plotTop)

        var body = AxisDrawing.left(ticks: yTicks, scale: y, left: plotLeft, right: plotRight, title: yTitle)
        body += AxisDrawing.bottom(ticks: xTicks, scale: x, top: plotTop, bottom: plotBottom, title: xTitle)
        for rule in rules {
            let ry = SVG.n(y(rule.y))
            let dash = rule.dashed ? " stroke-dasharray=\"6 4\"" : ""
            body.append(
                "<line x1=\"\(SVG.n(plotLeft))\" y1=\"\(ry)\" x2=\"\(SVG.n(plotRight))\" y2=\"\(ry)\" stroke=\"#1a1a1a\""
                    + " stroke-width=\"1.5\"\(dash)/>")
            body.append(SVG.text(rule.label, x: plotLeft + 6, y: y(rule.y) - 5, className: "note"))
        }
        body.append(
            "<clipPath id=\"\(id)-clip\"><rect x=\"\(SVG.n(plotLeft))\" y=\"\(SVG.n(plotTop - 6))\""
                + " width=\"\(SVG.n(plotRight - plotLeft + 6))\" height=\"\(SVG.n(plotBottom - plotTop + 6))\"/></clipPath>")
        body.append("<g clip-path=\"url(#\(id)-clip)\">")
        for (index, line) in series.enumerated() where !line.points.isEmpty {
            let path = line.points.enumerated().map { offset, point in
                (offset == 0 ? "M" : "L") + SVG.n(x(point.x)) + "," + SVG.n(y(point.y))
            }.joined(separator: " ")
            let dash = ChartPalette.dash(index)
            let dashAttribute = dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\""
            body.append(
                "<path d=\"\(path)\" fill=\"none\" stroke=\"\(ChartPalette.color(index))\" stroke-width=\"2.5\"\(dashAttribute)>"
                    + "<title>\(Escaping.xml(line.name))</title></path>")
        }
        body.append("</g>")
        for marker in markers {
            let mx = x(marker.point.x)
            let my = y(marker.point.y)
            body.append(ChartPalette.marker(marker.series, x: mx, y: my, size: 5))
            // Labels alternate above and below so neighbouring crossings do not overprint.
            let below = marker.series % 2 == 1
            body.append(
                SVG.text(marker.label, x: mx, y: below ? my + 18 : my - 10, anchor: "middle", className: "value",
                    extra: "font-weight=\"600\""))
        }
        let legendTop = height + 4
        let legend = LegendDrawing.lines(entries: series.map(\.name), left: 16, top: legendTop, width: width - 32)
        body += legend.markup
        let description = series.map { line in
            line.name + ": " + line.points.map { "\(Int(($0.x).rounded())) → \(yUnit == .bytes ? ReportWording.bytes(Int($0.y)) : SVG.n($0.y))" }
                .joined(separator: ", ")
        }.joined(separator: ". ")
        return SVG.frame(
            id: id, title: title, description: description, width: width, height: legendTop + legend.height + 4, body: body)
    }
}
