/// Accounts a model given by its Hugging Face `config.json` (`batchplan models import --hf config.json`), as
/// transformers 5 builds it for the task: exact parameters of the task model and what autograd keeps in train mode.
struct HuggingFaceAccountant: ModelAccountant {
    /// Sequence length used when the options give none (capped at the model's limit).
    static let defaultSequenceLength = 512
    /// Account SDPA with grouped-query attention on the math path (fp32 on CUDA) instead of the fused kernel.
    var groupedQueryMathPath = false
    /// Account Falcon's multi-query SDPA with the CPU's fused kernel instead of CUDA's math path (tests only).
    var cpuFusedMultiQuery = false

    func family(of definition: ModelDefinition) throws(CoreError) -> ModelFamily {
        Self.family(of: try description(of: definition))
    }

    func account(_ definition: ModelDefinition, options: AccountingOptions) throws(CoreError) -> ModelAccounting {
        let d = try description(of: definition)
        let family = Self.family(of: d)
        let task = try Self.task(options.task, for: d, model: definition.name)
        var notes: [String] = []
        var attention = options.attention
        if d.eagerOnly && attention == .sdpa {
            attention = .eager
            notes.append("transformers has no SDPA path for \(d.modelType): eager attention (S×S probabilities kept)")
        }
        if d.sdpaRunsMathPath && attention == .sdpa {
            notes.append(
                "SDPA for Falcon's multi-query attention runs on PyTorch's math path on CUDA in every precision (one KV head"
                    + " with a mask and no enable_gqa): S×S probabilities and head-expanded keys/values kept, as eager")
        }
        let (input, tokens, inputBytes) = try Self.resolveInput(options.input, for: d, task: task, model: definition.name)
        let layers: [LayerAccount]
        switch family {
        case .encoder: layers = EncoderBuilder(d: d, attention: attention, task: task, tokens: tokens).build()
        case .encoderDecoder: layers = T5Builder(d: d, attention: attention, tokens: tokens).build()
        default:
            var builder = DecoderBuilder(d: d, attention: attention, task: task, tokens: tokens)
            builder.groupedQueryMathPath = groupedQueryMathPath
            builder.cpuFusedMultiQuery = cpuFusedMultiQuery
            layers = builder.build()
            if attention == .sdpa && d.usesGroupedQueryKernel && !d.eagerOnly {
                builder.groupedQueryMathPath = !groupedQueryMathPath
                let other = builder.build().reduce(SavedTensors.none) { $0 + $1.saved }.bytes(activationBytes: 4)
                let this = layers.reduce(SavedTensors.none) { $0 + $1.saved }.bytes(activationBytes: 4)
                notes.append(Self.groupedQueryNote(mathPath: groupedQueryMathPath, difference: abs(other - this)))
            }
        }
        notes += Self.notes(for: d, attention: attention)
        return ModelAccounting(
            name: definition.name, family: family, input: input, task: task, attention: attention, layers: layers,
            outputClasses: task == .classification || task == .imageClassification ? d.labels : d.vocab,
            maxPositions: d.maxPositions, inputBytesPerSample: inputBytes, notes: notes)
    }

    /// The input size, tokens per sample and bytes the data loader hands over per sample.
    ///
    /// Text: `--seq` (default 512, capped at the model's positions; longer is refused). ViT: its configured image.
    static func resolveInput(
        _ requested: InputSize?, for d: TransformerDescription, task: TrainingTask, model: String
    ) throws(CoreError) -> (InputSize, tokens: Int, inputBytes: Int) {
        if d.layout == .vit {
            let size = d.imageSize
            switch requested {
            case nil: break
            case let .image(c, h, w) where c == d.channels && h == size && w == size: break
            default:
                throw .invalidValue(
                    what: "input", value: requested?.description ?? "",
                    fix: "\(model) takes \(d.channels)x\(size)x\(size) images (its position embeddings are fixed)")
            }
            let grid = size / d.patchSize
            return (.image(channels: d.channels, height: size, width: size), grid * grid + 1, d.channels * size * size * 4 + 8)
        }
        let length: Int
        switch requested {
        case nil: length = min(defaultSequenceLength, d.maxPositions ?? defaultSequenceLength)
        case .sequence(let value): length = value
        default: throw .invalidValue(what: "input", value: requested?.description ?? "", fix: "a transformer takes --seq LENGTH")
        }
        guard length > 0, length <= 1 << 20 else {
            throw .invalidValue(what: "sequence length", value: "\(length)", fix: "use a length between 1 and 1048576")
        }
        // A learned position table cannot index past its rows; rotary, ALiBi and relative positions can (the caller
        // warns when a length exceeds max_position_embeddings).
        if let limit = d.maxPositions, length > limit, d.positionRows > 0 {
            throw .invalidValue(
                what: "sequence length", value: "\(length)",
                fix: "\(model) has \(limit) positions (max_position_embeddings); use --seq \(limit) or less")
        }
        // input_ids and attention_mask (int64 each), BERT's token_type_ids (its tokenizer returns them), plus labels:
        // one per token for LMs, one per sample otherwise.
        let labels = task == .classification ? 1 : length
        let tokenTypes = d.modelType == "bert" ? length : 0
        return (.sequence(length: length), length, (2 * length + tokenTypes + labels) * 8)
    }

