/// A model prepared for inference planning: its accounting (parameters, layers), its KV cache geometry when it is
/// a decoder, and the transformer description the working set reads.
public struct InferenceModel: Sendable {
    public let accounting: ModelAccounting
    /// `nil` for models that cache nothing (CNNs, ViTs, encoders).
    public let kvCache: KVCacheGeometry?
    let transformer: TransformerDescription?

    /// Prepares `definition`, already accounted as `accounting` (at the sequence length or image size planned).
    ///
    /// - Throws: `CoreError.unsupported` for encoder–decoders (T5), whose two caches are not modelled yet.
    public init(definition: ModelDefinition, accounting: ModelAccounting) throws(CoreError) {
        self.accounting = accounting
        if definition.kind == .huggingFace {
            kvCache = try KVCacheGeometry.read(config: definition.payload, model: definition.name)
            transformer = try TransformerDescription(config: HFConfig(model: definition.name, text: definition.payload))
        } else {
            kvCache = nil
            transformer = nil
        }
        if accounting.family == .encoderDecoder && kvCache == nil {
            throw .unsupported("model \"\(definition.name)\" is an encoder–decoder: inference memory is not modelled for it yet")
        }
    }

    /// Whether the model generates with a KV cache.
    public var isDecoder: Bool { kvCache != nil }

    /// Tokens one sample of a model without a cache runs through: an encoder's sequence, a ViT's patches and class
    /// token; 1 for models accounted per sample (CNNs), whose working set is per sample.
    var tokensPerSample: Int {
        guard let transformer else { return 1 }
        switch accounting.input {
        case let .sequence(length): return length
        case .image:
            let grid = transformer.imageSize / max(1, transformer.patchSize)
            return grid * grid + 1
        case .tensor: return 1
        }
    }

    /// Whether the model's head produces vocabulary logits (a causal LM) rather than a pooled classification.
    var producesLogits: Bool { isDecoder && accounting.task == .causalLM }

    /// Longest context the model's positions allow, if it has a limit.
    public var maxPositions: Int? { accounting.maxPositions }

    /// Whether positions come from a learned table (GPT-2, BERT), which cannot index past its rows; rotary, ALiBi
    /// and relative positions can run longer (with a warning).
    public var hasLearnedPositions: Bool { (transformer?.positionRows ?? 0) > 0 }

    /// The working set of one forward pass under `configuration`.
    func workingSet(_ configuration: InferenceConfiguration) -> InferenceWorkingSet {
        if let transformer {
            return .transformer(
                transformer, dtype: configuration.dtype, attention: configuration.attention,
                tensorParallel: configuration.tensorParallel, causalLM: producesLogits,
                fusedAttention: configuration.engine == .paged)
        }
        return .layerWalk(accounting, dtype: configuration.dtype)
    }

    /// Bytes of the inputs one pass reads: token ids and attention mask (int64 each) per token, or one fp32 image
    /// per sample.
    func inputBytes(sequences: Int, tokens: Int) -> Int {
        if transformer != nil, case .sequence = accounting.input { return sequences * tokens * 16 }
        return sequences * accounting.input.elements * 4
    }

    /// Whether any layer is a convolution (cuDNN workspace).
    var hasConvolution: Bool { accounting.layers.contains { $0.type.lowercased().contains("conv") && $0.linearShape == nil } }
}
