import Foundation

/// The dtype a forward pass computes in under `torch.inference_mode()`: the `--dtype` values of `serve`.
///
/// Activations, unquantized weights (norms, embeddings, the LM head) and, by default, the KV cache use it.
public enum ComputeDType: String, CaseIterable, Codable, Sendable {
    case fp32
    case fp16
    case bf16

    /// Bytes per element.
    public var bytes: Int { self == .fp32 ? 4 : 2 }
}

/// How the KV cache stores keys and values: the `--kv-cache-dtype` values.
///
/// fp8 is vLLM's `kv_cache_dtype="fp8"` (e4m3 or e5m2, one byte per element; its per-tensor scales are a few bytes
/// per layer and not counted).
public enum KVCacheDType: String, CaseIterable, Codable, Sendable {
    case fp32
    case fp16
    case bf16
    case fp8

    /// Bytes per cached element.
    public var bytes: Int {
        switch self {
        case .fp32: 4
        case .fp16, .bf16: 2
        case .fp8: 1
        }
    }

    /// The cache dtype a model computing in `dtype` uses unless told otherwise (the model's own dtype).
    public static func matching(_ dtype: ComputeDType) -> KVCacheDType {
        switch dtype {
        case .fp32: .fp32
        case .fp16: .fp16
        case .bf16: .bf16
        }
    }
}

/// How serving stores the weights of the linear layers: the `--weights` values.
///
/// Quantized formats apply to the linear layers of the body; embeddings, norms and the LM head stay in the compute
/// dtype, as AutoGPTQ, AutoAWQ, bitsandbytes and vLLM's fp8 keep them (their default skip lists hold `lm_head`).
public enum WeightFormat: String, CaseIterable, Codable, Sendable {
    /// Every weight in the compute dtype (the default).
    case native
    case fp32
    case fp16
    case bf16
    /// FP8 (e4m3) weights with one fp32 scale per tensor (vLLM `quantization="fp8"`, FBGEMM/compressed-tensors
    /// per-tensor schemes).
    case fp8
    /// bitsandbytes LLM.int8(): int8 weights and one fp32 scale per output row (`Int8Params.SCB`).
    case int8
    /// Group-wise int4 as GPTQ and AWQ store it: `qweight` packs eight 4-bit values per int32, and every group of
    /// `groupSize` input rows has one fp16 scale and one packed 4-bit zero point per output column (`scales`,
    /// `qzeros`). GPTQ checkpoints add `g_idx`, one int32 per input row, counted too.
    case int4
    /// bitsandbytes NF4 as transformers loads it by default (`BitsAndBytesConfig(bnb_4bit_use_double_quant=False)`):
    /// 4 bits per weight and one fp32 absmax per block of 64.
    case nf4
    /// NF4 with double quantization (QLoRA's, `bnb_4bit_use_double_quant=True`): the block absmax in 8 bits plus one
    /// fp32 constant per 256 blocks (Dettmers et al. 2023; `NF4.bytesPerParameter`).
    case nf4DoubleQuant = "nf4-dq"
}

/// Parses the values of the inference options, with a did-you-mean for a near miss.
public enum InferenceVocabulary {
    /// The case of `E` named `text` (case-insensitive).
    ///
    /// - Throws: `CoreError.invalidValue` naming the option, the closest values and every valid one.
    public static func parse<E: RawRepresentable & CaseIterable>(_ text: String, as _: E.Type, option: String) throws(CoreError)
        -> E where E.RawValue == String
    {
        let lowered = text.trimmingSpaces().lowercased()
        if let value = E.allCases.first(where: { $0.rawValue == lowered }) { return value }
        let names = E.allCases.map(\.rawValue)
        let hint = NameSuggestion.didYouMean(lowered, among: names).map { "\($0) " } ?? ""
        throw .invalidValue(what: option, value: text, fix: "\(hint)use one of \(names.joined(separator: ", "))")
    }
}
