/// Bytes per memory component at the peak phase of a training step.
///
/// The eleven components sum to `MemoryEstimate.deviceUsedBytes`. Names map to the JSON contract keys `weights`,
/// `gradients`, `optimizer_state`, `master_weights`, `activations`, `activation_gradients`, `inputs`, `workspace`,
/// `runtime_context`, `allocator_reserve`, `calibration_adjustment` (last, so that CSV columns only grow).
public struct MemoryComponents: Hashable, Codable, Sendable {
    /// Stored weights (trainable and frozen, by storage dtype) plus autocast/fp8 weight copies alive at the peak.
    public var weights: Int
    /// Parameter gradients resident at the peak (DDP bucket copies included).
    public var gradients: Int
    /// Optimizer slots and block statistics, plus the step's temporaries when the peak is the optimizer step.
    public var optimizerState: Int
    /// fp32 master weights where a regime keeps them separately (fp8).
    public var masterWeights: Int
    /// Tensors saved for backward (logits and loss included), at the compute precision.
    public var activations: Int
    /// Transient activation gradients (and recomputed checkpoint segments) at the peak.
    public var activationGradients: Int
    /// The input batch and labels on the device.
    public var inputs: Int
    /// cuBLAS/cuDNN workspace and ZeRO-3 gather buffers.
    public var workspace: Int
    /// CUDA context, kernels and libraries outside the framework's allocator (nvidia-smi only).
    public var runtimeContext: Int
    /// Reserved minus allocated: the caching allocator's rounding and fragmentation.
    public var allocatorReserve: Int
    /// What calibration adds to (or, negative, takes from) the analytic allocation at the peak, bytes: its
    /// activation scale on the activations and its scale on the implementation-dependent model-state terms. The
    /// other components are the analytic model's, never scaled.
    public var calibrationAdjustment: Int

    public init(
        weights: Int = 0, gradients: Int = 0, optimizerState: Int = 0, masterWeights: Int = 0, activations: Int = 0,
        activationGradients: Int = 0, inputs: Int = 0, workspace: Int = 0, runtimeContext: Int = 0,
        allocatorReserve: Int = 0, calibrationAdjustment: Int = 0
    ) {
        self.weights = weights
        self.gradients = gradients
        self.optimizerState = optimizerState
        self.masterWeights = masterWeights
        self.activations = activations
        self.activationGradients = activationGradients
        self.inputs = inputs
        self.workspace = workspace
        self.runtimeContext = runtimeContext
        self.allocatorReserve = allocatorReserve
        self.calibrationAdjustment = calibrationAdjustment
    }

    /// The components in contract order with their JSON keys.
    public var keyed: [(key: String, bytes: Int)] {
        [
            ("weights", weights), ("gradients", gradients), ("optimizer_state", optimizerState),
            ("master_weights", masterWeights), ("activations", activations),
            ("activation_gradients", activationGradients), ("inputs", inputs), ("workspace", workspace),
            ("runtime_context", runtimeContext), ("allocator_reserve", allocatorReserve),
            ("calibration_adjustment", calibrationAdjustment),
        ]
    }

    /// What the framework's allocator holds: everything but the context and the reserve.
    public var allocated: Int {
        weights + gradients + optimizerState + masterWeights + activations + activationGradients + inputs + workspace
            + calibrationAdjustment
    }

    /// Sum of all eleven components (equals the device-used prediction).
    public var total: Int { allocated + runtimeContext + allocatorReserve }
}

/// The peak allocated bytes split the way calibration scales them, so a fitter can linearize the prediction:
/// `allocated = modelStates × modelStateScale + activations × activationScale + other`.
///
/// `modelStates` holds only the implementation-dependent model-state terms (optimizer step temporaries, autocast
/// weight copies, DDP bucket copies, gather and dequantization buffers); the exact states are in `exactStates`,
/// which `other` includes.
public struct PeakDecomposition: Hashable, Codable, Sendable {
    /// Implementation-dependent model-state bytes at the peak, before calibration scaling.
    public var modelStates: Int
    /// Saved activations and activation gradients at the peak, before calibration scaling.
    public var activations: Int
    /// Exact model states, inputs and workspace (never scaled).
    public var other: Int
    /// Weights, gradients, optimizer state and master weights computed from parameter counts and precisions (in
    /// `other`); kept apart so that a comparison can reproduce the earlier fit that scaled them.
    public var exactStates: Int

    public init(modelStates: Int, activations: Int, other: Int, exactStates: Int = 0) {
        self.modelStates = modelStates
        self.activations = activations
        self.other = other
        self.exactStates = exactStates
    }
}

/// Allocated bytes at one phase of a training step.
public struct PhaseMemory: Hashable, Codable, Sendable {
    /// `forward`, `backward (<layer>)`, `optimizer-step`.
    public var name: String
    public var allocatedBytes: Int

    public init(name: String, allocatedBytes: Int) {
        self.name = name
        self.allocatedBytes = allocatedBytes
    }
}

/// A memory prediction for one model, configuration and card: components at the peak phase and the three counters.
public struct MemoryEstimate: Hashable, Codable, Sendable {
    public var configuration: TrainingConfiguration
    /// Components at the peak phase; they sum to `deviceUsedBytes`.
    public var components: MemoryComponents
    /// Predicts `torch.cuda.max_memory_allocated()`, bytes.
    public var peakAllocatedBytes: Int
    /// Predicts `torch.cuda.max_memory_reserved()`, bytes.
    public var peakReservedBytes: Int
    /// Predicts nvidia-smi's used memory for the process, bytes.
    public var deviceUsedBytes: Int
    /// Extra headroom from the calibration's uncertainty (one-sided ~90% interval), bytes.
    public var uncertaintyBytes: Int
    /// The phase whose allocation is the peak, e.g. `backward (layer4.1.conv2)`.
    public var peakPhase: String
    /// Allocated bytes at each modelled phase (the backward entry is its worst layer).
    public var phases: [PhaseMemory]
    /// Bytes saved for backward per sample at this configuration (precision, checkpointing, mode), calibrated.
    public var activationBytesPerSample: Int
    /// All parameters, LoRA adapters included.
    public var parameters: Int
    /// Parameters that receive gradients.
    public var trainableParameters: Int
    /// The peak split for the calibration fitter.
    public var decomposition: PeakDecomposition
    /// The calibration scope applied.
    public var calibrationScope: CalibrationScope

    /// Whether a calibrated scope applied. The analytic model carries the global scope and no spread, so no
    /// uncertainty; every applied scope has a spread from its runs.
    public var isCalibrated: Bool { !(calibrationScope == .global && uncertaintyBytes == 0) }
    /// Statements of what was assumed: framework, attention, defaults and their sources.
    public var assumptions: [String]
    /// Each component's own largest value over the step and the phase it has it in (it may differ from the peak
    /// phase: at the peak only the last layers' gradients exist, at the optimizer step all of them do). Set by
    /// `Planner.estimate(…, withComponentMaxima: true)`; `nil` otherwise.
    public var componentMaxima: [ComponentMaximum]? = nil
}

/// The largest value one memory component takes over a training step's phases.
public struct ComponentMaximum: Hashable, Codable, Sendable {
    /// The component's contract key (`gradients`, `activations`, …).
    public var key: String
    public var bytes: Int
    /// The first phase where it is that large, named as `peakPhase` is.
    public var phase: String

    public init(key: String, bytes: Int, phase: String) {
        self.key = key
        self.bytes = bytes
        self.phase = phase
    }
}
