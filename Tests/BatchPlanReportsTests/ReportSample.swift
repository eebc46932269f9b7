import BatchPlanCore
import Foundation

@testable import BatchPlanReports

/// Fixed, realistic report data shared by the golden-file tests and the committed screenshot (docs/).
///
/// Memory is computed from a small analytic model here (not the planner's), so the numbers hang together: every
/// chosen batch is the largest that fits under the headroom limit, every curve crosses the limit at that batch.
enum ReportSample {
    static let mib = 1 << 20
    static let gib = 1 << 30

    /// 2026-11-26T12:00:00Z.
    static let generatedAt = Date(timeIntervalSince1970: 1_795_694_400)

    /// A model as the sample's little memory model sees it.
    struct SampleModel {
        var name: String
        var parameters: Int
        /// Bytes saved for backward per sample in half precision, by checkpointing mode.
        var halfActivationsPerSample: [Checkpointing: Int]
        var inputBytesPerSample: Int
        var globalBatch: Int
        var input: String = "3x224x224"
        var task: String = "image-classification"
        /// Tokens per sample for sequence models.
        var tokens: Int?
        /// Step time per sample in half precision, seconds (the sample's made-up speed).
        var secondsPerSample: Double = 0.001
    }

    /// A combination to plan, with how to explain its loss against the winner.
    struct Candidate {
        var precision: Precision
        var optimizer: OptimizerKind
        var checkpointing: Checkpointing = .none
        var whyLost: (PlanRow, PlanRow) -> String = { _, _ in "" }
    }

    static let vit = SampleModel(
        name: "ViT-B/16", parameters: 86_567_656,
        halfActivationsPerSample: [.none: 98 * mib, .block: 11 * mib], inputBytesPerSample: 602_112, globalBatch: 512)

    static let llama = SampleModel(
        name: "Llama-3.2-1B", parameters: 1_235_814_400,
        halfActivationsPerSample: [.none: 3_870 * mib, .block: 1_640 * mib], inputBytesPerSample: 32_768, globalBatch: 64, input: "seq 2048", task: "causal-lm", tokens: 2048, secondsPerSample: 0.04)

