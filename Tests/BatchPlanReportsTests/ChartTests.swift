import Foundation
import Testing

@testable import BatchPlanReports

@Suite("Chart module")
struct ChartTests {
    static let gib = 1_073_741_824.0
    static let tickCases: [(maximum: Double, unit: AxisUnit, step: Double, upper: Double)] = [
        (7, .count, 2, 8), (646, .count, 200, 800), (5_800, .count, 2_000, 6_000), (47, .count, 10, 50), (1, .count, 1, 1),
        (80 * gib, .bytes, 20, 80 * gib), (12 * gib, .bytes, 2.5, 12.5 * gib), (0.3 * gib, .bytes, 0.1, 0.3 * gib),
    ]

    @Test("Nice ticks step by 1, 2, 2.5 or 5 times a power of ten and cover the maximum", arguments: tickCases)
    func niceTicks(tick: (maximum: Double, unit: AxisUnit, step: Double, upper: Double)) {
        let (maximum, unit, step, upper) = tick
        let ticks = NiceTicks(maximum: maximum, unit: unit)
        #expect(ticks.displayStep == step)
        #expect(abs(ticks.upper - upper) < 1e-6 * max(upper, 1))
        #expect(ticks.values.first == 0)
        #expect(ticks.upper >= maximum)
    }

    @Test(
        "Byte-axis labels are GiB with only the decimals the step needs",
        arguments: [(20.0, 40.0, "40"), (2.5, 7.5, "7.5"), (0.25, 0.75, "0.75")])
    func byteLabels(step: Double, value: Double, label: String) {
        let ticks = NiceTicks(maximum: step * 5 * 1_073_741_824, unit: .bytes)
        #expect(ticks.displayStep == step)
        #expect(ticks.label(value * 1_073_741_824) == label)
    }

    @Test("The memory-curve chart marks each combination's max batch on its line")
    func crossingMarkers() throws {
        let card = ReportSample.report().cards[0]
        let plans = card.models[0]
        let chart = try #require(HTMLReportCharts.curves(card: card, plans: plans, id: "t"))
        #expect(chart.markers.count == plans.curves.filter { $0.maxBatchSize != nil }.count)
        let best = try #require(chart.markers.first)
        #expect(best.label == "max \(plans.best.maxBatchSize)")
        #expect(best.point.y <= Double(card.memoryBytes - plans.best.headroomBytes))
        #expect(chart.rules.map(\.y) == [Double(card.memoryBytes), Double(card.memoryBytes - plans.best.headroomBytes)])
    }

    @Test("Power-of-two ticks run from 1 to the first power at or above the maximum")
    func powerOfTwoTicks() {
        let ticks = PowerOfTwoTicks(maximum: 646)
        #expect(ticks.upper == 1024)
        #expect(ticks.ticks.map(\.label) == ["1", "2", "4", "8", "16", "32", "64", "128", "256", "512", "1024"])
        #expect(PowerOfTwoTicks(maximum: 16_384).ticks.count <= 12)
    }

    @Test("On a log axis the drawn line stays the straight line between data points")
    func logPathIsLinearInData() {
        let points = [LineChart.Point(x: 256, y: 10), LineChart.Point(x: 512, y: 20)]
        let drawn = LineChart.pathPoints(points, logX: true)
        #expect(drawn.count == 13)
        #expect(drawn.allSatisfy { abs($0.y - (10 + ($0.x - 256) / 256 * 10)) < 1e-9 })
        #expect(LineChart.pathPoints(points, logX: false) == points)
    }

    @Test("Coinciding curves share one max-batch label, and close crossings' labels never overprint")
    func markerLabelsNeverOverlap() {
        // Two curves meeting the limit at the same batch (same spot, same text), a third just beside them, a
        // fourth far away.
        let labels = LineChart.markerLabels([
            (x: 300, y: 100, label: "max 12"), (x: 300, y: 100, label: "max 12"), (x: 306, y: 102, label: "max 13"),
            (x: 700, y: 100, label: "max 40"),
        ])
        #expect(labels.map(\.text) == ["max 12", "max 13", "max 40"])
        for (index, label) in labels.enumerated() {
            for other in labels[(index + 1)...] { #expect(!label.overlaps(other), "\(label.text) overprints \(other.text)") }
        }
        #expect(labels[0].y == 119, "the first label sits just below its crossing")
        #expect(labels[2].y == 119, "a label with room keeps the first row")
        #expect(labels[1].y > labels[0].y)
    }

    @Test("The max-batch labels of a rendered chart do not overprint each other")
    func renderedMarkerLabelsDoNotOverlap() throws {
        let chart = LineChart(
            id: "t", title: "t",
            series: (0..<4).map { LineChart.Series(name: "s\($0)", points: [.init(x: 1, y: 1e9), .init(x: 64, y: 9e9)]) },
            rules: [.init(label: "capacity", y: 8e9)],
            markers: (0..<4).map { .init(series: $0, point: .init(x: 56, y: 8e9), label: "max \(56 + $0 % 2)") },
            xTitle: "batch", yTitle: "memory")
        let svg = chart.svg()
        let labels = svg.components(separatedBy: "class=\"segment-label\">").count - 1
        #expect(labels == 2, "four coinciding curves with two distinct maxima draw two labels")
    }

    @Test("Interpolation on a curve is linear between points and undefined outside them")
    func interpolation() {
        let points = [CurvePoint(batchSize: 2, deviceUsedBytes: 100), CurvePoint(batchSize: 4, deviceUsedBytes: 200)]
        #expect(HTMLReportCharts.interpolate(points, at: 3) == 150)
        #expect(HTMLReportCharts.interpolate(points, at: 4) == 200)
        #expect(HTMLReportCharts.interpolate(points, at: 5) == nil)
    }

    @Test("A plan that does not fit gets no bar but a 'does not fit' label")
    func noFitBar() throws {
        let card = ReportSample.report().cards[1]
        let chart = HTMLReportCharts.maxBatch(card: card, id: "t")
        let group = try #require(chart.groups.first { $0.heading == "Llama-3.2-1B" })
        #expect(group.bars.allSatisfy { $0.value == 0 })
        #expect(group.bars.map(\.valueLabel) == ["does not fit (closest)", "does not fit"])
        #expect(chart.svg().contains(">does not fit</text>"))
    }

    @Test("The stacked bar draws one segment per non-zero component and the capacity line")
    func stackedSegments() throws {
        let card = ReportSample.report().cards[0]
        let chart = HTMLReportCharts.breakdown(card: card, id: "t")
        let nonZero = card.models[0].best.components.filter { $0.bytes > 0 }.count
        #expect(chart.rows[0].segments.filter { $0.bytes > 0 }.count == nonZero)
        let svg = chart.svg()
        #expect(svg.contains("capacity \(ReportWording.bytes(card.memoryBytes))"))
        // Every component after the first carries a hatch, so color is not the only cue.
        #expect(svg.components(separatedBy: "fill=\"url(#t-p").count - 1 >= nonZero - 1)
    }

    @Test("Coordinates print with at most one decimal and no negative zero", arguments: [(12.0, "12"), (3.26, "3.3"), (-0.01, "0")])
    func coordinates(value: Double, text: String) {
        #expect(SVG.n(value) == text)
    }
}
