/// The optimizer a run uses: the `--optimizer` values.
public enum OptimizerKind: String, CaseIterable, Codable, Sendable {
    case sgd
    case sgdMomentum = "sgd-momentum"
    case adam
    case adamw
    case adagrad
    case rmsprop
    case rmspropMomentum = "rmsprop-momentum"
    /// Adafactor with factored second moments and no first moment (β1 = None), as in transformers' default.
    case adafactor
    /// Adafactor with β1 set: adds a full first-moment slot.
    case adafactorMomentum = "adafactor-momentum"
    case lion
    /// bitsandbytes 8-bit AdamW: two one-byte slots plus block statistics.
    case adamw8bit = "adamw-8bit"
    /// bitsandbytes 8-bit Adam (`bnb.optim.Adam8bit`): the same state as AdamW8bit, L2 decay instead of decoupled.
    case adam8bit = "adam-8bit"
    /// bitsandbytes paged AdamW (fp32 states in unified memory that can be evicted to the host).
    case pagedAdamw = "paged-adamw"
    /// bitsandbytes paged 8-bit AdamW, the QLoRA default.
    case pagedAdamw8bit = "paged-adamw-8bit"
}

/// Activation checkpointing: the `--checkpointing` values.
public enum Checkpointing: String, CaseIterable, Codable, Sendable {
    /// Keep every activation autograd saves.
    case none
    /// Recompute attention internals only (Korthikanti et al. 2022 "selective").
    case selective
    /// Keep each block's input; recompute one block at a time in backward.
    case block

    /// Recomputation rank for tie-breaking: less recomputation wins.
    public var recomputeRank: Int {
        switch self {
        case .none: 0
        case .selective: 1
        case .block: 2
        }
    }
}

/// Which parameters train: the `--mode` values.
public enum TrainingMode: String, CaseIterable, Codable, Sendable {
    /// Every parameter trains.
    case full
    /// Only the task head trains; the body is frozen.
    case frozen
    /// Low-rank adapters on target modules; the base is frozen in the compute dtype.
    case lora
    /// LoRA over an NF4-quantized base (bf16 compute, paged AdamW by default).
    case qlora
}
