import Foundation

/// What an axis measures, which decides how its ticks are chosen and labelled.
public enum AxisUnit: Hashable, Sendable {
    /// Plain counts (batch size): integer ticks.
    case count
    /// Bytes, labelled in GiB (2^30 bytes) with nice GiB steps.
    case bytes

    /// The unit suffix for axis titles: "" or "GiB".
    var suffix: String {
        switch self {
        case .count: ""
        case .bytes: "GiB"
        }
    }

    /// Values in data units per displayed unit.
    var scale: Double {
        switch self {
        case .count: 1
        case .bytes: 1_073_741_824
        }
    }
}

/// Tick values that read well: steps of 1, 2, 2.5 or 5 times a power of ten, covering 0 … max.
struct NiceTicks: Equatable {
    /// Tick positions in data units (bytes for a byte axis), from 0 to `upper` inclusive.
    var values: [Double]
    /// The axis end, in data units: the first tick at or above the maximum.
    var upper: Double
    /// The step in displayed units (GiB for a byte axis), for choosing how many decimals labels need.
    var displayStep: Double
    var unit: AxisUnit

    /// Ticks from zero to at least `maximum` (data units), about `target` of them.
    init(maximum: Double, unit: AxisUnit, target: Int = 6) {
        self.unit = unit
        let displayMax = max(maximum / unit.scale, unit == .count ? 1 : 0.001)
        var step = Self.niceStep(displayMax / Double(max(target - 1, 1)))
        if unit == .count { step = max(step.rounded(.up), 1) }
        let count = Int((displayMax / step).rounded(.up))
        displayStep = step
        values = (0...count).map { Double($0) * step * unit.scale }
        upper = Double(count) * step * unit.scale
    }

    /// The smallest of 1, 2, 2.5, 5 × 10^k at or above `raw` (Heckbert, "Nice numbers for graph labels",
    /// Graphics Gems, 1990, with 2.5 added for quarter steps).
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let exponent = floor(log10(raw))
        let power = pow(10, exponent)
        let fraction = raw / power
        let nice: Double =
            if fraction <= 1 { 1 } else if fraction <= 2 { 2 } else if fraction <= 2.5 { 2.5 } else if fraction <= 5 { 5 } else { 10 }
        return nice * power
    }

    /// A tick's label in displayed units with just enough decimals for the step: "0", "20", "2.5", "0.25".
    func label(_ value: Double) -> String {
        let display = value / unit.scale
        // The fewest decimals that write the step exactly (2.5 → 1, 0.25 → 2), at most 3.
        let decimals = (0...3).first { abs((displayStep * pow(10, Double($0))).rounded() - displayStep * pow(10, Double($0))) < 1e-9 } ?? 3
        var text = String(format: "%.\(decimals)f", display)
        if text == "-0" { text = "0" }
        return text
    }
}

/// One labelled tick: its position in data units and its text.
struct Tick: Equatable {
    var value: Double
    var label: String
}

extension NiceTicks {
    /// The ticks with their labels.
    var ticks: [Tick] { values.map { Tick(value: $0, label: label($0)) } }
}

/// Ticks at powers of two from 1 to the first power at or above the maximum, for a log₂ axis of batch sizes.
struct PowerOfTwoTicks: Equatable {
    var ticks: [Tick]
    /// The axis end: a power of two, at least 2.
    var upper: Double

    init(maximum: Double, maxTicks: Int = 12) {
        var exponent = 1
        while pow(2, Double(exponent)) < maximum { exponent += 1 }
        upper = pow(2, Double(exponent))
        let stride = max(1, (exponent + maxTicks) / maxTicks)
        ticks = Swift.stride(from: 0, through: exponent, by: stride).map { power in
            let value = pow(2, Double(power))
            return Tick(value: value, label: String(Int(value)))
        }
    }
}

/// A map from data values to pixels along one axis.
protocol ChartScale {
    var rangeStart: Double { get }
    var rangeEnd: Double { get }
    func callAsFunction(_ value: Double) -> Double
}

/// A linear map from 0 … `domainUpper` to pixels.
struct LinearScale: ChartScale {
    var domainUpper: Double
    var rangeStart: Double
    var rangeEnd: Double

    /// The pixel position of `value`, clamped to just past the range so nothing draws far outside the plot.
    func callAsFunction(_ value: Double) -> Double {
        guard domainUpper > 0 else { return rangeStart }
        let t = min(max(value / domainUpper, 0), 1.05)
        return rangeStart + t * (rangeEnd - rangeStart)
    }
}

/// A log₂ map from 1 … `domainUpper` to pixels, for batch sizes that span orders of magnitude.
struct LogScale: ChartScale {
    var domainUpper: Double
    var rangeStart: Double
    var rangeEnd: Double

    func callAsFunction(_ value: Double) -> Double {
        guard domainUpper > 1 else { return rangeStart }
        let t = min(max(log2(max(value, 1)) / log2(domainUpper), 0), 1.05)
        return rangeStart + t * (rangeEnd - rangeStart)
    }
}

/// Axis drawing shared by the charts: grid lines, tick labels and axis titles.
enum AxisDrawing {
    /// A horizontal value axis at the bottom of a plot, with vertical grid lines.
    static func bottom(ticks: [Tick], scale: some ChartScale, top: Double, bottom: Double, title: String) -> [String] {
        var out: [String] = []
        for tick in ticks {
            let x = SVG.n(scale(tick.value))
            out.append("<line class=\"grid\" x1=\"\(x)\" y1=\"\(SVG.n(top))\" x2=\"\(x)\" y2=\"\(SVG.n(bottom))\"/>")
            out.append(SVG.text(tick.label, x: scale(tick.value), y: bottom + 16, anchor: "middle", className: "tick"))
        }
        out.append(
            "<line class=\"axis\" x1=\"\(SVG.n(scale.rangeStart))\" y1=\"\(SVG.n(bottom))\" x2=\"\(SVG.n(scale.rangeEnd))\" y2=\"\(SVG.n(bottom))\"/>")
        out.append(SVG.text(title, x: (scale.rangeStart + scale.rangeEnd) / 2, y: bottom + 36, anchor: "middle", className: "axis-title"))
        return out
    }

    /// A vertical value axis on the left of a plot, with horizontal grid lines; the title is rotated.
    static func left(ticks: [Tick], scale: some ChartScale, left: Double, right: Double, title: String) -> [String] {
        var out: [String] = []
        for tick in ticks {
            let y = SVG.n(scale(tick.value))
            out.append("<line class=\"grid\" x1=\"\(SVG.n(left))\" y1=\"\(y)\" x2=\"\(SVG.n(right))\" y2=\"\(y)\"/>")
            out.append(SVG.text(tick.label, x: left - 6, y: scale(tick.value) + 4, anchor: "end", className: "tick"))
        }
        out.append(
            "<line class=\"axis\" x1=\"\(SVG.n(left))\" y1=\"\(SVG.n(scale.rangeStart))\" x2=\"\(SVG.n(left))\" y2=\"\(SVG.n(scale.rangeEnd))\"/>")
        let middle = (scale.rangeStart + scale.rangeEnd) / 2
        out.append(
            SVG.text(title, x: 16, y: middle, anchor: "middle", className: "axis-title",
                extra: "transform=\"rotate(-90 16 \(SVG.n(middle)))\""))
        return out
    }
}
