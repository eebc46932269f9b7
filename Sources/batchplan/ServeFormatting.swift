import BatchPlanCore
import BatchPlanReports
import Foundation

/// Serving plans as text and as the `serve --format json` contract.
enum ServeFormatting {
    static let componentLabels = InferenceWording.componentLabels

    static let limiterLabels = ["weights": "weights", "kv_cache": "the KV cache", "activations": "activations"]

    static func text(_ s: InferenceSolution, model: InferenceModel, gpu: GPU, budget: InferenceBudget) -> String {
        let e = s.estimate
        let c = e.configuration
        let size = ByteSize.format(gpu.memoryBytes)
        var setup = "\(model.accounting.name) on \(gpu.name)" + (gpu.name.contains(size) ? "" : " (\(size))") + ": \(c.dtype.rawValue)"
        if c.weights != .native { setup += ", weights \(c.weights.rawValue)" + (c.weights == .int4 ? " (group \(c.groupSize.map(String.init) ?? "per column"))" : "") }
        if model.isDecoder { setup += ", KV cache \(c.cacheDType.rawValue)" + (c.engine == .paged ? " in blocks of \(c.blockSize)" : "") }
        if c.tensorParallel > 1 { setup += ", tensor parallel \(c.tensorParallel) (per GPU)" }
        setup += "; budget \(ByteSize.format(s.budgetBytes)) (\(budget))"
        var lines = [setup, InferenceWording.headline(s, model: model)]
        let total = max(1, e.deviceUsedBytes)
        let limiterBytes = s.limitedBy == "weights" ? e.components.weights : s.limitedBy == "kv_cache" ? e.components.kvCache : e.components.activations
        lines.append("limited by \(limiterLabels[s.limitedBy] ?? s.limitedBy): \(ByteSize.format(limiterBytes)), \(Int((Double(limiterBytes) / Double(total) * 100).rounded()))% of the memory used")
        lines.append("")
        var table = TextTable(headers: ["COMPONENT", "BYTES", "SIZE"], rightAligned: [1, 2])
        for (key, bytes) in e.components.keyed {
            if key == "kv_cache" && !model.isDecoder { continue }
            table.rows.append([componentLabels[key] ?? key, ModelFormatting.count(bytes), ByteSize.format(bytes)])
        }
        lines.append(table.render())
        lines += [
            "",
            "peak allocated   \(ByteSize.format(e.peakAllocatedBytes))   (torch.cuda.max_memory_allocated, activations at \(e.peakPhase))",
            "peak reserved    \(ByteSize.format(e.peakReservedBytes))   (torch.cuda.max_memory_reserved)",
            "device used      \(ByteSize.format(e.deviceUsedBytes))   (nvidia-smi)",
        ]
        if model.isDecoder {
            lines.append("KV cache         \(ByteSize.format(e.kvBytesPerToken)) per token, \(ByteSize.format(e.kvBytesPerSequence)) per sequence of \(e.workload.contextTokens) tokens")
        }
        if !s.suggestions.isEmpty {
            lines.append("would raise it   " + s.suggestions.map { "\($0.change) → \($0.answer)" }.joined(separator: "; "))
        }
        lines.append("calibration      " + (e.calibration.runsUsed > 0 ? "\(e.calibration.scope) from \(e.calibration.runsUsed) inference runs" : "analytic defaults (no inference runs for this card)"))
        lines += e.assumptions.map { "assumes          \($0)" }
        return lines.joined(separator: "\n")
    }

    static func json(_ s: InferenceSolution, model: InferenceModel, gpu: GPU, budget: InferenceBudget) -> [String: Any] {
        let e = s.estimate
        let c = e.configuration
        var components: [String: Any] = [:]
        for (key, bytes) in e.components.keyed { components[key] = bytes }
        let budgetJSON: [String: Any]
        switch budget {
        case let .headroom(headroom): budgetJSON = ["kind": "headroom", "headroom": headroom.description]
        case let .utilization(share): budgetJSON = ["kind": "memory_utilization", "memory_utilization": share]
        }
        return [
            "model": model.accounting.name, "family": model.accounting.family.rawValue, "gpu": gpu.name,
            "gpu_memory_bytes": gpu.memoryBytes, "question": s.question.rawValue, "fits": s.fits, "answer": s.answer,
            "sequences": e.workload.sequences, "context_tokens": e.workload.contextTokens,
            "prompt_tokens": e.workload.promptTokens, "capped_by_positions": s.cappedByPositions,
            "budget": budgetJSON, "budget_bytes": s.budgetBytes, "kv_cache_budget_bytes": s.kvCacheBudgetBytes ?? NSNull(),
            "limited_by": s.limitedBy, "dtype": c.dtype.rawValue, "weights": c.weights.rawValue,
            "group_size": c.weights == .int4 ? (c.groupSize ?? -1) : NSNull(),
            "kv_cache_dtype": model.isDecoder ? c.cacheDType.rawValue : NSNull(), "engine": c.engine.rawValue,
            "block_size": c.engine == .paged ? c.blockSize : NSNull(), "tensor_parallel": c.tensorParallel,
            "attention": c.engine == .paged ? "fused" : c.attention.rawValue,
            "max_batched_tokens": c.engine == .paged ? c.maxBatchedTokens : NSNull(),
            "max_num_seqs": c.engine == .paged ? c.maxSequences : NSNull(),
            "components": components, "peak_allocated_bytes": e.peakAllocatedBytes,
            "peak_reserved_bytes": e.peakReservedBytes, "device_used_bytes": e.deviceUsedBytes,
            "peak_phase": e.peakPhase, "kv_cache_bytes_per_token": e.kvBytesPerToken,
            "kv_cache_bytes_per_sequence": e.kvBytesPerSequence,
            "quantized_parameters": e.weightStorage.quantizedParameters,
            "suggestions": s.suggestions.map { ["change": $0.change, "answer": $0.answer] as [String: Any] },
            "calibration": [
                "scope": e.calibration.scope, "runs_used": e.calibration.runsUsed,
                "runtime_context_bytes": e.calibration.runtimeContextBytes ?? NSNull(),
                "allocator_reserve_ratio": e.calibration.allocatorReserveRatio ?? NSNull(),
            ] as [String: Any],
            "assumptions": e.assumptions,
        ]
    }
}
