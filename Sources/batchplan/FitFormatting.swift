import BatchPlanCatalog
import BatchPlanCore
import Foundation

/// `fit` results as a table, CSV and the documented JSON contract.
enum FitFormatting {
    /// What a fit was asked to rank by and report, beyond the results themselves.
    struct Context {
        var prefer: PlanPreference = .speed
        var datasetSize: Int?
    }

    static func planJSON(_ plan: PlanCandidate, memory: Int?, context: Context = Context()) -> [String: Any] {
        var components: [String: Any] = [:]
        for (key, bytes) in plan.estimate.components.keyed { components[key] = bytes }
        let c = plan.configuration
        var json: [String: Any] = [
            "gpu": plan.gpu, "gpu_memory_bytes": memory ?? NSNull(), "model": plan.model,
            "precision": c.precision.rawValue, "optimizer": c.optimizer.rawValue, "checkpointing": c.checkpointing.rawValue,
            "mode": c.mode.rawValue, "lora_rank": (c.mode == .lora || c.mode == .qlora) ? c.loraRank : NSNull(),
            "gpus": c.gpus, "zero_stage": c.zeroStage, "fits": plan.fits, "max_batch_size": plan.maxBatchSize,
            "grad_accum_steps": plan.gradAccumSteps, "effective_batch_size": plan.maxBatchSize * plan.gradAccumSteps * c.gpus,
            "device_used_bytes": plan.deviceUsedBytes, "headroom_bytes": plan.headroomBytes,
            "peak_allocated_bytes": plan.estimate.peakAllocatedBytes, "peak_reserved_bytes": plan.estimate.peakReservedBytes,
            "components": components, "why_not": plan.whyNot ?? NSNull(), "rank": plan.rank,
            "calibration": ["scope": plan.estimate.calibrationScope.description],
            "prefer": context.prefer.rawValue,
            "precision_standing": plan.precisionStanding?.rawValue ?? NSNull(),
            "precision_note": plan.precisionNote ?? NSNull(),
            "calibration_adjustment_bytes": plan.estimate.components.calibrationAdjustment,
        ]
        json.merge(StepTimeFormatting.json(plan.stepTime, datasetSize: context.datasetSize)) { _, new in new }
        return json
    }

    /// The input a result was planned at, as JSON: `{"kind": "image", "shape": [3, 224, 224]}` or
    /// `{"kind": "sequence", "length": 512}`.
    static func inputJSON(_ input: InputSize?) -> Any {
        switch input {
        case let .image(c, h, w)?: ["kind": "image", "shape": [c, h, w]] as [String: Any]
        case let .sequence(length)?: ["kind": "sequence", "length": length] as [String: Any]
        case let .tensor(dims)?: ["kind": "tensor", "shape": dims] as [String: Any]
        case nil: NSNull()
        }
    }

    static func json(_ results: [FitResult], memory: [String: Int], alternatives: Int?, context: Context = Context()) -> [String: Any] {
        var plans: [[String: Any]] = []
        var summaries: [[String: Any]] = []
        for result in results {
            let shown = alternatives.map { Array(result.alternatives.prefix($0)) } ?? result.alternatives
            for plan in (result.best.map { [$0] } ?? []) + shown {
                plans.append(planJSON(plan, memory: memory[plan.gpu], context: context))
            }
            var summary: [String: Any] = ["gpu": result.gpu, "model": result.model, "fits": result.best != nil,
                                          "assumptions": result.assumptions, "input": inputJSON(result.input),
                                          "task": result.task?.rawValue ?? NSNull()]
            if let nothing = result.nothingFits {
                summary["shortfall_bytes"] = nothing.shortfallBytes
                summary["required_memory_bytes"] = nothing.requiredMemoryBytes
                summary["suggestions"] = nothing.suggestions.map { ["change": $0.change, "max_batch_size": $0.maxBatchSize] }
            }
            summaries.append(summary)
        }
        return ["plans": plans, "results": summaries]
    }

