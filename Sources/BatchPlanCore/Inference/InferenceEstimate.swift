/// Bytes per memory component of a served model at its peak: the seven components sum to `deviceUsedBytes`.
///
/// JSON keys: `weights`, `kv_cache`, `activations`, `inputs`, `workspace`, `runtime_context`, `allocator_reserve`.
public struct InferenceComponents: Hashable, Codable, Sendable {
    /// Weights as stored for serving (quantization constants included), per GPU.
    public var weights = 0
    /// The KV cache of every sequence (whole blocks when paged).
    public var kvCache = 0
    /// The peak live activations of one forward pass (the largest working set, not a sum over layers).
    public var activations = 0
    /// Token ids and masks, or images, of one pass.
    public var inputs = 0
    /// cuBLAS/cuDNN workspace.
    public var workspace = 0
    /// CUDA context, kernels and libraries outside the allocator (nvidia-smi only).
    public var runtimeContext = 0
    /// Reserved minus allocated: the caching allocator's rounding and fragmentation.
    public var allocatorReserve = 0

    public init() {}

    /// Components in contract order with their JSON keys.
    public var keyed: [(key: String, bytes: Int)] {
        [
            ("weights", weights), ("kv_cache", kvCache), ("activations", activations), ("inputs", inputs),
            ("workspace", workspace), ("runtime_context", runtimeContext), ("allocator_reserve", allocatorReserve),
        ]
    }

    /// What the framework's allocator holds.
    public var allocated: Int { weights + kvCache + activations + inputs + workspace }

    /// All seven components: the device-used prediction.
    public var total: Int { allocated + runtimeContext + allocatorReserve }
}

/// Values fitted from measured inference runs; training runs never enter them.
public struct InferenceCalibration: Hashable, Codable, Sendable {
    /// CUDA context and libraries (device used minus reserved), bytes; `nil` keeps the default.
    public var runtimeContextBytes: Int?
    /// Reserved / allocated − 1; `nil` keeps the default.
    public var allocatorReserveRatio: Double?
    /// Inference runs the values come from.
    public var runsUsed: Int
    /// The scope, e.g. `inference gpu H100-SXM`, or `analytic`.
    public var scope: String

    public init(runtimeContextBytes: Int? = nil, allocatorReserveRatio: Double? = nil, runsUsed: Int = 0, scope: String = "analytic") {
        self.runtimeContextBytes = runtimeContextBytes
        self.allocatorReserveRatio = allocatorReserveRatio
        self.runsUsed = runsUsed
        self.scope = scope
    }

    /// No fitted values: the per-architecture defaults.
    public static let analytic = InferenceCalibration()
}

/// A memory prediction for one served model, configuration, workload and card.
public struct InferenceEstimate: Hashable, Codable, Sendable {
    public var configuration: InferenceConfiguration
    public var workload: InferenceWorkload
    public var components: InferenceComponents
    /// Predicts `torch.cuda.max_memory_allocated()`, bytes.
    public var peakAllocatedBytes: Int
    /// Predicts `torch.cuda.max_memory_reserved()`, bytes.
    public var peakReservedBytes: Int
    /// Predicts nvidia-smi's used memory for the process, bytes.
    public var deviceUsedBytes: Int
    /// The forward-pass part whose working set is the activation peak (`attention`, `mlp`, `logits`, a layer name).
    public var peakPhase: String
    /// Cache bytes of one token in every layer (no windows or blocks), per GPU; 0 for models without a cache.
    public var kvBytesPerToken: Int
    /// Cache bytes of one sequence of the workload's context (windows and blocks applied), per GPU.
    public var kvBytesPerSequence: Int
    public var weightStorage: WeightStorage
    public var calibration: InferenceCalibration
    /// Statements of what was assumed, with sources.
    public var assumptions: [String]
}
