import BatchPlanCatalog
import BatchPlanCore
import BatchPlanReports
import Foundation

/// How a saved plan's answer changed when its query runs again with today's calibration: per card × model, the old
/// and new chosen plan, largest batch and device memory.
struct PlanComparison {
    struct Row {
        var gpu: String
        var model: String
        var old: PlanCandidate?
        var new: PlanCandidate?

        var changed: Bool {
            old?.maxBatchSize != new?.maxBatchSize || old?.configuration != new?.configuration
                || old?.deviceUsedBytes != new?.deviceUsedBytes
        }
    }

    var name: String
    var savedAt: String
    var oldCalibration: CalibrationSummary
    var newCalibration: CalibrationSummary
    var rows: [Row]

    init(saved: SavedPlans.Loaded, outcome: FitOutcome, newCalibration: CalibrationSummary) {
        name = saved.plan.name
        savedAt = saved.plan.createdAt
        oldCalibration = saved.result.input.calibration
        self.newCalibration = newCalibration
        rows = saved.result.input.results.map { old in
            let new = outcome.results.first { $0.gpu == old.gpu && $0.model == old.model }
            return Row(gpu: old.gpu, model: old.model, old: old.best, new: new?.best)
        }
    }

    static func label(_ plan: PlanCandidate?) -> String {
        guard let plan else { return "nothing fits" }
        return PlanningReportBuilder.row(plan, accumulation: false).combinationLabel
    }

    static func change(_ old: Int, _ new: Int) -> String {
        guard old != new else { return "same" }
        let delta = new - old
        let percent = old > 0 ? String(format: " (%+.0f %%)", Double(delta) / Double(old) * 100) : ""
        return String(format: "%+d", delta) + percent
    }

    func markdown() -> String {
        var lines = [
            "# Saved plan \"\(name)\": then and now", "",
            "Saved \(savedAt). Calibration then: \(ReportWording.calibration(oldCalibration))",
            "Calibration now: \(ReportWording.calibration(newCalibration))", "",
            "| Card | Model | Plan then | Plan now | Max batch then | Max batch now | Change | Device used then | Device used now |",
            "|---|---|---|---|--:|--:|--:|--:|--:|",
        ]
        for row in rows {
            let oldBatch = row.old?.maxBatchSize ?? 0, newBatch = row.new?.maxBatchSize ?? 0
            lines.append("| " + [
                row.gpu, row.model, Self.label(row.old), Self.label(row.new), String(oldBatch), String(newBatch),
                Self.change(oldBatch, newBatch), row.old.map { ByteSize.format($0.deviceUsedBytes) } ?? "–",
                row.new.map { ByteSize.format($0.deviceUsedBytes) } ?? "–",
            ].map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        let changed = rows.filter(\.changed).count
        lines += ["", changed == 0 ? "No answer changed." : "\(changed) of \(rows.count) answers changed."]
        return lines.joined(separator: "\n")
    }

    func csv() -> String {
        let header = "gpu,model,old_plan,new_plan,old_max_batch_size,new_max_batch_size,old_device_used_bytes,new_device_used_bytes,changed"
        return ([header] + rows.map { row in
            [row.gpu, row.model, Self.label(row.old), Self.label(row.new), String(row.old?.maxBatchSize ?? 0),
             String(row.new?.maxBatchSize ?? 0), row.old.map { String($0.deviceUsedBytes) } ?? "",
             row.new.map { String($0.deviceUsedBytes) } ?? "", row.changed ? "true" : "false"]
                .map(CSV.escape).joined(separator: ",")
        }).joined(separator: "\n")
    }

    func json() throws -> String {
        func calibration(_ summary: CalibrationSummary) -> [String: Any] {
            ["scope": summary.scope, "runs_used": summary.runsUsed,
             "cv_median_relative_error": summary.crossValidatedMedianError ?? NSNull(),
             "cv_p90_relative_error": summary.crossValidatedP90Error ?? NSNull()]
        }
        func plan(_ candidate: PlanCandidate?) -> Any {
            guard let candidate else { return NSNull() }
            let c = candidate.configuration
            return ["precision": c.precision.rawValue, "optimizer": c.optimizer.rawValue, "checkpointing": c.checkpointing.rawValue,
                    "mode": c.mode.rawValue, "max_batch_size": candidate.maxBatchSize,
                    "device_used_bytes": candidate.deviceUsedBytes] as [String: Any]
        }
        return try Output.json([
            "kind": "plan_comparison", "plan": name, "saved_at": savedAt,
            "calibration": ["then": calibration(oldCalibration), "now": calibration(newCalibration)],
            "rows": rows.map { row -> [String: Any] in
                ["gpu": row.gpu, "model": row.model, "then": plan(row.old), "now": plan(row.new), "changed": row.changed]
            },
        ])
    }
}
