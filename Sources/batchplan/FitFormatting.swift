import BatchPlanCatalog
import BatchPlanCore
import Foundation

/// `fit` results as a table, CSV and the documented JSON contract.
enum FitFormatting {
    static func planJSON(_ plan: PlanCandidate, memory: Int?) -> [String: Any] {
        var components: [String: Any] = [:]
        for (key, bytes) in plan.estimate.components.keyed { components[key] = bytes }
        let c = plan.configuration
        return [
            "gpu": plan.gpu, "gpu_memory_bytes": memory ?? NSNull(), "model": plan.model,
            "precision": c.precision.rawValue, "optimizer": c.optimizer.rawValue, "checkpointing": c.checkpointing.rawValue,
            "mode": c.mode.rawValue, "lora_rank": (c.mode == .lora || c.mode == .qlora) ? c.loraRank : NSNull(),
            "gpus": c.gpus, "zero_stage": c.zeroStage, "fits": plan.fits, "max_batch_size": plan.maxBatchSize,
            "grad_accum_steps": plan.gradAccumSteps, "effective_batch_size": plan.maxBatchSize * plan.gradAccumSteps * c.gpus,
            "device_used_bytes": plan.deviceUsedBytes, "headroom_bytes": plan.headroomBytes,
            "peak_allocated_bytes": plan.estimate.peakAllocatedBytes, "peak_reserved_bytes": plan.estimate.peakReservedBytes,
            "components": components, "why_not": plan.whyNot ?? NSNull(), "rank": plan.rank,
            "calibration": ["scope": plan.estimate.calibrationScope.description],
            "calibration_adjustment_bytes": plan.estimate.components.calibrationAdjustment,
        ]
    }

    static func json(_ results: [FitResult], memory: [String: Int], alternatives: Int?) -> [String: Any] {
        var plans: [[String: Any]] = []
        var summaries: [[String: Any]] = []
        for result in results {
            let shown = alternatives.map { Array(result.alternatives.prefix($0)) } ?? result.alternatives
            for plan in (result.best.map { [$0] } ?? []) + shown { plans.append(planJSON(plan, memory: memory[plan.gpu])) }
            var summary: [String: Any] = ["gpu": result.gpu, "model": result.model, "fits": result.best != nil,
                                          "assumptions": result.assumptions]
            if let nothing = result.nothingFits {
                summary["shortfall_bytes"] = nothing.shortfallBytes
                summary["required_memory_bytes"] = nothing.requiredMemoryBytes
                summary["suggestions"] = nothing.suggestions.map { ["change": $0.change, "max_batch_size": $0.maxBatchSize] }
            }
            summaries.append(summary)
        }
        return ["plans": plans, "results": summaries]
    }

    static func csv(_ results: [FitResult], memory: [String: Int]) -> String {
        let header = "gpu,gpu_memory_bytes,model,rank,precision,optimizer,checkpointing,mode,fits,max_batch_size,grad_accum_steps,device_used_bytes,headroom_bytes,why_not"
        var lines = [header]
        for result in results {
            for plan in (result.best.map { [$0] } ?? []) + result.alternatives {
                let c = plan.configuration
                lines.append([plan.gpu, memory[plan.gpu].map(String.init) ?? "", plan.model, String(plan.rank),
                              c.precision.rawValue, c.optimizer.rawValue, c.checkpointing.rawValue, c.mode.rawValue,
                              plan.fits ? "true" : "false", String(plan.maxBatchSize), String(plan.gradAccumSteps),
                              String(plan.deviceUsedBytes), String(plan.headroomBytes), plan.whyNot ?? ""]
                    .map(CSV.escape).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func table(_ results: [FitResult], gpus: [GPU], headroom: Headroom, alternatives: Int) -> String {
        var sections: [String] = []
        for gpu in gpus {
            let forCard = results.filter { $0.gpu == gpu.name }
            var lines = ["\(gpu.name): \(ByteSize.format(gpu.memoryBytes)), headroom \(headroom)"]
            var table = TextTable(
                headers: ["MODEL", "PRECISION", "OPTIMIZER", "CHECKPOINT", "MODE", "MICRO-BATCH", "ACCUM", "DEVICE USED", "NOTE"],
                rightAligned: [5, 6, 7])
            for result in forCard {
                if let best = result.best {
                    let c = best.configuration
                    table.rows.append([result.model, c.precision.rawValue, c.optimizer.rawValue, c.checkpointing.rawValue,
                                       c.mode == .lora || c.mode == .qlora ? "\(c.mode.rawValue) r\(c.loraRank)" : c.mode.rawValue,
                                       String(best.maxBatchSize), String(best.gradAccumSteps), ByteSize.format(best.deviceUsedBytes),
                                       best.estimate.calibrationScope == .global && best.estimate.uncertaintyBytes == 0 ? "" : "calibrated: \(best.estimate.calibrationScope)"])
                } else {
                    let short = result.nothingFits.map { "nothing fits: short by \(ByteSize.format($0.shortfallBytes))" } ?? "nothing fits"
                    table.rows.append([result.model, "-", "-", "-", "-", "0", "-", "-", short])
                }
            }
            lines.append(table.render())
            for result in forCard {
                if alternatives > 0, result.best != nil {
                    lines.append("")
                    lines.append("alternatives for \(result.model):")
                    for plan in result.alternatives.prefix(alternatives) {
                        let c = plan.configuration
                        lines.append("  \(c.precision.rawValue) \(c.optimizer.rawValue) ckpt=\(c.checkpointing.rawValue) \(c.mode.rawValue): "
                            + "batch \(plan.maxBatchSize) — \(plan.whyNot ?? "")")
                    }
                }
                if let nothing = result.nothingFits, !nothing.suggestions.isEmpty {
                    lines.append("  \(result.model): needs \(ByteSize.format(nothing.requiredMemoryBytes)) at batch 1; would fit with: "
                        + nothing.suggestions.prefix(3).map { "\($0.change) (batch \($0.maxBatchSize))" }.joined(separator: "; "))
                }
            }
            // With several models, only what every plan on the card assumes; per-model notes are in --format json.
            let shared = forCard.dropFirst().reduce(forCard.first?.assumptions ?? []) { common, result in
                common.filter(result.assumptions.contains)
            }
            if !shared.isEmpty {
                lines.append("")
                lines += shared.map { "assumes: \($0)" }
            }
            sections.append(lines.joined(separator: "\n"))
        }
        return sections.joined(separator: "\n\n")
    }
}
