import BatchPlanCatalog
import BatchPlanCore
import Foundation

/// Calibration factors and the cross-validation report as a table and as JSON.
enum CalibrationFormatting {
    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    static func factorsTable(_ model: CalibrationModel) -> String {
        var table = TextTable(
            headers: ["SCOPE", "OBSERVATIONS", "ACTIVATIONS", "TEMPORARIES", "RESERVE", "CONTEXT", "SPREAD", "LORO BEFORE",
                      "LORO AFTER", "APPLIED"], rightAligned: [1, 2, 3, 4, 5, 6, 7, 8])
        for (scope, factors) in model.factors.sorted(by: { ($0.key.level, $0.key.key) < ($1.key.level, $1.key.key) }) {
            table.rows.append([
                scope.description, String(factors.runsUsed), String(format: "×%.3f", factors.activationScale),
                String(format: "×%.3f", factors.modelStateScale),
                factors.allocatorReserveRatio.map { percent($0) } ?? "default",
                factors.runtimeContextBytes.map(ByteSize.format) ?? "default", String(format: "±%.3f", factors.logSpread),
                factors.gateErrorBefore.map(gatePercent) ?? "-", factors.gateErrorAfter.map(gatePercent) ?? "-",
                factors.runsUsed < model.minimumRuns ? "too few" : factors.applied ? "yes" : "skipped",
            ])
        }
        // OBSERVATIONS counts what the fit weighed, as the first line's total does: a run gives one per memory
        // counter it read (up to three) and a maximum-batch fact two (ran at B, out of memory at the next batch).
        return "per scope: factors, and the leave-one-run-out error on the scope's own runs without it (BEFORE: its "
            + "parent, or the analytic model when lower) and with it (AFTER); a scope applies only when AFTER is lower\n"
            + table.render()
    }

    /// A mean |log error| as a relative error.
    static func gatePercent(_ logError: Double) -> String { percent(exp(logError) - 1) }

    static func reportTable(_ report: CrossValidationReport) -> String {
        var table = TextTable(
            headers: ["ROWS", "N", "MEDIAN BEFORE", "P90 BEFORE", "UNDER BEFORE", "MEDIAN AFTER", "P90 AFTER", "UNDER AFTER"],
            rightAligned: [1, 2, 3, 4, 5, 6, 7])
        var outcomes = TextTable(headers: ["ROWS", "N", "RIGHT BEFORE", "RIGHT AFTER"], rightAligned: [1, 2, 3])
        for row in report.rows {
            let label = row.key.isEmpty ? row.dimension.rawValue : "\(row.dimension.rawValue) \(row.key)"
            if row.measuredBefore.count > 0 {
                table.rows.append([
                    label, String(row.measuredBefore.count), percent(row.measuredBefore.medianRelativeError),
                    percent(row.measuredBefore.p90RelativeError), percent(row.measuredBefore.underPredictionRate),
                    percent(row.measuredAfter.medianRelativeError), percent(row.measuredAfter.p90RelativeError),
                    percent(row.measuredAfter.underPredictionRate),
                ])
            }
            if row.outcomesBefore.count > 0 {
                outcomes.rows.append([label, String(row.outcomesBefore.count), percent(row.outcomesBefore.correctShare),
                                      percent(row.outcomesAfter.correctShare)])
            }
        }
        return "measured peaks (relative error, leave-one-source-out over \(report.folds.count) sources):\n" + table.render()
            + "\n\noutcomes (OOM / fits / max-batch facts predicted on the right side of the card):\n" + outcomes.render()
    }

    static func table(_ model: CalibrationModel, report: CrossValidationReport?) -> String {
        var text = factorsTable(model)
        if let report { text += "\n\n" + reportTable(report) }
        return text
    }

    static func summaryJSON(_ summary: ErrorSummary) -> [String: Any] {
        ["count": summary.count, "median_relative_error": summary.medianRelativeError,
         "p90_relative_error": summary.p90RelativeError, "under_prediction_rate": summary.underPredictionRate]
    }

    static func json(_ model: CalibrationModel, observations: Int, report: CrossValidationReport?) -> [String: Any] {
        var object: [String: Any] = [
            "observations": observations,
            "scopes": model.factors.sorted(by: { ($0.key.level, $0.key.key) < ($1.key.level, $1.key.key) }).map { scope, f -> [String: Any] in
                ["level": scope.level.rawValue, "key": scope.key, "runs_used": f.runsUsed, "activation_scale": f.activationScale,
                 "model_state_scale": f.modelStateScale, "allocator_reserve_ratio": f.allocatorReserveRatio ?? NSNull(),
                 "runtime_context_bytes": f.runtimeContextBytes ?? NSNull(), "log_spread": f.logSpread,
                 "applied": f.applied && f.runsUsed >= model.minimumRuns,
                 "loro_error_before": f.gateErrorBefore.map { exp($0) - 1 } ?? NSNull(),
                 "loro_error_after": f.gateErrorAfter.map { exp($0) - 1 } ?? NSNull(),
                 "skip_reason": f.runsUsed < model.minimumRuns
                    ? "fewer than \(model.minimumRuns) runs" as Any : (f.skipReason.map { $0 as Any } ?? NSNull())]
            },
        ]
        if let report {
            object["cross_validation"] = [
                "sources": report.folds.count,
                "rows": report.rows.map { row -> [String: Any] in
                    ["dimension": row.dimension.rawValue, "key": row.key,
                     "before": summaryJSON(row.measuredBefore), "after": summaryJSON(row.measuredAfter),
                     "outcomes_before": ["count": row.outcomesBefore.count, "correct_share": row.outcomesBefore.correctShare],
                     "outcomes_after": ["count": row.outcomesAfter.count, "correct_share": row.outcomesAfter.correctShare]]
                },
            ]
        }
        return object
    }

    static func accuracyTable(_ accuracy: AccuracyEvaluation) -> String {
        var table = TextTable(headers: ["COUNTER", "N", "MEDIAN ERROR", "P90 ERROR", "UNDER-PREDICTED"], rightAligned: [1, 2, 3, 4])
        for counter in accuracy.counters {
            table.rows.append([counter.counter, String(counter.count), percent(counter.medianRelativeError),
                               percent(counter.p90RelativeError), percent(counter.underPredictionRate)])
        }
        let m = accuracy.maxBatch
        return "uncalibrated planner against every usable run (in-sample):\n" + table.render() + "\n"
            + "max_batch facts: \(m.count), within one step (×\(AccuracyEvaluation.step)) \(percent(m.withinOneStepShare)), "
            + "predicted above the true maximum \(percent(m.overPredictionRate)), median predicted/measured \(String(format: "%.2f", m.medianRatio))\n"
            + "fits/oom facts: \(accuracy.outcomeCount), on the right side of the card \(percent(accuracy.outcomesRight))"
    }

    static func accuracyJSON(_ accuracy: AccuracyEvaluation) -> [String: Any] {
        [
            "counters": accuracy.counters.map { c -> [String: Any] in
                ["counter": c.counter, "count": c.count, "median_relative_error": c.medianRelativeError,
                 "p90_relative_error": c.p90RelativeError, "under_prediction_rate": c.underPredictionRate]
            },
            "max_batch": ["count": accuracy.maxBatch.count, "within_one_step_share": accuracy.maxBatch.withinOneStepShare,
                          "over_prediction_rate": accuracy.maxBatch.overPredictionRate, "median_ratio": accuracy.maxBatch.medianRatio],
            "outcomes": ["count": accuracy.outcomeCount, "right_share": accuracy.outcomesRight],
        ]
    }
}
