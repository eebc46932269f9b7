import BatchPlanCore
import Foundation

/// Step times, throughputs and epoch times for text output.
enum StepTimeFormatting {
    /// "58.1 ms", "1.24 s", "125 s", "1.81 h".
    static func duration(milliseconds ms: Double) -> String { ThroughputText.milliseconds(ms) }

    /// "45 s", "14 min", "2 h 14 min", "3.2 days".
    static func duration(seconds s: Double) -> String {
        if s < 90 { return NumberFormat.string("%.0f s", s) }
        if s < 3600 { return NumberFormat.string("%.0f min", s / 60) }
        if s < 86_400 * 2 { return "\(Int(s / 3600)) h \(Int(s.truncatingRemainder(dividingBy: 3600) / 60)) min" }
        return NumberFormat.string("%.1f days", s / 86_400)
    }

    /// The estimate's step-time line; for a batch that does not fit the card, marked as a figure for reference
    /// only, since the step would not run.
    static func estimateLine(_ t: StepTimeEstimate, fits: Bool, batch: Int) -> String {
        let rates = "\(rate(t.samplesPerSecond)) samples/s" + (t.tokensPerSecond.map { ", \(rate($0)) tokens/s" } ?? "")
        let caveat = fits ? "" : "for reference only: batch \(batch) does not fit the card; "
        return PlanFormatting.labelled(
            "step time", "\(duration(milliseconds: t.stepTimeMs))   (\(caveat)\(rates); estimated, step-time scope \(t.scope))")
    }

    /// "1,410", "23.4k", "1.2M": abbreviated from 10,000 up for table cells.
    static func rate(_ value: Double) -> String {
        switch value {
        case 1e6...: NumberFormat.string("%.1fM", value / 1e6)
        case 1e5...: NumberFormat.string("%.0fk", value / 1e3)
        case 1e4...: NumberFormat.string("%.1fk", value / 1e3)
        default: ThroughputText.rate(value)
        }
    }

    /// The JSON fields of a plan's step time (`null`s when it has none).
    static func json(_ stepTime: StepTimeEstimate?, datasetSize: Int?) -> [String: Any] {
        guard let t = stepTime else {
            return ["step_time_ms": NSNull(), "samples_per_second": NSNull(), "tokens_per_second": NSNull(),
                    "epoch_seconds": NSNull(), "step_time": NSNull()]
        }
        return [
            "step_time_ms": rounded(t.stepTimeMs, 3), "samples_per_second": rounded(t.samplesPerSecond, 2),
            "tokens_per_second": t.tokensPerSecond.map { rounded($0, 1) } ?? NSNull(),
            "epoch_seconds": datasetSize.map { rounded(t.seconds(forSamples: $0), 1) } ?? NSNull(),
            "step_time": [
                "compute_ms": rounded(t.computeMs, 3), "memory_bound_ms": rounded(t.memoryMs, 3),
                "launch_overhead_ms": rounded(t.overheadMs, 3), "optimizer_ms": rounded(t.optimizerMs, 3),
                "flops_utilization": rounded(t.flopsUtilization, 4), "scope": t.scope,
            ] as [String: Any],
        ]
    }

    static func rounded(_ value: Double, _ digits: Int) -> Double {
        let scale = pow(10, Double(digits))
        return (value * scale).rounded() / scale
    }
}