    /// The sample report: two cards, two models, a card where one model does not fit, six measured runs.
    static func report(title: String = "Training memory plan") -> PlanningReport {
        let a100 = (name: "A100 80GB SXM", bytes: 81_920 * mib)  // nvidia-smi reports 81920 MiB
        let rtx3060 = (name: "RTX 3060 12GB", bytes: 12_288 * mib)  // nvidia-smi reports 12288 MiB
        let vitCandidates = [
            Candidate(precision: .bf16Amp, optimizer: .adamw),
            Candidate(precision: .fp16Amp, optimizer: .adamw) { winner, _ in
                "same batch as \(winner.precision.rawValue); bf16 needs no loss scaling, so it ranks higher"
            },
            Candidate(precision: .fp32, optimizer: .adamw) { winner, me in
                "smaller max batch (\(me.maxBatchSize) vs \(winner.maxBatchSize))"
            },
            Candidate(precision: .bf16Amp, optimizer: .adamw, checkpointing: .block) { winner, me in
                "larger batch (\(me.maxBatchSize)) but recomputes every block; \(winner.combinationLabel) already reaches the global batch"
            },
        ]
        let vitSmallCard = [
            Candidate(precision: .bf16Amp, optimizer: .adamw, checkpointing: .block),
            Candidate(precision: .bf16Amp, optimizer: .adamw) { _, me in
                "max batch \(me.maxBatchSize) needs \(me.gradAccumSteps ?? 1) accumulation steps; block checkpointing needs fewer"
            },
            Candidate(precision: .fp32, optimizer: .adamw) { winner, me in
                "smaller max batch (\(me.maxBatchSize) vs \(winner.maxBatchSize))"
            },
        ]
        let llamaCandidates = [
            Candidate(precision: .bf16Amp, optimizer: .adamw, checkpointing: .block),
            Candidate(precision: .bf16Amp, optimizer: .adamw8bit, checkpointing: .block) { _, me in
                "max batch \(me.maxBatchSize) only through approximate 8-bit optimizer state; exact adamw is preferred"
            },
            Candidate(precision: .bf16Amp, optimizer: .adamw) { _, me in
                "max batch \(me.maxBatchSize) needs \(me.gradAccumSteps ?? 1) accumulation steps"
            },
            Candidate(precision: .fp32, optimizer: .adamw, checkpointing: .block) { winner, me in
                "smaller max batch (\(me.maxBatchSize) vs \(winner.maxBatchSize))"
            },
        ]
        let llamaSmallCard = [
            Candidate(precision: .bf16Amp, optimizer: .adamw8bit, checkpointing: .block),
            Candidate(precision: .bf16Amp, optimizer: .adamw, checkpointing: .block) { _, me in
                "does not fit: needs \(ReportWording.bytes(me.deviceUsedBytes)) at batch 1"
            },
        ]
        return PlanningReport(
            title: title,
            question:
                "Largest batch for ViT-B/16 (224 px, global batch 512) and Llama-3.2-1B (2048 tokens, full fine-tune, global batch 64) on A100 80GB SXM and RTX 3060 12GB",
            generatedAt: generatedAt,
            versions: ReportVersions(batchplan: "0.1.0", catalogSchema: "3", data: "2026-11-20"),
            assumptions: [
                "Framework: PyTorch 2.4 with CUDA 12.4; peak memory is what torch.cuda.max_memory_reserved reports plus the CUDA context.",
                "Attention: scaled_dot_product_attention (flash kernels), so no S×S attention matrix is kept.",
                "Headroom: 5 % of each card's memory stays free for fragmentation and other processes.",
                "Mixed precision keeps fp32 weights, gradients and AdamW state; activations are saved in bf16.",
                "Inputs: ViT-B/16 at 224×224 RGB; Llama-3.2-1B at 2048 tokens per sample.",
                "CUDA context: 524 MiB, measured on driver 550 (A100); other drivers may differ by ±100 MiB.",
            ],
            calibration: CalibrationSummary(
                scope: "gpu pytorch/A100 80GB SXM", runsUsed: 14, crossValidatedMedianError: 0.041,
                crossValidatedP90Error: 0.087),
            cards: [
                CardSection(
                    gpuName: a100.name, memoryBytes: a100.bytes,
                    models: [
                        plans(vit, capacity: a100.bytes, candidates: vitCandidates),
                        plans(llama, capacity: a100.bytes, candidates: llamaCandidates),
                    ]),
                CardSection(
                    gpuName: rtx3060.name, memoryBytes: rtx3060.bytes,
                    models: [
                        plans(vit, capacity: rtx3060.bytes, candidates: vitSmallCard),
                        plans(llama, capacity: rtx3060.bytes, candidates: llamaSmallCard),
                    ]),
            ],
            measuredVsPredicted: [
                MeasuredPoint(label: "ViT-B/16 bs 256 bf16-amp", measuredBytes: 29_410 * mib, predictedBytes: 28_960 * mib),
                MeasuredPoint(label: "ViT-B/16 bs 512 bf16-amp", measuredBytes: 56_020 * mib, predictedBytes: 57_330 * mib),
                MeasuredPoint(label: "ViT-B/16 bs 128 fp32", measuredBytes: 26_870 * mib, predictedBytes: 25_310 * mib),
                MeasuredPoint(label: "Llama-3.2-1B bs 8 block", measuredBytes: 36_240 * mib, predictedBytes: 35_120 * mib),
                MeasuredPoint(label: "Llama-3.2-1B bs 16 block", measuredBytes: 48_900 * mib, predictedBytes: 50_470 * mib),
                MeasuredPoint(label: "Llama-3.2-1B bs 4 none", measuredBytes: 38_150 * mib, predictedBytes: 35_760 * mib),
            ])
    }

    /// Plans one model on one card: the first candidate is the winner, the rest are alternatives in the given order.
    static func plans(_ model: SampleModel, capacity: Int, candidates: [Candidate]) -> ModelPlans {
        let headroom = capacity / 20
        let rows = candidates.map { row(model, $0, capacity: capacity, headroom: headroom) }
        let best = rows[0]
        let alternatives = zip(candidates, rows).dropFirst().map { candidate, row in
            Alternative(plan: row, whyLost: candidate.whyLost(best, row))
        }
        var curves: [MemoryCurve] = []
        for candidate in candidates
        where !curves.contains(where: {
            $0.optimizer == candidate.optimizer && $0.checkpointing == candidate.checkpointing
                && $0.precision.activationBytes == candidate.precision.activationBytes
                && ($0.precision == .fp32) == (candidate.precision == .fp32)
        }) {
            curves.append(curve(model, candidate, capacity: capacity, headroom: headroom))
        }
        // Throughput of the winner's combination with and without block checkpointing (a made-up step-time model:
        // fixed overhead plus time per sample, a third more with recomputation, three times more in fp32).
        let throughput = [Checkpointing.none, .block].compactMap { checkpointing -> ThroughputCurve? in
            var candidate = candidates[0]
            candidate.checkpointing = checkpointing
            let maxBatch = largestBatch(model, candidate, limit: capacity - headroom)
            guard maxBatch > 0 else { return nil }
            var batches = [1]
            while batches.last! * 2 < maxBatch { batches.append(batches.last! * 2) }
            batches.append(maxBatch)
            return ThroughputCurve(
                precision: candidate.precision, optimizer: candidate.optimizer, checkpointing: checkpointing, mode: .full,
                points: batches.map { ThroughputPoint(batchSize: $0, samplesPerSecond: Double($0) / stepSeconds(model, candidate, batch: $0),
                                                      stepTimeMs: stepSeconds(model, candidate, batch: $0) * 1000) },
                maxBatchSize: maxBatch)
        }
        return ModelPlans(
            model: model.name, best: best, alternatives: alternatives, curves: curves, input: model.input, task: model.task,
            throughputCurves: throughput)
    }

