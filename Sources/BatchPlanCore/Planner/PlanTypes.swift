/// How `fit` orders the candidates of one card × model.
public enum PlanPreference: String, CaseIterable, Codable, Sendable {
    /// The most complete training first (full, then LoRA, QLoRA, frozen), then the recommended precision recipes
    /// before trade-offs (pure bf16, fp8), then the highest estimated throughput at the solved micro-batch and
    /// accumulation (throughputs within 2% tie); ties go to less recomputation, then higher precision (the default).
    case speed
    /// The most complete training first (full, then LoRA, QLoRA, frozen: a plan that trains less of the model
    /// answers a different question), then the largest micro-batch; ties go to less recomputation, then higher
    /// precision.
    case batch
    /// Highest precision, then full training over adapters, then less recomputation, then batch.
    case fidelity
    /// Least memory at batch 1 (the most room left), then batch.
    case memory
}

/// Constraints on the batch the solver returns.
public struct SolverOptions: Hashable, Codable, Sendable {
    /// Memory left free on the card.
    public var headroom: Headroom
    /// Round the micro-batch down to a multiple of this (1 = any).
    public var multipleOf: Int
    /// Round the micro-batch down to a power of two.
    public var powerOfTwo: Bool
    /// Samples per optimizer step across all GPUs: the solver picks a micro-batch and accumulation steps to reach it.
    public var targetBatch: Int?
    /// Never return a micro-batch above this.
    public var maxBatch: Int?
    /// How `fit` ranks candidates.
    public var preference: PlanPreference

    public init(
        headroom: Headroom = .default, multipleOf: Int = 1, powerOfTwo: Bool = false, targetBatch: Int? = nil,
        maxBatch: Int? = nil, preference: PlanPreference = .speed
    ) {
        self.headroom = headroom
        self.multipleOf = multipleOf
        self.powerOfTwo = powerOfTwo
        self.targetBatch = targetBatch
        self.maxBatch = maxBatch
        self.preference = preference
    }

    /// Checks the options' ranges.
    public func validated() throws(CoreError) -> SolverOptions {
        guard multipleOf >= 1 else {
            throw .invalidValue(what: "multiple-of", value: "\(multipleOf)", fix: "use a positive multiple such as 8")
        }
        if let targetBatch, targetBatch < 1 {
            throw .invalidValue(what: "target batch", value: "\(targetBatch)", fix: "use a positive batch size")
        }
        if let maxBatch, maxBatch < 1 {
            throw .invalidValue(what: "max batch", value: "\(maxBatch)", fix: "use a positive batch size")
        }
        return self
    }
}

/// Which combinations `fit` enumerates; `nil` means every value (precisions only where the card supports them).
public struct FitFilters: Hashable, Codable, Sendable {
    public var precisions: [Precision]?
    public var optimizers: [OptimizerKind]?
    public var checkpointing: [Checkpointing]?
    public var modes: [TrainingMode]?
    /// Fixed for every candidate: LoRA rank/targets, GPUs, ZeRO stage, framework (batch fields are ignored).
    public var base: TrainingConfiguration

    public init(
        precisions: [Precision]? = nil, optimizers: [OptimizerKind]? = nil, checkpointing: [Checkpointing]? = nil,
        modes: [TrainingMode]? = nil, base: TrainingConfiguration = TrainingConfiguration()
    ) {
        self.precisions = precisions
        self.optimizers = optimizers
        self.checkpointing = checkpointing
        self.modes = modes
        self.base = base
    }
}

/// One configuration of one model on one card, solved for its largest batch.
public struct PlanCandidate: Hashable, Codable, Sendable {
    /// The card's catalog name.
    public var gpu: String
    /// The model's name.
    public var model: String
    /// The configuration with `batchSize` and `gradAccumSteps` set to the solved values.
    public var configuration: TrainingConfiguration
    /// Whether at least one sample fits with the headroom (and the target batch, if one was asked, is reachable).
    public var fits: Bool
    /// Largest micro-batch that fits after the options' rounding; 0 when nothing fits.
    public var maxBatchSize: Int
    /// Accumulation steps (1 unless a target batch asked for more).
    public var gradAccumSteps: Int
    /// Predicted device-used bytes at the solved batch (at batch 1 when nothing fits).
    public var deviceUsedBytes: Int
    /// Headroom kept free, bytes (the calibration's uncertainty included).
    public var headroomBytes: Int
    /// The estimate at the solved batch (batch 1 when nothing fits).
    public var estimate: MemoryEstimate
    /// Why this candidate is not the best (or why it does not fit); `nil` for the best.
    public var whyNot: String?
    /// 1 for the best; alternatives count up.
    public var rank: Int
    /// The estimated step time at the solved batch; `nil` when nothing fits or the card lacks a rate.
    public var stepTime: StepTimeEstimate?
    /// How the precision policy stands on this plan's precision for its mode.
    public var precisionStanding: PrecisionStanding?
    /// The policy's flag for the precision (pure bf16 trade-off, pure fp16 warning, fp8 recipe); `nil` if none.
    public var precisionNote: String?

