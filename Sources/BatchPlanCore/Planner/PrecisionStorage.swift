/// How a precision regime stores each kind of tensor, in bytes per element: the one place these rules live.
///
/// Sources: PyTorch AMP docs (`torch.autocast` keeps parameters and their gradients in fp32 and casts matmul inputs
/// to half; autocast caches the casts of leaf weights that require grad); Micikevicius et al. 2018 "Mixed Precision
/// Training" and ZeRO (Rajbhandari et al. 2020) for the fp16 weights + fp32 master regime that fp8 reuses;
/// LLaMA-Factory `pure_bf16` for half storage without master weights; Transformer Engine docs for fp8 weight caches.
/// See anchors.md §4 for the bytes-per-parameter table these reproduce.
public struct PrecisionStorage: Hashable, Sendable {
    /// Bytes per trainable weight as stored in the model.
    public var weightBytes: Int
    /// Bytes per gradient element.
    public var gradientBytes: Int
    /// Bytes per parameter of a separate fp32 master copy (0 when the stored weights are the master).
    public var masterBytes: Int
    /// Bytes per element of a full-precision optimizer slot (`torch.zeros_like(param)` or the master's dtype).
    public var optimizerSlotBytes: Int
    /// Bytes per saved activation element in the compute dtype.
    public var activationBytes: Int
    /// Bytes per trainable matmul weight of the low-precision copy kept for backward (autocast cache, fp8 caches).
    public var castCopyBytes: Int
    /// Bytes per frozen base weight under LoRA ("frozen in the compute dtype").
    public var frozenBaseBytes: Int
    /// The precision these rules describe.
    public var precision: Precision

    /// The storage rules of a precision.
    public static func of(_ precision: Precision) -> PrecisionStorage {
        switch precision {
        case .fp32, .tf32:
            PrecisionStorage(
                weightBytes: 4, gradientBytes: 4, masterBytes: 0, optimizerSlotBytes: 4, activationBytes: 4,
                castCopyBytes: 0, frozenBaseBytes: 4, precision: precision)
        case .fp16Amp, .bf16Amp:
            PrecisionStorage(
                weightBytes: 4, gradientBytes: 4, masterBytes: 0, optimizerSlotBytes: 4, activationBytes: 2,
                castCopyBytes: 2, frozenBaseBytes: 2, precision: precision)
        case .fp16, .bf16:
            PrecisionStorage(
                weightBytes: 2, gradientBytes: 2, masterBytes: 0, optimizerSlotBytes: 2, activationBytes: 2,
                castCopyBytes: 0, frozenBaseBytes: 2, precision: precision)
        case .fp8:
            PrecisionStorage(
                weightBytes: 2, gradientBytes: 2, masterBytes: 4, optimizerSlotBytes: 4, activationBytes: 2,
                castCopyBytes: 2, frozenBaseBytes: 2, precision: precision)
        }
    }

    /// A sentence saying what was assumed, for `MemoryEstimate.assumptions`.
    public var note: String {
        switch precision {
        case .fp32, .tf32:
            "\(precision.rawValue): weights, gradients, optimizer state and activations in fp32"
        case .fp16Amp, .bf16Amp:
            "\(precision.rawValue) (torch.autocast): fp32 weights and gradients, half activations, "
                + "2-byte cast copies of trainable matmul weights kept for backward; a LoRA base is assumed loaded in half"
        case .fp16, .bf16:
            "\(precision.rawValue) (pure half): weights, gradients and optimizer slots in half, no fp32 master"
        case .fp8:
            "fp8 (Transformer Engine style): bf16 weights and gradients, fp32 master and optimizer state "
                + "(the mixed-precision regime: 'no memory savings with FP8', Accelerate docs), fp8 weight + "
                + "transpose caches (2 B/param); saved activations counted at 2 B because the accounting does not "
                + "separate the fp8 linear inputs (conservative)"
        }
    }
}

/// QLoRA's 4-bit NormalFloat storage.
///
/// Source: Dettmers et al. 2023 "QLoRA": NF4 at 4 bits/param; block 64 quantization constants, double-quantized to
/// 8-bit with one fp32 second-level constant per 256 blocks: 8/64 + 32/(64·256) ≈ 0.127 bits/param.
public enum NF4 {
    /// Bytes per quantized parameter, constants included: 0.5 + 1/64 + 4/16384.
    public static let bytesPerParameter: Double = 0.5 + 1.0 / 64.0 + 4.0 / 16_384.0
}
