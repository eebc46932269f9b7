import BatchPlanCore

/// One planned combination on one card: what it is, whether it fits, the largest batch, and where the memory goes.
public struct PlanRow: Hashable, Sendable {
    /// The model's catalog name.
    public var model: String
    /// How weights are stored and matmuls computed.
    public var precision: Precision
    /// The optimizer, which decides the optimizer-state bytes per parameter.
    public var optimizer: OptimizerKind
    /// Which activations are recomputed instead of kept.
    public var checkpointing: Checkpointing
    /// Which parameters train.
    public var mode: TrainingMode
    /// Whether batch 1 fits with headroom.
    public var fits: Bool
    /// The largest micro-batch that fits with headroom; 0 when nothing fits.
    public var maxBatchSize: Int
    /// Gradient-accumulation steps to reach the requested global batch; `nil` when none was requested.
    public var gradAccumSteps: Int?
    /// Predicted device memory in use at `maxBatchSize` (at batch 1 when nothing fits), in bytes.
    public var deviceUsedBytes: Int
    /// Memory kept free as a safety margin below the card's capacity, in bytes.
    public var headroomBytes: Int
    /// Where `deviceUsedBytes` goes, in the order to show; keys as `MemoryComponent.Key` names them.
    public var components: [MemoryComponent]
    /// Estimated step time at the solved batch, milliseconds; `nil` when it does not fit or the card lacks a rate.
    public var stepTimeMs: Double?
    /// Estimated samples per second (and tokens per second for sequence models).
    public var samplesPerSecond: Double?
    public var tokensPerSecond: Double?
    /// The precision policy's flag (pure bf16 trade-off, fp8 recipe, pure fp16 warning), if any.
    public var precisionNote: String?

    public init(
        model: String, precision: Precision, optimizer: OptimizerKind, checkpointing: Checkpointing = .none,
        mode: TrainingMode = .full, fits: Bool, maxBatchSize: Int, gradAccumSteps: Int? = nil, deviceUsedBytes: Int,
        headroomBytes: Int, components: [MemoryComponent], stepTimeMs: Double? = nil, samplesPerSecond: Double? = nil,
        tokensPerSecond: Double? = nil, precisionNote: String? = nil
    ) {
        self.stepTimeMs = stepTimeMs
        self.samplesPerSecond = samplesPerSecond
        self.tokensPerSecond = tokensPerSecond
        self.precisionNote = precisionNote
        self.model = model
        self.precision = precision
        self.optimizer = optimizer
        self.checkpointing = checkpointing
        self.mode = mode
        self.fits = fits
        self.maxBatchSize = maxBatchSize
        self.gradAccumSteps = gradAccumSteps
        self.deviceUsedBytes = deviceUsedBytes
        self.headroomBytes = headroomBytes
        self.components = components
    }

    /// "bf16-amp + adamw" with ", block ckpt" and ", lora" appended when they are not the defaults.
    public var combinationLabel: String {
        var label = "\(precision.rawValue) + \(optimizer.rawValue)"
        if checkpointing != .none { label += ", \(checkpointing.rawValue) ckpt" }
        if mode != .full { label += ", \(mode.rawValue)" }
        return label
    }

    /// Bytes of one component, 0 when the plan does not list it.
    public func bytes(of key: String) -> Int {
        components.first { $0.key == key }?.bytes ?? 0
    }
}

/// One slice of predicted device memory.
public struct MemoryComponent: Hashable, Sendable {
    /// The JSON contract's name for the slice, one of `MemoryComponent.standardKeys` (others are allowed and kept).
    public var key: String
    /// Bytes in this slice.
    public var bytes: Int

    public init(key: String, bytes: Int) {
        self.key = key
        self.bytes = bytes
    }

    /// The contract's component keys in the order reports show them: model states first, then what grows with the
    /// batch, then what the runtime adds.
    public static let standardKeys = [
        "weights", "gradients", "optimizer_state", "master_weights", "activations", "activation_gradients",
        "inputs", "workspace", "runtime_context", "allocator_reserve", "calibration_adjustment",
    ]

    /// A reader's name for a key: "optimizer_state" → "optimizer state".
    public static func displayName(of key: String) -> String {
        key.replacingOccurrences(of: "_", with: " ")
    }
}
