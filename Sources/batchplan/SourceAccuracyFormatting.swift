import BatchPlanCatalog
import BatchPlanCore
import Foundation

/// The per-source leave-one-source-out accuracy table of `calibrate --report`.
extension CalibrationFormatting {
    static func sourceTable(_ accuracy: SourceAccuracy) -> String {
        var table = TextTable(
            headers: ["SOURCE", "RUNS", "N", "MEDIAN UNCAL", "P90 UNCAL", "UNDER UNCAL", "MEDIAN CAL", "P90 CAL", "UNDER CAL",
                      "MAXB", "1-STEP UNCAL", "1-STEP CAL"],
            rightAligned: Set(1...11))
        func cells(_ e: AccuracyEvaluation) -> [String] {
            guard let p = e.pooled else { return ["-", "-", "-"] }
            return [percent(p.medianRelativeError), percent(p.p90RelativeError), percent(p.underPredictionRate)]
        }
        for row in accuracy.rows {
            let n = row.analytic.pooled?.count ?? 0
            let maxBatch = row.analytic.maxBatch.count
            table.rows.append(
                [shortSource(row.source), String(row.runs), String(n)] + cells(row.analytic) + cells(row.calibrated)
                    + [String(maxBatch), maxBatch > 0 ? percent(row.analytic.maxBatch.withinOneStepShare) : "-",
                       maxBatch > 0 ? percent(row.calibrated.maxBatch.withinOneStepShare) : "-"])
        }
        return "per source, leave-one-source-out (readings of every counter pooled; UNCAL = analytic, CAL = calibrated "
            + "without the source):\n" + table.render()
    }

    /// A URL's last two path components, or a measuring session's model: enough to tell sources apart in a table.
    static func shortSource(_ source: String) -> String {
        if source.hasPrefix("measured:") { return "measured " + (source.split(separator: ":").last.map(String.init) ?? source) }
        guard source.hasPrefix("http") else { return source }
        let parts = source.split(separator: "/").suffix(2)
        return String(parts.joined(separator: "/").prefix(48))
    }

    static func sourceJSON(_ accuracy: SourceAccuracy) -> [[String: Any]] {
        accuracy.rows.map { row -> [String: Any] in
            func pooled(_ e: AccuracyEvaluation) -> Any {
                guard let p = e.pooled else { return NSNull() }
                return ["count": p.count, "median_relative_error": p.medianRelativeError,
                        "p90_relative_error": p.p90RelativeError, "under_prediction_rate": p.underPredictionRate]
            }
            return ["source": row.source, "runs": row.runs, "uncalibrated": pooled(row.analytic),
                    "calibrated": pooled(row.calibrated), "max_batch_count": row.analytic.maxBatch.count,
                    "max_batch_within_one_step_uncalibrated": row.analytic.maxBatch.withinOneStepShare,
                    "max_batch_within_one_step_calibrated": row.calibrated.maxBatch.withinOneStepShare]
        }
    }
}
