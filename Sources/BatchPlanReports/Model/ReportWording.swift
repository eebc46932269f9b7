import BatchPlanCore
import Foundation

/// Sentences and numbers as every human-readable format writes them, so Markdown and HTML say the same thing.
public enum ReportWording {
    /// The one-sentence answer for a card: which batch each model reaches and with what, or that nothing fits.
    ///
    /// With `namingCard` false the sentence starts at the first model, for places that already name the card.
    public static func answer(for card: CardSection, namingCard: Bool = true) -> String {
        guard !card.models.isEmpty else { return "No model was planned for \(card.gpuName)." }
        let clauses = card.models.map { plans -> String in
            let best = plans.best
            guard best.fits else {
                // The card size, as `fit` says it: the device memory alone read as a smaller need than fit's.
                guard let required = plans.requiredMemoryBytes else {
                    return "\(plans.model) does not fit even at batch 1 (\(bytes(best.deviceUsedBytes)) of device memory with \(best.combinationLabel))"
                }
                return "\(plans.model) does not fit even at batch 1 (needs a card of at least \(bytes(required)): "
                    + "\(bytes(best.deviceUsedBytes)) of device memory with \(best.combinationLabel), plus the calibration's "
                    + "uncertainty and the headroom)"
            }
            var clause = "\(plans.model) reaches batch \(best.maxBatchSize) with \(best.combinationLabel)"
            if let steps = best.gradAccumSteps, steps > 1 {
                clause += " (× \(steps) accumulation steps)"
            }
            clause += ", using \(bytes(best.deviceUsedBytes)) of \(bytes(card.memoryBytes))"
            return clause
        }
        let sentence = clauses.joined(separator: "; ") + "."
        return namingCard ? "On \(card.gpuName): " + sentence : sentence
    }

    /// Bytes for people: "11.2 GiB" (binary units, one decimal).
    public static func bytes(_ value: Int) -> String { ByteSize.format(value) }

    /// A step time: "58.1 ms", "1.24 s"; "–" when unknown.
    public static func milliseconds(_ value: Double?) -> String { value.map(ThroughputText.milliseconds) ?? "–" }

    /// A throughput: "1,410", "23.4", "0.83"; "–" when unknown.
    public static func rate(_ value: Double?) -> String { value.map(ThroughputText.rate) ?? "–" }

    /// A fraction as a percentage with one decimal: 0.0431 → "4.3 %".
    public static func percent(_ fraction: Double) -> String {
        String(format: "%.1f %%", fraction * 100)
    }

    /// A fraction of a capacity, rounded: 71 of 80 → "89 %"; a non-zero part under half a percent → "<1 %", or
    /// "-<1 %" for a small negative one (a calibration adjustment that takes a little off), never "-0 %".
    public static func share(_ part: Int, of whole: Int) -> String {
        guard whole > 0 else { return "–" }
        let fraction = Double(part) / Double(whole)
        if part > 0 && fraction < 0.005 { return "<1 %" }
        if part < 0 && fraction > -0.005 { return "-<1 %" }
        return String(format: "%.0f %%", fraction * 100)
    }

    /// A timestamp in UTC, ISO 8601 to the second: "2026-11-26T18:00:00Z".
    public static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0,
            c.second ?? 0)
    }

    /// The calibration in one sentence, saying plainly when it was not tested.
    public static func calibration(_ summary: CalibrationSummary) -> String {
        guard summary.runsUsed > 0 else {
            return "Scope \(summary.scope): no measured runs calibrate these plans; not cross-validated, so the error of "
                + "these numbers is unknown."
        }
        let runs = summary.runsUsed == 1 ? "1 measured run" : "\(summary.runsUsed) measured runs"
        var sentence = "Scope \(summary.scope), fitted on \(runs)"
        let scopes = summary.scope.components(separatedBy: "; ")
        if let counts = summary.scopeObservations, counts.count == scopes.count, summary.runsUsed > 0 {
            // The scope's own evidence, then the whole calibration's: a scope is fitted on its part of the runs.
            let named = zip(scopes, counts).map { "\($0) (\($1) observation\($1 == 1 ? "" : "s"))" }
            sentence = "\(named.count == 1 ? "Scope" : "Scopes") \(joined(named)), of a calibration fitted on \(runs)"
        }
        if let median = summary.crossValidatedMedianError, let p90 = summary.crossValidatedP90Error {
            sentence += "; cross-validated error: median \(percent(median)), 90th percentile \(percent(p90))."
        } else if let median = summary.crossValidatedMedianError {
            sentence += "; cross-validated median error \(percent(median))."
        } else {
            sentence += "; not cross-validated, so the error of these numbers is unknown."
        }
        return sentence
    }

    /// "a", "a and b", "a, b and c".
    static func joined(_ parts: [String]) -> String {
        switch parts.count {
        case 0: ""
        case 1: parts[0]
        default: parts.dropLast().joined(separator: ", ") + " and " + parts.last!
        }
    }
}

extension ReportWording {
    /// A relative error with its sign: 0.031 → "+3.1 %", −0.02 → "−2.0 %".
    public static func signedPercent(_ fraction: Double) -> String {
        let text = String(format: "%.1f %%", abs(fraction) * 100)
        return (fraction < 0 ? "−" : "+") + text
    }
}

/// Whether a card runs every model, some of them, or none: the badge in the summary.
public enum CardVerdict: String, Sendable {
    case fits
    case partial = "partly fits"
    case none = "does not fit"

    public init(_ card: CardSection) {
        let fitting = card.models.filter(\.best.fits).count
        self = fitting == card.models.count ? .fits : fitting == 0 ? .none : .partial
    }
}
