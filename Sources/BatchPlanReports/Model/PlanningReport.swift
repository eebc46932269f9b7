import BatchPlanCore
import Foundation

/// Everything a planning report shows, as plain values: the renderers turn it into Markdown, CSV, JSON or HTML.
///
/// The CLI builds one from the planner's results; the renderers never compute a plan themselves, so every number in a
/// report is one the planner produced. Order matters and is kept: cards, models and alternatives render in the order
/// given here, so the same input always renders the same bytes.
public struct PlanningReport: Hashable, Sendable {
    /// Heading of the report, e.g. "Training memory plan".
    public var title: String
    /// The question asked, in words, e.g. "Largest batch for ViT-B/16 on A100 80GB and RTX 4090".
    public var question: String
    /// When the report was made; renderers print it in UTC, ISO 8601, to the second.
    public var generatedAt: Date
    /// Versions of the program and the data behind the numbers.
    public var versions: ReportVersions
    /// Every assumption the numbers rest on (framework, attention implementation, headroom, …), one sentence each.
    public var assumptions: [String]
    /// The calibration the planner applied.
    public var calibration: CalibrationSummary
    /// One section per card, in the order to show.
    public var cards: [CardSection]
    /// Measured runs next to what the planner predicts for them; empty when no runs exist.
    public var measuredVsPredicted: [MeasuredPoint]

    public init(
        title: String, question: String, generatedAt: Date, versions: ReportVersions, assumptions: [String],
        calibration: CalibrationSummary, cards: [CardSection], measuredVsPredicted: [MeasuredPoint] = []
    ) {
        self.title = title
        self.question = question
        self.generatedAt = generatedAt
        self.versions = versions
        self.assumptions = assumptions
        self.calibration = calibration
        self.cards = cards
        self.measuredVsPredicted = measuredVsPredicted
    }
}

/// Versions that identify where a report's numbers came from.
public struct ReportVersions: Hashable, Sendable {
    /// The batchplan release, e.g. "0.3.0".
    public var batchplan: String
    /// The catalog's schema version (the last applied migration), e.g. "4".
    public var catalogSchema: String
    /// The version of the seed data (GPUs, models, published runs), e.g. "2026-11-20".
    public var data: String

    public init(batchplan: String, catalogSchema: String, data: String) {
        self.batchplan = batchplan
        self.catalogSchema = catalogSchema
        self.data = data
    }
}

/// The calibration behind a report's numbers: which scope, how much evidence, how wrong it was when tested.
public struct CalibrationSummary: Hashable, Codable, Sendable {
    /// The scope whose factors were applied, as `CalibrationScope.description` writes it ("global", "gpu pytorch/A100").
    public var scope: String
    /// Measured runs the whole calibration was fitted on (every scope's together).
    public var runsUsed: Int
    /// The observations each scope in `scope` (joined by "; ") was fitted on, in the same order; `nil` in reports
    /// saved before it was recorded.
    public var scopeObservations: [Int]?
    /// Median of |predicted − measured| / measured under cross-validation, as a fraction (0.04 = 4 %); `nil` when the
    /// fit could not be cross-validated (too few runs, or the analytic model).
    public var crossValidatedMedianError: Double?
    /// 90th percentile of the same relative error, as a fraction; `nil` as above.
    public var crossValidatedP90Error: Double?

    public init(
        scope: String, runsUsed: Int, scopeObservations: [Int]? = nil, crossValidatedMedianError: Double? = nil,
        crossValidatedP90Error: Double? = nil
    ) {
        self.scope = scope
        self.runsUsed = runsUsed
        self.scopeObservations = scopeObservations
        self.crossValidatedMedianError = crossValidatedMedianError
        self.crossValidatedP90Error = crossValidatedP90Error
    }
}

/// One card and the plans for each model on it.
public struct CardSection: Hashable, Sendable {
    /// The card's catalog name, e.g. "A100 80GB SXM".
    public var gpuName: String
    /// The capacity plans use, in bytes (`GPU.memoryBytes`).
    public var memoryBytes: Int
    /// One entry per model, in the order to show.
    public var models: [ModelPlans]

    public init(gpuName: String, memoryBytes: Int, models: [ModelPlans]) {
        self.gpuName = gpuName
        self.memoryBytes = memoryBytes
        self.models = models
    }
}

/// The plans for one model on one card: the winner, the runners-up, and how memory grows with the batch.
public struct ModelPlans: Hashable, Sendable {
    /// The model's catalog name.
    public var model: String
    /// The chosen plan. When nothing fits it is the combination that came closest, with `fits == false`.
    public var best: PlanRow
    /// The combinations that lost, best first, each with the reason.
    public var alternatives: [Alternative]
    /// Device memory against batch size, one curve per precision/optimizer combination.
    public var curves: [MemoryCurve]
    /// The input the model was planned at ("3x224x224", "seq 512") and its task ("causal-lm"), when known.
    public var input: String?
    public var task: String?
    /// Estimated throughput against batch size for the chosen plan's combination, with and without checkpointing.
    public var throughputCurves: [ThroughputCurve]
    /// When nothing fits: the smallest card the closest plan would fit at batch 1, with the calibration's
    /// uncertainty and the same headroom (what `fit` calls "needs").
    public var requiredMemoryBytes: Int?

