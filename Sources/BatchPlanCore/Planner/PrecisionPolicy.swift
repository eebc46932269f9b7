/// How `fit` treats a precision for a training mode: what it recommends, what it offers only as a trade-off, what it
/// plans only when asked.
public enum PrecisionStanding: String, Codable, Sendable {
    /// The recipe people train with: mixed precision (bf16-amp where the card has bf16, else fp16-amp with loss
    /// scaling), or fp32/tf32, for full training; the usual adapter recipe (frozen half/NF4 base, fp32 adapters and
    /// optimizer state under autocast) for LoRA/QLoRA.
    case recommended
    /// Offered when nothing recommended fits the same training mode: pure bf16 (no fp32 master weights) and fp8.
    case tradeOff = "trade-off"
    /// Asked for with `--precision`; planned as asked (pure fp16 full training with a warning).
    case requested
}

/// The precision policy of `fit`: which precisions each training mode enumerates and how each is flagged.
///
/// Sources: Micikevicius et al. 2018 "Mixed Precision Training" (fp16 weight updates underflow without an fp32 master
/// copy; loss scaling keeps small fp16 gradients representable); PyTorch AMP docs (`torch.autocast` +
/// `GradScaler` for fp16, no scaler needed for bf16, whose exponent range is fp32's); Kalamkar et al. 2019 "A Study
/// of BFLOAT16 for Deep Learning Training" (bf16 matches fp32 when the master weights and accumulation stay fp32;
/// pure bf16 storage rounds small updates away, which costs accuracy when training from scratch, Zamirai et al. 2020
/// "Revisiting BFloat16 Training"); NVIDIA Transformer Engine docs (fp8 is a mixed recipe over bf16 with fp32 master
/// weights, on FP8 tensor cores only: Ada, Hopper, Blackwell); Hu et al. 2021 "LoRA", Dettmers et al. 2023 "QLoRA"
/// and PEFT (`autocast_adapter_dtype=True` keeps adapters in fp32 over a bf16/NF4 base).
public struct PrecisionPolicy: Sendable {
    public let gpu: GPU
    /// The precisions the user asked for with `--precision`; `nil` lets the policy choose.
    public let requested: [Precision]?

    public init(gpu: GPU, requested: [Precision]?) {
        self.gpu = gpu
        self.requested = requested
    }

    /// The mixed-precision recipe of this card: bf16-amp where it has bf16, else fp16-amp with loss scaling.
    public var mixed: Precision { gpu.supportsBF16 ? .bf16Amp : .fp16Amp }

    /// How a precision stands for a mode on this card; `nil` when `fit` does not plan it at all.
    public func standing(_ precision: Precision, mode: TrainingMode) -> PrecisionStanding? {
        guard gpu.supports(precision) else { return nil }
        if let requested { return requested.contains(precision) ? .requested : nil }
        switch mode {
        case .full, .frozen:
            switch precision {
            case .fp32, .tf32: return .recommended
            case .bf16Amp, .fp16Amp: return precision == mixed ? .recommended : nil
            case .bf16, .fp8: return .tradeOff
            case .fp16: return nil
            }
        case .lora, .qlora:
            return precision == mixed ? .recommended : nil
        }
    }

    /// Ranking tier: recommended and requested plans before trade-offs.
    public static func tier(_ standing: PrecisionStanding) -> Int { standing == .tradeOff ? 1 : 0 }

    /// The flag a plan carries for its precision, or `nil` for the recommended recipes.
    public static func note(_ precision: Precision, mode: TrainingMode) -> String? {
        guard mode == .full || mode == .frozen else { return nil }
        switch precision {
        case .bf16:
            return "pure bf16 (no fp32 master weights): a fidelity trade-off, small updates round away; fine-tuning tolerates it better than training from scratch"
        case .fp16:
            return "pure fp16 without fp32 master weights: updates below fp16's resolution underflow (Micikevicius et al. 2018); use fp16-amp"
        case .fp8:
            return "fp8 as Transformer Engine-style mixed fp8 (te.Linear under fp8_autocast, bf16 elsewhere, fp32 master weights): needs Transformer Engine and a scaling recipe"
        default:
            return nil
        }
    }

    /// The flag in a few words, for table cells.
    public static func shortNote(_ precision: Precision, mode: TrainingMode) -> String? {
        guard mode == .full || mode == .frozen else { return nil }
        switch precision {
        case .bf16: return "pure bf16: fidelity trade-off"
        case .fp16: return "pure fp16 as asked: updates underflow"
        case .fp8: return "TE-style mixed fp8"
        default: return nil
        }
    }

    /// A warning for a precision asked for that the policy never recommends (pure fp16 full training).
    public func warning(for mode: TrainingMode) -> String? {
        guard let requested, requested.contains(.fp16), mode == .full || mode == .frozen else { return nil }
        return "precision fp16 (pure half) is planned because you asked; it is not a usable training recipe: "
            + "weight updates underflow without fp32 master weights (Micikevicius et al. 2018): use --precision \(mixed.rawValue)"
    }
}
