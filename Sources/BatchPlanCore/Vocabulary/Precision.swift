/// How a training run stores weights and computes: the `--precision` values.
///
/// One enum used everywhere: CLI values, database CHECK constraints and JSON all use `rawValue`.
public enum Precision: String, CaseIterable, Codable, Sendable, Comparable {
    /// Everything in fp32, tensor cores off.
    case fp32
    /// fp32 storage, TF32 tensor-core matmuls (Ampere and later): memory as fp32.
    case tf32
    /// `torch.autocast(float16)` with fp32 weights and a GradScaler.
    case fp16Amp = "fp16-amp"
    /// `torch.autocast(bfloat16)` with fp32 weights.
    case bf16Amp = "bf16-amp"
    /// Pure fp16: weights, gradients and optimizer state in fp16, no fp32 master copy.
    case fp16
    /// Pure bf16: weights, gradients and optimizer state in bf16, no fp32 master copy.
    case bf16
    /// FP8 matmuls in the Transformer Engine style: bf16 weights with fp32 master, fp8 activations for linear layers.
    case fp8

    /// Bytes of one activation element kept for backward under this precision.
    public var activationBytes: Int {
        switch self {
        case .fp32, .tf32: 4
        case .fp16Amp, .bf16Amp, .fp16, .bf16: 2
        case .fp8: 1
        }
    }

    /// Order used for "higher precision wins ties": fp32 > tf32 > amp > pure half > fp8.
    public var fidelityRank: Int {
        switch self {
        case .fp32: 6
        case .tf32: 5
        case .bf16Amp: 4
        case .fp16Amp: 3
        case .bf16: 2
        case .fp16: 1
        case .fp8: 0
        }
    }

    public static func < (lhs: Precision, rhs: Precision) -> Bool { lhs.fidelityRank < rhs.fidelityRank }
}