    public init(
        model: String, best: PlanRow, alternatives: [Alternative] = [], curves: [MemoryCurve] = [], input: String? = nil,
        task: String? = nil, throughputCurves: [ThroughputCurve] = [], requiredMemoryBytes: Int? = nil
    ) {
        self.requiredMemoryBytes = requiredMemoryBytes
        self.input = input
        self.task = task
        self.throughputCurves = throughputCurves
        self.model = model
        self.best = best
        self.alternatives = alternatives
        self.curves = curves
    }
}

/// A plan that lost to the chosen one, and why.
public struct Alternative: Hashable, Sendable {
    /// The losing plan, complete with its memory breakdown.
    public var plan: PlanRow
    /// One short clause, e.g. "smaller max batch (192 vs 256)" or "lower precision at equal batch".
    public var whyLost: String

    public init(plan: PlanRow, whyLost: String) {
        self.plan = plan
        self.whyLost = whyLost
    }
}

/// Predicted device memory at a few batch sizes for one combination.
public struct MemoryCurve: Hashable, Codable, Sendable {
    /// The combination this curve is for: precision, optimizer and checkpointing as in `PlanRow`.
    public var precision: Precision
    public var optimizer: OptimizerKind
    public var checkpointing: Checkpointing
    /// Points in increasing batch size.
    public var points: [CurvePoint]
    /// The largest batch that fits with headroom for this combination; `nil` when none does.
    public var maxBatchSize: Int?

    public init(
        precision: Precision, optimizer: OptimizerKind, checkpointing: Checkpointing = .none, points: [CurvePoint],
        maxBatchSize: Int?
    ) {
        self.precision = precision
        self.optimizer = optimizer
        self.checkpointing = checkpointing
        self.points = points
        self.maxBatchSize = maxBatchSize
    }

    /// "bf16-amp + adamw", with the checkpointing mode appended when there is one.
    public var label: String {
        let base = "\(precision.rawValue) + \(optimizer.rawValue)"
        return checkpointing == .none ? base : "\(base), \(checkpointing.rawValue) ckpt"
    }
}

/// Estimated throughput at a few batch sizes for one combination (the chosen plan's, at one checkpointing mode).
public struct ThroughputCurve: Hashable, Codable, Sendable {
    public var precision: Precision
    public var optimizer: OptimizerKind
    public var checkpointing: Checkpointing
    public var mode: TrainingMode
    /// Points in increasing batch size, up to the largest batch that fits.
    public var points: [ThroughputPoint]
    /// The largest batch that fits with headroom for this combination.
    public var maxBatchSize: Int

    public init(
        precision: Precision, optimizer: OptimizerKind, checkpointing: Checkpointing, mode: TrainingMode,
        points: [ThroughputPoint], maxBatchSize: Int
    ) {
        self.precision = precision
        self.optimizer = optimizer
        self.checkpointing = checkpointing
        self.mode = mode
        self.points = points
        self.maxBatchSize = maxBatchSize
    }

    /// "bf16-amp + adamw, no checkpointing" / "…, block ckpt".
    public var label: String {
        "\(precision.rawValue) + \(optimizer.rawValue), " + (checkpointing == .none ? "no checkpointing" : "\(checkpointing.rawValue) ckpt")
    }
}

/// One point of a throughput curve.
public struct ThroughputPoint: Hashable, Codable, Sendable {
    /// Micro-batch (no accumulation).
    public var batchSize: Int
    /// Estimated samples per second at that batch.
    public var samplesPerSecond: Double
    /// Estimated step time, milliseconds.
    public var stepTimeMs: Double

    public init(batchSize: Int, samplesPerSecond: Double, stepTimeMs: Double) {
        self.batchSize = batchSize
        self.samplesPerSecond = samplesPerSecond
        self.stepTimeMs = stepTimeMs
    }
}

/// One point of a memory curve.
public struct CurvePoint: Hashable, Codable, Sendable {
    /// Samples per step on the device (micro-batch).
    public var batchSize: Int
    /// Predicted device memory in use at that batch, in bytes.
    public var deviceUsedBytes: Int

    public init(batchSize: Int, deviceUsedBytes: Int) {
        self.batchSize = batchSize
        self.deviceUsedBytes = deviceUsedBytes
    }
}

/// A measured run next to the prediction for the same configuration.
public struct MeasuredPoint: Hashable, Codable, Sendable {
    /// What was run, e.g. "ViT-B/16 bs 256 bf16-amp on A100".
    public var label: String
    /// Measured device memory, in bytes.
    public var measuredBytes: Int
    /// Predicted device memory, in bytes.
    public var predictedBytes: Int

    public init(label: String, measuredBytes: Int, predictedBytes: Int) {
        self.label = label
        self.measuredBytes = measuredBytes
        self.predictedBytes = predictedBytes
    }
}
