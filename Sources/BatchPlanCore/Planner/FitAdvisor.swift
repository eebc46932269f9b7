import Foundation

/// Advice when not even one sample fits: the shortfall and the smallest single changes that would fit.
struct FitAdvisor {
    let model: ModelAccounting
    let gpu: GPU
    let calibration: CalibrationFactors
    let options: SolverOptions
    /// Profiles already built for this model, by checkpointing and mode (a fit's, built with the LoRA settings of
    /// the configurations advised on); the others are built here.
    var profiles: [FitSearch.ProfileKey: Result<ModelProfile, CoreError>] = [:]
    /// The model's layer traits, when the caller has them (building a profile without them redoes the string work).
    var traits: ModelProfile.LayerTraits? = nil

    /// GPU counts tried for the "more GPUs with ZeRO-3" suggestion.
    static let gpuCounts = [2, 4, 8, 16, 32, 64]

    func advise(failing phases: PhaseModel) -> NothingFits {
        let memory = gpu.memoryBytes
        let headroom = options.headroom.bytes(ofCard: memory)
        let used = phases.deviceUsed(batch: 1)
        let needed = used + phases.uncertainty(deviceUsed: used)
        let required: Int
        switch options.headroom {
        case let .fraction(f): required = Int((Double(needed) / (1 - f)).rounded(.up))
        case let .bytes(b): required = needed + b
        }
        var base = phases.configuration
        base.batchSize = 1
        base.gradAccumSteps = 1

        var suggestions: [FitSuggestion] = []
        for (change, configuration) in singleChanges(from: base) {
            if let batch = largestBatch(configuration) {
                suggestions.append(FitSuggestion(change: change, configuration: configuration, maxBatchSize: batch))
            }
        }
        if suggestions.isEmpty, base.checkpointing != .block {
            // No single change is enough: try block checkpointing together with each other change.
            var withBlock = base
            withBlock.checkpointing = .block
            for (change, configuration) in singleChanges(from: withBlock) where configuration.checkpointing == .block {
                if let batch = largestBatch(configuration) {
                    suggestions.append(
                        FitSuggestion(
                            change: "checkpointing block and \(change)", configuration: configuration,
                            maxBatchSize: batch))
                }
            }
        }
        for count in Self.gpuCounts where count > base.gpus {
            var configuration = base
            configuration.gpus = count
            configuration.zeroStage = 3
            if let batch = largestBatch(configuration) {
                suggestions.append(
                    FitSuggestion(
                        change: "\(count) GPUs with ZeRO stage 3 (FSDP FULL_SHARD)", configuration: configuration,
                        maxBatchSize: batch))
                break
            }
        }
        let (requiredText, memoryText) = ByteSize.format(required, against: memory)
        suggestions.append(
            FitSuggestion(
                change: "a card with at least \(requiredText) (\(gpu.name) has \(memoryText))",
                configuration: nil, maxBatchSize: 1))
        return NothingFits(
            shortfallBytes: needed + headroom - memory, requiredMemoryBytes: required, suggestions: suggestions)
    }

    /// Single changes, cheapest to adopt first: checkpointing, mixed precision, a lighter optimizer, adapters,
    /// pure bf16.
    func singleChanges(from base: TrainingConfiguration) -> [(String, TrainingConfiguration)] {
        var changes: [(String, TrainingConfiguration)] = []
        for checkpointing in Checkpointing.allCases where checkpointing.recomputeRank > base.checkpointing.recomputeRank {
            var c = base
            c.checkpointing = checkpointing
            changes.append(("checkpointing \(checkpointing.rawValue)", c))
        }
        let half: [Precision] = gpu.supportsBF16 ? [.bf16Amp, .bf16] : [.fp16Amp, .fp16]
        if base.precision == .fp32 || base.precision == .tf32 {
            var c = base
            c.precision = half[0]
            changes.append(("precision \(half[0].rawValue)", c))
        }
        let current = stateBytes(base.optimizer)
        let lighter: [OptimizerKind] = [.adamw8bit, .adafactor, .sgdMomentum, .sgd]
        for optimizer in lighter where stateBytes(optimizer) < current {
            var c = base
            c.optimizer = optimizer
            changes.append(("optimizer \(optimizer.rawValue)", c))
        }
        if base.mode == .full || base.mode == .frozen, base.precision != .fp8 {
            var c = base
            c.mode = .lora
            changes.append(("mode lora (rank \(base.loraRank))", c))
        }
        if base.mode != .qlora, base.precision != .fp8 {
            var c = base
            c.mode = .qlora
            c.optimizer = .pagedAdamw8bit
            if c.precision == .fp32 || c.precision == .tf32 { c.precision = half[0] }
            changes.append(("mode qlora with \(c.precision.rawValue) and paged-adamw-8bit", c))
        }
        // Pure bf16 is the last resort (a fidelity trade-off); pure fp16 is never suggested: without fp32 master
        // weights its updates underflow (PrecisionPolicy).
        if gpu.supportsBF16, base.precision != .bf16, base.mode == .full || base.mode == .frozen {
            var c = base
            c.precision = .bf16
            changes.append(("precision bf16 (pure bf16, no fp32 master: a fidelity trade-off)", c))
        }
        return changes
    }

    /// Optimizer state per parameter at fp32 slots, for "lighter than" comparisons.
    private func stateBytes(_ optimizer: OptimizerKind) -> Double {
        OptimizerStateRule.of(optimizer).stateBytesPerParameter(slotBytes: 4, factoredElementsPerParameter: 0.01)
    }

    /// The largest micro-batch of a changed configuration on this card, if at least one sample fits.
    private func largestBatch(_ configuration: TrainingConfiguration) -> Int? {
        guard let phases = try? phaseModel(configuration) else { return nil }
        let solver = BatchSolver(memory: gpu.memoryBytes, options: options)
        let batch = solver.rounded(solver.largestFitting(phases, headroom: options.headroom.bytes(ofCard: gpu.memoryBytes)))
        return batch >= 1 ? batch : nil
    }

    /// `Planner.phaseModel`, with the profile taken from `profiles` when there is one, else built from `traits`.
    private func phaseModel(_ configuration: TrainingConfiguration) throws(CoreError) -> PhaseModel {
        let configuration = try configuration.validated()
        try Planner.checkSupport(configuration.precision, on: gpu)
        let profile: ModelProfile
        if case let .success(built)? = profiles[FitSearch.ProfileKey(checkpointing: configuration.checkpointing, mode: configuration.mode)] {
            profile = built
        } else {
            profile = try ModelProfile(
                model: model, checkpointing: configuration.checkpointing, mode: configuration.mode,
                loraRank: configuration.loraRank, loraTargets: configuration.loraTargets,
                loraDropout: configuration.loraDropout > 0, traits: traits)
        }
        return PhaseModel(profile: profile, configuration: configuration, gpu: gpu, calibration: calibration)
    }
}