    /// The sample's step time: 30 ms of overhead plus the model's time per sample, ×4/3 with block checkpointing,
    /// ×3 in fp32.
    static func stepSeconds(_ model: SampleModel, _ candidate: Candidate, batch: Int) -> Double {
        let perSample = model.secondsPerSample * (candidate.checkpointing == .block ? 4.0 / 3.0 : 1)
            * (candidate.precision == .fp32 ? 3 : 1)
        return 0.03 + Double(batch) * perSample
    }

    static func row(_ model: SampleModel, _ candidate: Candidate, capacity: Int, headroom: Int) -> PlanRow {
        let maxBatch = largestBatch(model, candidate, limit: capacity - headroom)
        let batch = max(maxBatch, 1)
        let steps = maxBatch > 0 ? (model.globalBatch + maxBatch - 1) / maxBatch : nil
        let components = self.components(model, candidate, batch: batch)
        let step = maxBatch > 0 ? stepSeconds(model, candidate, batch: maxBatch) : nil
        return PlanRow(
            model: model.name, precision: candidate.precision, optimizer: candidate.optimizer,
            checkpointing: candidate.checkpointing, mode: .full, fits: maxBatch > 0, maxBatchSize: maxBatch,
            gradAccumSteps: steps, deviceUsedBytes: components.reduce(0) { $0 + $1.bytes }, headroomBytes: headroom,
            components: components, stepTimeMs: step.map { $0 * 1000 },
            samplesPerSecond: step.map { Double(maxBatch) / $0 },
            tokensPerSecond: step.flatMap { s in model.tokens.map { Double(maxBatch * $0) / s } },
            precisionNote: candidate.precision == .bf16
                ? "pure bf16 (no fp32 master weights): a fidelity trade-off" : nil)
    }

    static func curve(_ model: SampleModel, _ candidate: Candidate, capacity: Int, headroom: Int) -> MemoryCurve {
        let maxBatch = largestBatch(model, candidate, limit: capacity - headroom)
        var batches = [1]
        while batches.last! < max(maxBatch, 4) * 3 / 2 { batches.append(batches.last! * 2) }
        return MemoryCurve(
            precision: candidate.precision, optimizer: candidate.optimizer, checkpointing: candidate.checkpointing,
            points: batches.map { CurvePoint(batchSize: $0, deviceUsedBytes: used(model, candidate, batch: $0)) },
            maxBatchSize: maxBatch > 0 ? maxBatch : nil)
    }

    static func largestBatch(_ model: SampleModel, _ candidate: Candidate, limit: Int) -> Int {
        var batch = 0
        while used(model, candidate, batch: batch + 1) <= limit { batch += 1 }
        return batch
    }

    static func used(_ model: SampleModel, _ candidate: Candidate, batch: Int) -> Int {
        components(model, candidate, batch: batch).reduce(0) { $0 + $1.bytes }
    }

    /// The sample's memory model: AMP keeps fp32 states; AdamW has two fp32 slots (8 B/param), 8-bit AdamW two
    /// one-byte slots; activation gradients peak at 12 % of saved activations; the allocator reserves 6 % on top.
    static func components(_ model: SampleModel, _ candidate: Candidate, batch: Int) -> [MemoryComponent] {
        let p = model.parameters
        let stateBytes = candidate.precision == .bf16 || candidate.precision == .fp16 ? 2 : 4
        let optimizerBytesPerParam: Int =
            switch candidate.optimizer {
            case .adamw8bit, .pagedAdamw8bit: 2
            case .sgdMomentum: stateBytes
            default: 2 * stateBytes
            }
        let activationScale = candidate.precision.activationBytes == 4 ? 2 : 1
        let activations = model.halfActivationsPerSample[candidate.checkpointing, default: 0] * activationScale * batch
        let allocated = [
            ("weights", stateBytes * p), ("gradients", stateBytes * p), ("optimizer_state", optimizerBytesPerParam * p),
            ("master_weights", 0), ("activations", activations), ("activation_gradients", activations * 12 / 100),
            ("inputs", model.inputBytesPerSample * batch), ("workspace", 256 * mib),
        ]
        let allocatedTotal = allocated.reduce(0) { $0 + $1.1 }
        return allocated.map { MemoryComponent(key: $0.0, bytes: $0.1) } + [
            MemoryComponent(key: "runtime_context", bytes: 524 * mib),
            MemoryComponent(key: "allocator_reserve", bytes: allocatedTotal * 6 / 100),
            // An uncalibrated plan: the planner lists the adjustment all the same, at 0.
            MemoryComponent(key: "calibration_adjustment", bytes: 0),
        ]
    }
}
