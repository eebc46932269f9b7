/// Memory outside the model's tensors, per GPU architecture and framework: the one place these defaults live.
///
/// Every value is a default that calibration replaces (`CalibrationFactors.runtimeContextBytes`,
/// `.allocatorReserveRatio`); each carries its source and whether it is an assumption.
public struct RuntimeDefaults: Hashable, Sendable {
    /// CUDA context, kernel images and library handles outside the allocator (nvidia-smi minus reserved), bytes.
    public var runtimeContextBytes: Int
    /// cuBLAS workspace allocated through the caching allocator, bytes.
    public var blasWorkspaceBytes: Int
    /// cuDNN convolution workspace allowance for models with convolutions, bytes.
    public var convolutionWorkspaceBytes: Int
    /// Reserved = allocated × (1 + ratio) before rounding to the allocator's segment size.
    public var allocatorReserveRatio: Double
    /// Reserved memory is rounded up to this segment size, bytes (PyTorch's caching allocator: 2 MiB).
    public var segmentBytes: Int

    private static let mib = 1 << 20

    /// Defaults for a card (nil: a generic CUDA card) under a framework.
    ///
    /// Sources:
    /// - Context: anchors.md §4 observed range 0.3–2 GiB (asmirnov), 1.3 GB on V100 before CUDA lazy loading (HF),
    ///   0.5 GiB (Loggetta default). With `CUDA_MODULE_LOADING=LAZY` (PyTorch's default since 1.13/CUDA 11.7) the
    ///   context plus cuBLAS/cuDNN handles is a few hundred MiB, growing with newer architectures' larger kernel
    ///   images. The per-architecture values are assumptions inside that range.
    /// - cuBLAS workspace: PyTorch's `CUBLAS_WORKSPACE_CONFIG` default `:4096:2:16:8` (2×4 MiB + 8×16 KiB) before
    ///   Hopper and `:4096:8` (32 MiB) on Hopper and later, matching cuBLAS's recommended 4 MiB / 32 MiB.
    /// - cuDNN workspace: an assumption (128 MiB) for the convolution algorithms' scratch memory.
    /// - Reserve: an assumption (10%) between the caching allocator's typical 5–25% fragmentation and Loggetta's 20%.
    public static func resolve(gpu: GPU?, framework: Framework) -> RuntimeDefaults {
        let architecture = gpu?.architecture.lowercased() ?? "generic"
        let context: Int
        switch architecture {
        case "kepler", "maxwell", "pascal", "volta", "turing": context = 450 * mib
        case "ampere", "ada": context = 500 * mib
        case "hopper": context = 600 * mib
        case "blackwell": context = 700 * mib
        default: context = 600 * mib
        }
        let blas = isHopperOrLater(architecture) ? 32 * mib : 8 * mib + 128 * 1024
        return RuntimeDefaults(
            runtimeContextBytes: context, blasWorkspaceBytes: blas, convolutionWorkspaceBytes: 128 * mib,
            allocatorReserveRatio: 0.10, segmentBytes: 2 * mib)
    }

    private static func isHopperOrLater(_ architecture: String) -> Bool {
        architecture == "hopper" || architecture == "blackwell"
    }

    /// Statements of the defaults `resolve` uses for a card and framework, each with its source; where
    /// `calibration` replaces the runtime context or the allocator reserve, the value used, with the default beside it.
    public static func notes(gpu: GPU?, framework: Framework, calibration: CalibrationFactors? = nil) -> [String] {
        let architecture = gpu?.architecture.lowercased() ?? "generic"
        let defaults = resolve(gpu: gpu, framework: framework)
        let context = defaults.runtimeContextBytes
        let blas = defaults.blasWorkspaceBytes
        let hopperOrLater = isHopperOrLater(architecture)
        let scope = calibration.map { "calibration \($0.scope)" } ?? "calibration"
        let contextNote =
            if let calibrated = calibration?.runtimeContextBytes {
                "runtime context \(ByteSize.format(calibrated)) (\(scope); the default for \(architecture) is "
                    + "\(ByteSize.format(context)), within the observed 0.3–2 GiB, anchors.md §4)"
            } else {
                "runtime context \(ByteSize.format(context)) for \(architecture) (assumption within the observed "
                    + "0.3–2 GiB, anchors.md §4; calibration replaces it)"
            }
        let reserveNote =
            if let calibrated = calibration?.allocatorReserveRatio {
                "allocator reserve " + NumberFormat.string("%.1f", calibrated * 100) + "% of allocated, rounded to 2 MiB "
                    + "segments (\(scope); the default is 10%)"
            } else {
                "allocator reserve 10% of allocated, rounded to 2 MiB segments (assumption; calibration replaces it)"
            }
        var notes = [
            contextNote,
            "cuBLAS workspace \(ByteSize.format(blas)) (PyTorch CUBLAS_WORKSPACE_CONFIG default "
                + (hopperOrLater ? ":4096:8" : ":4096:2:16:8") + ")",
            reserveNote,
        ]
        switch framework.name {
        case .pytorch: break
        case .tensorflow:
            notes.append("tensorflow: assumes TF_FORCE_GPU_ALLOW_GROWTH=true; by default TensorFlow reserves nearly all memory")
        case .jax:
            notes.append("jax: assumes XLA_PYTHON_CLIENT_PREALLOCATE=false; by default JAX preallocates 75% of memory")
        }
        if let gpu, gpu.vendor != .nvidia {
            notes.append("\(gpu.name): non-NVIDIA runtime defaults are generic assumptions")
        }
        return notes
    }
}