    static func csv(_ results: [FitResult], memory: [String: Int], context: Context = Context()) -> String {
        let header = "gpu,gpu_memory_bytes,model,rank,precision,optimizer,checkpointing,mode,fits,max_batch_size,grad_accum_steps,device_used_bytes,headroom_bytes,why_not,input,task,step_time_ms,samples_per_second,tokens_per_second,epoch_seconds,precision_standing"
        var lines = [header]
        for result in results {
            for plan in (result.best.map { [$0] } ?? []) + result.alternatives {
                let c = plan.configuration
                let t = plan.stepTime
                func number(_ value: Double?, _ digits: Int) -> String {
                    value.map { String(StepTimeFormatting.rounded($0, digits)) } ?? ""
                }
                lines.append([plan.gpu, memory[plan.gpu].map(String.init) ?? "", plan.model, String(plan.rank),
                              c.precision.rawValue, c.optimizer.rawValue, c.checkpointing.rawValue, c.mode.rawValue,
                              plan.fits ? "true" : "false", String(plan.maxBatchSize), String(plan.gradAccumSteps),
                              String(plan.deviceUsedBytes), String(plan.headroomBytes), plan.whyNot ?? "",
                              result.input.map(String.init(describing:)) ?? "", result.task?.rawValue ?? "",
                              number(t?.stepTimeMs, 3), number(t?.samplesPerSecond, 2), number(t?.tokensPerSecond, 1),
                              number(context.datasetSize.flatMap { size in t.map { $0.seconds(forSamples: size) } }, 1),
                              plan.precisionStanding?.rawValue ?? ""]
                    .map(CSV.escape).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One plan's step-time cells: step time, samples/s, tokens/s, and the epoch with a dataset size.
    static func stepCells(_ plan: PlanCandidate, datasetSize: Int?) -> [String] {
        guard let t = plan.stepTime else { return ["-", "-", "-"] + (datasetSize == nil ? [] : ["-"]) }
        var cells = [StepTimeFormatting.duration(milliseconds: t.stepTimeMs), StepTimeFormatting.rate(t.samplesPerSecond),
                     t.tokensPerSecond.map(StepTimeFormatting.rate) ?? "-"]
        if let datasetSize { cells.append(StepTimeFormatting.duration(seconds: t.seconds(forSamples: datasetSize))) }
        return cells
    }

    /// The ranking a card's plans were ordered by, as the header says it: the one asked for, or `batch` where
    /// `speed` needed step times the card's rates could not give (per model when they differ).
    static func rankingWords(_ results: [FitResult], asked: PlanPreference) -> String {
        let used = results.map { $0.ranking ?? asked }
        guard used.contains(where: { $0 != asked }) else { return "ranked by \(asked.rawValue)" }
        let reason = asked == .speed ? " (speed needs every plan's step time)" : ""
        guard Set(used).count == 1 else {
            let fallen = zip(results, used).filter { $0.1 != asked }.map { "\($0.0.model) by \($0.1.rawValue)" }
            return "ranked by \(asked.rawValue), \(fallen.joined(separator: ", "))\(reason)"
        }
        return "ranked by \(used[0].rawValue)\(reason)"
    }

    static func table(
        _ results: [FitResult], gpus: [GPU], headroom: Headroom, alternatives: Int, context: Context = Context()
    ) -> String {
        var sections: [String] = []
        let epoch = context.datasetSize != nil
        for gpu in gpus {
            let forCard = results.filter { $0.gpu == gpu.name }
            var lines = ["\(gpu.name): \(ByteSize.format(gpu.memoryBytes)), headroom \(headroom), \(rankingWords(forCard, asked: context.prefer))"]
            var table = TextTable(
                headers: ["MODEL", "INPUT", "TASK", "PRECISION", "OPTIMIZER", "CHECKPOINT", "MODE", "MICRO-BATCH", "ACCUM",
                          "DEVICE USED", "STEP", "SAMPLES/S", "TOKENS/S"] + (epoch ? ["EPOCH"] : []) + ["NOTE"],
                rightAligned: Set([7, 8, 9, 10, 11, 12] + (epoch ? [13] : [])))
            for result in forCard {
                let input = result.input.map(String.init(describing:)) ?? "-"
                let task = result.task?.rawValue ?? "-"
                if let best = result.best {
                    let c = best.configuration
                    // Every plan says what its memory figures rest on: a calibrated scope, or the analytic model alone.
                    let calibrated = best.estimate.isCalibrated
                        ? "calibrated: \(best.estimate.calibrationScope)" : "analytic (no calibrated scope)"
                    let note = [PrecisionPolicy.shortNote(c.precision, mode: c.mode), calibrated].compactMap { $0 }
                    table.rows.append([result.model, input, task, c.precision.rawValue, c.optimizer.rawValue, c.checkpointing.rawValue,
                                       c.mode == .lora || c.mode == .qlora ? "\(c.mode.rawValue) r\(c.loraRank)" : c.mode.rawValue,
                                       String(best.maxBatchSize), String(best.gradAccumSteps), ByteSize.format(best.deviceUsedBytes)]
                                      + stepCells(best, datasetSize: context.datasetSize) + [note.joined(separator: "; ")])
                } else {
                    // No plan at all, not even one that overflows: every combination was refused on this card,
                    // most often a precision it cannot run (the assumes lines say which and why).
                    let refused = result.alternatives.isEmpty
                        ? (result.assumptions.contains { $0.contains(" needs a card with ") }
                            ? "no plan: the precisions asked do not run on \(gpu.name) (see assumes)" : "no plan (see assumes)")
                        : "nothing fits"
                    let short = result.nothingFits.map { "nothing fits: short by \(ByteSize.format($0.shortfallBytes))" } ?? refused
                    table.rows.append([result.model, input, task, "-", "-", "-", "-", "0", "-", "-", "-", "-", "-"]
                                      + (epoch ? ["-"] : []) + [short])
                }
            }
            lines.append(table.render())
            for result in forCard {
                if alternatives > 0, let best = result.best {
                    if let note = best.precisionNote { lines += ["", "\(result.model): \(note)"] }
                    lines.append("")
                    lines.append("alternatives for \(result.model):")
                    for plan in result.alternatives.prefix(alternatives) {
                        let c = plan.configuration
                        let speed = plan.stepTime.map { ", \(StepTimeFormatting.rate($0.samplesPerSecond)) samples/s" } ?? ""
                        lines.append("  \(c.precision.rawValue) \(c.optimizer.rawValue) ckpt=\(c.checkpointing.rawValue) \(c.mode.rawValue): "
                            + "batch \(plan.maxBatchSize)\(speed) — \(plan.whyNot ?? "")")
                    }
                }
                if let nothing = result.nothingFits, !nothing.suggestions.isEmpty {
                    // Against the card's size in the header: "needs 12.03 GiB" on a 12.0 GiB card, not "needs 12.0 GiB".
                    let needs = ByteSize.format(nothing.requiredMemoryBytes, against: gpu.memoryBytes).0
                    // A card size, with the headroom asked kept free on that card: "short by" above keeps this card's
                    // headroom, so with a percentage headroom the two differ by the headroom of the difference.
                    lines.append("  \(result.model): needs a \(needs) card at batch 1; would fit with: "
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
            let scopes = forCard.compactMap { $0.best?.stepTime?.scope }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            if !scopes.isEmpty, !shared.contains(where: { $0.hasPrefix("step time:") }) {
                lines.append("assumes: step times from a per-layer roofline over \(gpu.name)'s TFLOPS and bandwidth with launch "
                    + "overhead and the optimizer's memory traffic, calibrated from runs' step times (scopes: "
                    + "\(scopes.joined(separator: ", "))); each plan's breakdown is in --format json")
            }
            if gpu.origin == .user, gpu.sourceURL.hasPrefix("--memory") {
                lines.append("assumes: card: \(gpu.sourceURL)")
            }
            sections.append(lines.joined(separator: "\n"))
        }
        return sections.joined(separator: "\n\n")
    }
}
