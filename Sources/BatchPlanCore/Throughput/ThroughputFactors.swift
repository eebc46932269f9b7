/// Calibrated step-time factors for one scope: multipliers on the roofline's compute-bound and memory-bound time,
/// and the launch overhead per layer pass.
///
/// `tensorScale` and `vectorScale` multiply the compute-bound time of tensor-core precisions (tf32, fp16/bf16, fp8)
/// and of fp32 on CUDA cores; the utilisation they imply is the default utilisation divided by the scale.
/// `memoryScale` multiplies the memory-bound time (the implied bandwidth efficiency is the default's divided by it).
public struct ThroughputFactors: Hashable, Codable, Sendable {
    public var tensorScale: Double
    public var vectorScale: Double
    public var memoryScale: Double
    /// Host-side launch overhead per layer pass (forward, recomputation, backward), seconds.
    public var overheadPerPassSeconds: Double
    /// The scope these came from: "default", "global", "family cnn", "H100 SXM / cnn", "H100 SXM / resnet50".
    public var scope: String
    /// Runs with a step time the scope learned from.
    public var runsUsed: Int
    /// Median |relative error| of the scope's own runs after fitting (0 for the defaults).
    public var medianRelativeError: Double

    public init(
        tensorScale: Double = 1, vectorScale: Double = 1, memoryScale: Double = 1,
        overheadPerPassSeconds: Double = Defaults.overheadPerPassSeconds, scope: String = "default", runsUsed: Int = 0,
        medianRelativeError: Double = 0
    ) {
        self.tensorScale = tensorScale
        self.vectorScale = vectorScale
        self.memoryScale = memoryScale
        self.overheadPerPassSeconds = overheadPerPassSeconds
        self.scope = scope
        self.runsUsed = runsUsed
        self.medianRelativeError = medianRelativeError
    }

    /// The analytic defaults, before any run is seen.
    public static let defaults = ThroughputFactors()

    public func scale(tensorCores: Bool) -> Double { tensorCores ? tensorScale : vectorScale }

    /// Effective share of the spec-sheet bandwidth the factors imply.
    public var bandwidthEfficiency: Double { Defaults.bandwidthEfficiency / memoryScale }

    /// Effective matmul utilisation the factors imply.
    public func utilization(tensorCores: Bool) -> Double {
        Defaults.matmulUtilization(tensorCores: tensorCores) / scale(tensorCores: tensorCores)
    }

    /// The uncalibrated constants of the step-time model, each with its source.
    public enum Defaults {
        /// Share of the tensor-core peak a training step's matmuls reach: 0.6. Whole training steps of large models
        /// reach 44–52% of A100 peak (Narayanan et al. 2021, Megatron-LM) and 46.2% (Chowdhery et al. 2022, PaLM),
        /// non-matmul time included; this model counts the memory-bound layers apart, so the matmuls' own share is
        /// set higher, near cuBLAS's 60–80% on large GEMMs. Smaller models and bigger cards reach less, which the
        /// calibration learns per card.
        public static let tensorCoreUtilization = 0.6
        /// Share of the fp32 CUDA-core peak a large SGEMM reaches: 0.7 (cuBLAS SGEMM on large square matrices reaches
        /// 70–90% of peak; NVIDIA cuBLAS performance notes); convolutions reach less.
        public static let fp32Utilization = 0.7
        /// Share of the fp32 peak elementwise and normalisation kernels reach when compute-bound: 0.5 (assumption;
        /// they are nearly always bandwidth-bound, so it rarely matters).
        public static let vectorUtilization = 0.5
        /// Share of the spec-sheet memory bandwidth that streaming kernels reach: 0.8 (STREAM-style copies reach
        /// 80–90% of HBM/GDDR peak; NVIDIA `bandwidthTest` and the "Dissecting the Ampere/Hopper GPU architecture"
        /// microbenchmarks by Jia et al. report similar).
        public static let bandwidthEfficiency = 0.8
        /// Host-side cost per layer pass in eager PyTorch: 25 µs (assumption: a Python-dispatched op costs about
        /// 5–10 µs of CPU time, PyTorch blog "Accelerating PyTorch with CUDA Graphs" 2021 and NVIDIA "Getting
        /// Started with CUDA Graphs", and an accounted layer is 2–5 ops); calibration replaces it.
        public static let overheadPerPassSeconds = 25e-6

        public static func matmulUtilization(tensorCores: Bool) -> Double {
            tensorCores ? tensorCoreUtilization : fp32Utilization
        }
    }
}

/// Where a prediction sits in the step-time scopes: global → family → family on a card → model on a card.
///
/// Utilisation (the compute scales) is a property of the card, so only the scopes on a card fit it; the scopes
/// across cards (global, family) fit only what transfers: the memory-bound scale and the launch overhead.
public struct ThroughputScopePath: Hashable, Codable, Sendable {
    public var gpu: String
    public var family: String
    public var model: String

    public init(gpu: String, family: String, model: String) {
        self.gpu = gpu
        self.family = family
        self.model = model
    }

    /// Scope keys from the most general to the most specific.
    public var keys: [String] { ["global", "family \(family)", "\(gpu) / \(family)", "\(gpu) / \(model)"] }
}

/// Step-time factors fitted per scope; `factors(for:)` walks a path to the most specific scope with enough runs.
public struct ThroughputCalibration: Hashable, Codable, Sendable {
    /// Each scope's factors, with how many runs it learned from (`ThroughputFactors.runsUsed`). The runs' ids are
    /// not kept: over 100,000 runs they made the stored calibration 4 MB, which every plan read.
    public var scopes: [String: ThroughputFactors]

    public init(scopes: [String: ThroughputFactors] = [:]) {
        self.scopes = scopes
    }

    /// No runs: the analytic defaults everywhere.
    public static let analytic = ThroughputCalibration()

    /// Fewest runs for a scope to be used.
    public static let minimumRuns = 3

    /// The most specific scope on `path` with at least `minimumRuns` runs, else the defaults.
    public func factors(for path: ThroughputScopePath) -> ThroughputFactors {
        var chosen = ThroughputFactors.defaults
        for key in path.keys {
            if let factors = scopes[key], factors.runsUsed >= Self.minimumRuns { chosen = factors }
        }
        return chosen
    }
}

/// The step-time model's assumption line for a fit's results.
public enum StepTimeNotes {
    public static func assumption(_ factors: ThroughputFactors) -> String {
        let tensor = Int((factors.utilization(tensorCores: true) * 100).rounded())
        let fp32 = Int((factors.utilization(tensorCores: false) * 100).rounded())
        let overhead = Int((factors.overheadPerPassSeconds * 1e6).rounded())
        let origin = factors.runsUsed > 0
            ? "calibrated from \(factors.runsUsed) runs' step times (scope \(factors.scope))"
            : "uncalibrated defaults"
        return "step time: per-layer roofline at \(tensor)% of the tensor-core peak (\(fp32)% of fp32 without tensor cores), "
            + "\(Int((factors.bandwidthEfficiency * 100).rounded()))% of memory bandwidth, \(overhead) µs launch overhead "
            + "per layer pass, \(origin); data-parallel communication and data loading not modelled"
    }
}
