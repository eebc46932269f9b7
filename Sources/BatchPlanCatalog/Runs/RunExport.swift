import BatchPlanCore
import Foundation

extension RunFile {
    /// Columns of batchplan's own runs format, in order: what `runs export` writes and `runs import` reads.
    public static let columns = [
        "id", "kind", "model", "gpu", "gpu_memory_bytes", "memory_cap_bytes", "framework", "cuda_version",
        "driver_version", "precision", "optimizer", "checkpointing", "training_mode", "lora_rank", "attention", "task",
        "batch_size", "bracket_next", "grad_accum_steps", "seq_len", "image_size", "gpus", "zero_stage", "outcome",
        "peak_allocated_bytes", "peak_reserved_bytes", "device_used_bytes", "peak_bytes", "context_bytes",
        "step_time_ms", "source", "url", "notes", "unmodelled", "recorded_at", "trainer", "optimizer_impl",
        "optimizer_in_backward", "grad_set_to_none", "bucket_view", "loss_dtype", "autocast_cache", "paged_state",
        "lora_targets", "lora_dropout", "phase", "weight_format", "kv_cache_dtype", "tensor_parallel",
    ]

    /// One run as column → value (`nil` for absent), settings as the source wrote them.
    public static func fields(of run: MeasuredRun) -> [String: String?] {
        var unmodelled = run.unmodelled
        let precision = unmodelled.removeValue(forKey: "precision") ?? run.precision?.rawValue
        let optimizer = unmodelled.removeValue(forKey: "optimizer") ?? run.optimizer?.rawValue
        let mode = unmodelled.removeValue(forKey: "training_mode") ?? run.trainingMode?.rawValue
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let extra = unmodelled.isEmpty ? nil : String(decoding: (try? encoder.encode(unmodelled)) ?? Data(), as: UTF8.self)
        let values: [String: String?] = [
            "id": run.key, "kind": run.kind.rawValue, "model": run.model, "gpu": run.gpu,
            "gpu_memory_bytes": run.gpuMemoryBytes.map(String.init), "memory_cap_bytes": run.memoryCapBytes.map(String.init),
            "framework": run.framework, "cuda_version": run.cudaVersion, "driver_version": run.driverVersion,
            "precision": precision, "optimizer": optimizer, "checkpointing": run.checkpointing.rawValue,
            "training_mode": mode, "lora_rank": run.loraRank.map(String.init), "attention": run.attention?.rawValue,
            "task": run.task?.rawValue, "batch_size": run.batchSize.map(String.init),
            "bracket_next": run.bracketNext.map(String.init), "grad_accum_steps": String(run.gradAccumSteps),
            "seq_len": run.seqLen.map(String.init), "image_size": run.imageSize.map(String.init), "gpus": String(run.gpus),
            "zero_stage": String(run.zeroStage), "outcome": run.outcome.rawValue,
            "peak_allocated_bytes": run.peakAllocatedBytes.map(String.init),
            "peak_reserved_bytes": run.peakReservedBytes.map(String.init),
            "device_used_bytes": run.deviceUsedBytes.map(String.init), "peak_bytes": run.peakUnspecifiedBytes.map(String.init),
            "context_bytes": run.contextBytes.map(String.init), "step_time_ms": run.stepTimeMs.map { String($0) },
            "source": run.source, "url": run.url, "notes": run.notes, "unmodelled": extra, "recorded_at": run.recordedAt,
            "trainer": run.trainer, "optimizer_impl": run.stack?.optimizerImplementation?.rawValue,
            "optimizer_in_backward": run.stack?.optimizerInBackward.map { String($0) },
            "grad_set_to_none": run.stack?.gradientsSetToNone.map { String($0) },
            "bucket_view": run.stack?.gradientAsBucketView.map { String($0) },
            "loss_dtype": run.stack?.lossInComputeDtype.map { $0 ? "compute" : "fp32" },
            "autocast_cache": run.stack?.autocastWeightCache.map { String($0) },
            "paged_state": run.stack?.pagedStateEvictable.map { $0 ? "evictable" : "resident" },
            "lora_targets": run.loraTargets.map { $0.joined(separator: ",") }, "lora_dropout": run.loraDropout.map { String($0) },
            "phase": (run.phase ?? .training).rawValue, "weight_format": run.weightFormat?.rawValue,
            "kv_cache_dtype": run.kvCacheDType?.rawValue, "tensor_parallel": run.tensorParallel.map(String.init),
        ]
        return values
    }

    /// Columns whose values are numbers in JSON.
    public static let numericColumns: Set<String> = [
        "gpu_memory_bytes", "memory_cap_bytes", "lora_rank", "batch_size", "bracket_next", "grad_accum_steps", "seq_len",
        "image_size", "gpus", "zero_stage", "peak_allocated_bytes", "peak_reserved_bytes", "device_used_bytes",
        "peak_bytes", "context_bytes", "step_time_ms", "lora_dropout", "tensor_parallel",
    ]

    /// Writes runs in batchplan's own format; the output imports back unchanged.
    public static func export(_ runs: [MeasuredRun], format: Format) -> String {
        switch format {
        case .csv:
            let lines = runs.map { run -> String in
                let values = fields(of: run)
                return columns.map { CSV.escape((values[$0] ?? nil) ?? "") }.joined(separator: ",")
            }
            return ([columns.joined(separator: ",")] + lines).joined(separator: "\n") + "\n"
        case .jsonl:
            return runs.map { run -> String in
                let values = fields(of: run)
                let parts = columns.compactMap { column -> String? in
                    guard let value = values[column] ?? nil else { return nil }
                    let encoded = numericColumns.contains(column) ? value : jsonString(value)
                    return "\(jsonString(column)): \(encoded)"
                }
                return "{" + parts.joined(separator: ", ") + "}"
            }.joined(separator: "\n") + (runs.isEmpty ? "" : "\n")
        }
    }

    private static func jsonString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }
}