    public init(
        gpu: String, model: String, configuration: TrainingConfiguration, fits: Bool, maxBatchSize: Int,
        gradAccumSteps: Int, deviceUsedBytes: Int, headroomBytes: Int, estimate: MemoryEstimate,
        whyNot: String? = nil, rank: Int = 0, stepTime: StepTimeEstimate? = nil,
        precisionStanding: PrecisionStanding? = nil, precisionNote: String? = nil
    ) {
        self.stepTime = stepTime
        self.precisionStanding = precisionStanding
        self.precisionNote = precisionNote
        self.gpu = gpu
        self.model = model
        self.configuration = configuration
        self.fits = fits
        self.maxBatchSize = maxBatchSize
        self.gradAccumSteps = gradAccumSteps
        self.deviceUsedBytes = deviceUsedBytes
        self.headroomBytes = headroomBytes
        self.estimate = estimate
        self.whyNot = whyNot
        self.rank = rank
    }
}

/// A plan is the winning candidate.
public typealias Plan = PlanCandidate

/// One change that would make a configuration fit, checked against the model.
public struct FitSuggestion: Hashable, Codable, Sendable {
    /// What to change, in the user's words: "use --checkpointing block", "a card with at least 24.0 GiB".
    public var change: String
    /// The changed configuration, when the change is one (nil for "a bigger card").
    public var configuration: TrainingConfiguration?
    /// Largest micro-batch with the change (on this card, or on the suggested card).
    public var maxBatchSize: Int

    public init(change: String, configuration: TrainingConfiguration?, maxBatchSize: Int) {
        self.change = change
        self.configuration = configuration
        self.maxBatchSize = maxBatchSize
    }
}

/// Advice when not even one sample fits: by how much, and the smallest changes that would fit.
public struct NothingFits: Hashable, Codable, Sendable {
    /// Device-used at batch 1 plus headroom minus the card's memory, bytes.
    public var shortfallBytes: Int
    /// The card memory batch 1 would need with this configuration and headroom, bytes.
    public var requiredMemoryBytes: Int
    /// Changes that fit, smallest first.
    public var suggestions: [FitSuggestion]

    public init(shortfallBytes: Int, requiredMemoryBytes: Int, suggestions: [FitSuggestion]) {
        self.shortfallBytes = shortfallBytes
        self.requiredMemoryBytes = requiredMemoryBytes
        self.suggestions = suggestions
    }
}

/// The outcome of `fit` for one card × model.
public struct FitResult: Hashable, Codable, Sendable {
    /// The card's catalog name.
    public var gpu: String
    /// The model's name.
    public var model: String
    /// The best candidate that fits; `nil` when none does.
    public var best: PlanCandidate?
    /// Every other candidate, ranked, each with why it lost (or why it does not fit).
    ///
    /// Their estimates carry no assumptions (to keep a large fit cheap): the shared ones are in `assumptions`, and
    /// `Planner.estimate` with a candidate's configuration gives its own.
    public var alternatives: [PlanCandidate]
    /// Set when no candidate fits.
    public var nothingFits: NothingFits?
    /// Assumptions common to every candidate (framework, attention, headroom, defaults and their sources).
    public var assumptions: [String]
    /// The input the model was planned at (sequence length, image size), and its task.
    public var input: InputSize?
    public var task: TrainingTask?
    /// The ranking the candidates were ordered by: the one asked for, or `batch` where `speed` was asked and some
    /// plan has no step time (the card lacks a rate). `nil` in results saved before it was recorded.
    public var ranking: PlanPreference?

    public init(
        gpu: String, model: String, best: PlanCandidate?, alternatives: [PlanCandidate], nothingFits: NothingFits?,
        assumptions: [String], input: InputSize? = nil, task: TrainingTask? = nil, ranking: PlanPreference? = nil
    ) {
        self.input = input
        self.task = task
        self.ranking = ranking
        self.gpu = gpu
        self.model = model
        self.best = best
        self.alternatives = alternatives
        self.nothingFits = nothingFits
        self.assumptions = assumptions
    }
}

/// The result of solving one configuration for its largest batch.
public struct BatchSolution: Hashable, Codable, Sendable {
    /// Largest micro-batch that fits after rounding; 0 when even one sample does not.
    public var maxBatchSize: Int
    /// Accumulation steps reaching the target batch (1 without a target).
    public var gradAccumSteps: Int
    /// The estimate at the solved batch (batch 1 when nothing fits).
    public var estimate: MemoryEstimate
    /// Headroom kept free, bytes, the calibration's uncertainty included.
    public var headroomBytes: Int
    /// Set when nothing fits.
    public var nothingFits: NothingFits?

    public init(
        maxBatchSize: Int, gradAccumSteps: Int, estimate: MemoryEstimate, headroomBytes: Int, nothingFits: NothingFits?
    ) {
        self.maxBatchSize = maxBatchSize
        self.gradAccumSteps = gradAccumSteps
        self.estimate = estimate
        self.headroomBytes = headroomBytes
        self.nothingFits = nothingFits
    }
}
