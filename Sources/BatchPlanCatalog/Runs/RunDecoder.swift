import BatchPlanCore
import Foundation

/// Turns one row of a runs file into a `MeasuredRun`.
///
/// Reads batchplan's own export format, what `tools/measure_torch.py` writes, and the published-measurements format
/// (`kind`, `counter`, `value`, `unit`, `value_bytes`, `grad_checkpointing`, precision names such as `bf16-true`).
struct RunDecoder {
    var origin: RowOrigin
    var now: String
    /// Built-in published rows are kept even when incomplete (e.g. a "fits" fact given in tokens, not samples):
    /// the problem is stored with the row, which `runs list --unusable` then lists.
    var lenient: Bool { origin == .builtin }

    typealias Problem = RunFields.Problem

    /// Names other tools use for batchplan's precisions.
    static let precisionSynonyms: [String: Precision] = [
        "bf16-true": .bf16, "bf16-pure": .bf16, "true-bf16": .bf16, "fp16-true": .fp16, "16-mixed": .fp16Amp,
        "fp16-mixed": .fp16Amp, "bf16-mixed": .bf16Amp, "amp": .fp16Amp, "32": .fp32, "32-true": .fp32,
        "fp8-te": .fp8,
    ]

    func decode(_ fields: RunFields) throws -> MeasuredRun {
        var unmodelled: [String: String] = [:]
        guard let model = try fields.string("model") else { throw Problem(message: "model is required") }
        let kindText = try fields.string("kind") ?? (try fields.string("outcome") == "oom" ? "oom" : "mem_at_batch")
        guard var kind = MeasuredRun.Kind(rawValue: kindText) else {
            throw Problem(message: "kind \"\(kindText)\" is not one of \(MeasuredRun.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var precision: Precision?
        var mode: TrainingMode? = .full
        if let text = try fields.string("training_mode")?.lowercased() {
            if let parsed = TrainingMode(rawValue: text) { mode = parsed } else { mode = nil; unmodelled["training_mode"] = text }
        }
        if let text = try fields.string("precision")?.lowercased() {
            if text == "nf4" || text == "nf4-dq" {
                // 4-bit NormalFloat base weights with bf16 compute: the QLoRA regime.
                precision = .bf16
                if mode == .lora || mode == .full { mode = .qlora }
            } else if let parsed = Precision(rawValue: text) ?? Self.precisionSynonyms[text] {
                precision = parsed
            } else {
                unmodelled["precision"] = text
            }
        }
        var optimizer: OptimizerKind?
        var stack = try Self.stack(fields)
        if let text = try fields.string("optimizer")?.lowercased() {
            if let meaning = OptimizerNames.meaning(of: text) {
                optimizer = meaning.optimizer
                if stack.optimizerImplementation == nil { stack.optimizerImplementation = meaning.implementation }
            } else {
                unmodelled["optimizer"] = text
            }
        }
        var checkpointing = Checkpointing.none
        if let text = try fields.string("checkpointing")?.lowercased() {
            guard let parsed = Checkpointing(rawValue: text) else {
                throw Problem(message: "checkpointing \"\(text)\" is not one of none, selective, block")
            }
            checkpointing = parsed
        } else if try fields.bool("grad_checkpointing") == true {
            checkpointing = .block
        }
        var attention: AttentionImplementation?
        if let text = try fields.string("attention") {
            guard let parsed = AttentionImplementation(rawValue: text.lowercased()) else {
                throw Problem(message: "attention \"\(text)\" is not one of eager, sdpa")
            }
            attention = parsed
        }
        var task: TrainingTask?
        if let text = try fields.string("task") {
            guard let parsed = TrainingTask(rawValue: text.lowercased()) else {
                throw Problem(message: "task \"\(text)\" is not one of \(TrainingTask.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            task = parsed
        }
        var framework = try fields.string("framework") ?? "pytorch"
        // LitGPT's published tables name the trainer in their notes; such a run ran LitGPT's layout and loss.
        var trainer = try fields.string("trainer")?.lowercased()
        if trainer == nil, let notes = try fields.string("notes"), notes.range(of: "LitGPT", options: .caseInsensitive) != nil {
            trainer = Trainer.Kind.litgpt.rawValue
        }
        if let text = trainer {
            do throws(CoreError) {
                trainer = try Trainer(parsing: text).description
            } catch {
                throw Problem(message: error.description)
            }
        }
        if let version = try fields.string("framework_version"), !framework.contains("-") { framework += "-" + version }

        // Memory readings: explicit columns, or the published form (counter + value + unit / value_bytes).
        var allocated = try fields.bytes("peak_allocated_bytes") ?? fields.bytes("peak_allocated")
        var reserved = try fields.bytes("peak_reserved_bytes") ?? fields.bytes("peak_reserved")
        var deviceUsed = try fields.bytes("device_used_bytes") ?? fields.bytes("device_used")
        var unspecified = try fields.bytes("peak_bytes")
        var batchSize = try fields.int("batch_size")
        let unit = try fields.string("unit")
        if kind == .maxBatch, batchSize == nil, unit == nil || unit == "batch", let value = try fields.int("value") {
            batchSize = value
        } else if kind == .maxBatch, let unit, unit != "batch" {
            unmodelled["max_batch_unit"] = unit
        }
        if kind == .memAtBatch, let counter = try fields.string("counter") {
            let bytes = try readingBytes(fields)
            switch counter {
            case "max_allocated", "allocated": allocated = bytes
            case "max_reserved", "reserved": reserved = bytes
            case "nvml_used", "device_used": deviceUsed = bytes
            default: unspecified = bytes
            }
        }
        var gpuMemory = try fields.bytes("gpu_memory_bytes")
        if gpuMemory == nil, let gib = try fields.double("gpu_memory_gib") {
            guard gib > 0, gib < 1_048_576 else { throw Problem(message: "gpu_memory_gib must be positive") }
            gpuMemory = Int(gib * 1_073_741_824)
        }
        var outcomeText = try fields.string("outcome") ?? (kind == .oom ? "oom" : "ok")
        if kind == .maxBatch, batchSize == 0 { outcomeText = "oom" }
        guard let outcome = MeasuredRun.Outcome(rawValue: outcomeText.lowercased()) else {
            throw Problem(message: "outcome \"\(outcomeText)\" is not ok or oom")
        }
        if let extra = try fields.string("unmodelled"), let data = extra.data(using: .utf8),
            let object = try? JSONDecoder().decode([String: String].self, from: data) {
            unmodelled.merge(object) { a, _ in a }
        }
        // tools/measure_torch.py names an emulated card "NVIDIA H100 80GB HBM3 (capped 12GiB)"; the cap itself is in
        // memory_cap_bytes, so the GPU is the physical card.
        var gpu = try fields.string("gpu")
        if let name = gpu, let range = name.range(of: " (capped ") { gpu = String(name[..<range.lowerBound]) }
        // A search where not even one sample fit is an OOM at the first size tried.

        var bracketNext = try fields.int("bracket_next")
        if kind == .maxBatch, batchSize == 0, let next = bracketNext {
            kind = .oom
            batchSize = next
            bracketNext = nil
        }
        var run = MeasuredRun(
            key: "", kind: kind, model: model, gpu: gpu, gpuMemoryBytes: gpuMemory,
            memoryCapBytes: try fields.bytes("memory_cap_bytes"), framework: framework, trainer: trainer,
            stack: stack.isEmpty ? nil : stack,
            cudaVersion: try fields.string("cuda_version"), driverVersion: try fields.string("driver_version"),
            precision: precision, optimizer: optimizer, checkpointing: checkpointing, trainingMode: mode,
            loraRank: try fields.int("lora_rank"),
            loraTargets: try fields.string("lora_targets").map {
                $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            },
            loraDropout: try fields.double("lora_dropout"), attention: attention, task: task, batchSize: batchSize,
            bracketNext: bracketNext, gradAccumSteps: try fields.int("grad_accum_steps") ?? 1,
            seqLen: try fields.int("seq_len"), imageSize: try fields.int("image_size"), gpus: try fields.int("gpus") ?? 1,
            zeroStage: try fields.int("zero_stage") ?? 0, outcome: outcome, peakAllocatedBytes: allocated,
            peakReservedBytes: reserved, deviceUsedBytes: deviceUsed, peakUnspecifiedBytes: unspecified,
            contextBytes: try fields.bytes("context_bytes"), stepTimeMs: try fields.double("step_time_ms"),
            source: try fields.string("source") ?? "user", url: try fields.string("url"), notes: try fields.string("notes"),
            unmodelled: unmodelled, origin: origin,
            recordedAt: try fields.string("measured_at") ?? fields.string("recorded_at") ?? now)
        try Self.readPhase(fields, into: &run)
        // An id is scoped by its source ("S3:T1"); an id that already names its scope is kept as it is.
        run.key = try fields.string("id").map { $0.contains(":") ? $0 : "\(run.source):\($0)" } ?? Self.fingerprint(run)
        do throws(CoreError) {
            try run.validate()
        } catch let CoreError.invalidValue(_, _, fix) {
            // A row that already carries its problem (a built-in row exported by `runs export`) is kept as it was.
            guard lenient || unmodelled["problem"] != nil else { throw Problem(message: fix) }
            run.unmodelled["problem"] = fix
        } catch {
            throw Problem(message: error.description)
        }
        return run
    }

    /// The training-stack columns of a row (`optimizer_impl`, `optimizer_in_backward`, `grad_set_to_none`,
    /// `bucket_view`, `loss_dtype`, `autocast_cache`, `paged_state`); absent ones stay `nil`.
    static func stack(_ fields: RunFields) throws -> TrainingStackOverrides {
        var stack = TrainingStackOverrides()
        if let text = try fields.string("optimizer_impl")?.lowercased() {
            guard let value = OptimizerImplementation(rawValue: text) else {
                throw Problem(message: "optimizer_impl \"\(text)\" is not one of for-loop, foreach, fused")
            }
            stack.optimizerImplementation = value
        }
        stack.optimizerInBackward = try fields.bool("optimizer_in_backward")
        stack.gradientsSetToNone = try fields.bool("grad_set_to_none")
        stack.gradientAsBucketView = try fields.bool("bucket_view")
        if let text = try fields.string("loss_dtype")?.lowercased() {
            guard text == "fp32" || text == "compute" else { throw Problem(message: "loss_dtype \"\(text)\" is not fp32 or compute") }
            stack.lossInComputeDtype = text == "compute"
        }
        stack.autocastWeightCache = try fields.bool("autocast_cache")
        if let text = try fields.string("paged_state")?.lowercased() {
            guard text == "resident" || text == "evictable" else {
                throw Problem(message: "paged_state \"\(text)\" is not resident or evictable")
            }
            stack.pagedStateEvictable = text == "evictable"
        }
        return stack
    }

    /// The published form's reading: `value_bytes`, else `value` in `unit`; both given must agree (no mixed units).
    private func readingBytes(_ fields: RunFields) throws -> Int {
        let stated = try fields.int("value_bytes")
        var converted: Int?
        if let value = try fields.double("value"), let unit = try fields.string("unit") {
            let multipliers: [String: Double] = [
                "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "KiB": 1024, "MiB": 1_048_576, "GiB": 1_073_741_824,
            ]
            guard let multiplier = multipliers[unit] else {
                throw Problem(message: "unit \"\(unit)\" is not a memory unit (B, MB, GB, MiB, GiB)")
            }
            converted = Int((value * multiplier).rounded())
        }
        switch (stated, converted) {
        case let (stated?, converted?):
            guard abs(Double(stated - converted)) <= max(1, 0.01 * Double(converted)) else {
                throw Problem(message: "value_bytes \(stated) disagrees with value and unit (\(converted) bytes): mixed units")
            }
            return stated
        case let (stated?, nil): return stated
        case let (nil, converted?): return converted
        case (nil, nil): throw Problem(message: "a reading needs value_bytes, or value with unit")
        }
    }

    /// A fingerprint of the row's content, for files without ids: importing the same file twice adds nothing.
    static func fingerprint(_ run: MeasuredRun) -> String {
        var copy = run
        copy.key = ""
        copy.recordedAt = ""
        copy.origin = .user
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = (try? encoder.encode(copy)) ?? Data()
        var hash = FNV1a()
        hash.combine(data)
        return "sha:" + hash.hex
    }
}