    private func description(of definition: ModelDefinition) throws(CoreError) -> TransformerDescription {
        try TransformerDescription(config: HFConfig(model: definition.name, text: definition.payload))
    }

    static func family(of d: TransformerDescription) -> ModelFamily {
        switch d.layout {
        case .bert, .distilbert, .vit: .encoder
        case .t5: .encoderDecoder
        default: .decoder
        }
    }

    /// The task, defaulting per family: encoders fine-tune for sequence classification (ViTs for images),
    /// decoders train as causal LMs, T5 as seq2seq.
    static func task(_ requested: TrainingTask?, for d: TransformerDescription, model: String) throws(CoreError) -> TrainingTask {
        let allowed: [TrainingTask]
        switch d.layout {
        case .vit: allowed = [.imageClassification]
        case .bert, .distilbert: allowed = [.classification, .maskedLM]
        case .t5: allowed = [.seq2seq]
        default: allowed = [.causalLM, .classification]
        }
        guard let requested else { return allowed[0] }
        if requested == .classification && d.layout == .vit { return .imageClassification }
        guard allowed.contains(requested) else {
            throw .invalidValue(
                what: "task", value: requested.rawValue,
                fix: "\(model) (\(d.modelType)) trains as \(allowed.map(\.rawValue).joined(separator: " or "))")
        }
        return requested
    }

    static func groupedQueryNote(mathPath: Bool, difference: Int) -> String {
        let bytes = ByteSize.format(difference)
        return mathPath
            ? "SDPA with grouped-query attention accounted on PyTorch's math path (S×S probabilities kept), as CUDA runs it in fp32; the fused flash kernel of fp16/bf16 runs keeps \(bytes) less per sample at fp32 sizes"
            : "SDPA with grouped-query attention accounted with the fused flash kernel (fp16/bf16 runs); in fp32 CUDA has no fused grouped-query kernel and its math path keeps \(bytes) more per sample (S×S probabilities)"
    }

    static func notes(for d: TransformerDescription, attention: AttentionImplementation) -> [String] {
        var notes = [
            "saved tensors as PyTorch keeps them in train mode under transformers 5 with use_cache=False (dropout masks"
                + " one byte each); buffers shared across the batch (rotary cos/sin, position ids, causal masks) are not"
                + " per sample"
        ]
        if d.layout == .gpt2 {
            notes.append("with use_cache=True (GPT-2's config default) transformers concatenates K and V into a cache even in training: +2 × hidden per token per layer")
        }
        if d.experts > 0 {
            notes.append(
                "MoE: parameters of all \(d.experts) experts counted; activations through the routed top-\(d.expertsPerToken) experts per token, plus router logits")
        }
        if d.layout == .t5 {
            notes.append("transformers 5 ties T5/mT5's lm_head to the shared embedding whatever tie_word_embeddings says")
            notes.append("self-attention with relative position bias runs on PyTorch's math path: S×S probabilities kept")
        }
        if attention == .sdpa && d.attentionDropout > 0 {
            notes.append("attention dropout inside the fused SDPA kernel keeps no mask (CUDA); PyTorch's CPU math path would keep S×S")
        }
        return notes
    }
}
