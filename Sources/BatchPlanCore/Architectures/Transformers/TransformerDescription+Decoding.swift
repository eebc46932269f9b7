extension TransformerDescription {
    /// The `model_type`s this build understands, in the order error messages list them.
    static let knownModelTypes = [
        "bert", "roberta", "distilbert", "gpt2", "gpt_neox", "opt", "bloom", "falcon", "llama", "mistral", "mixtral",
        "qwen2", "gemma", "gemma2", "phi", "phi3", "stablelm", "t5", "mt5", "vit",
    ]

    /// Reads a `config.json`, applying each `model_type`'s defaults as transformers 5 defines them in its
    /// `configuration_*.py`.
    ///
    /// - Throws: `CoreError.invalidModel` for a missing `model_type`, an unknown one (listing the known ones), a
    ///   missing required key (naming it) or sizes that do not fit together.
    init(config: HFConfig) throws(CoreError) {
        guard let modelType = config.string("model_type") else {
            throw .invalidModel(model: config.model, problem: "config.json lacks \"model_type\"; is it a transformers config?")
        }
        switch modelType {
        case "bert", "roberta": self = try Self.bert(config, modelType: modelType)
        case "distilbert": self = try Self.distilbert(config)
        case "vit": self = try Self.vit(config)
        case "t5", "mt5": self = try Self.t5(config, modelType: modelType)
        case "gpt2": self = try Self.gpt2(config)
        case "gpt_neox": self = try Self.gptNeoX(config)
        case "opt": self = try Self.opt(config)
        case "bloom": self = try Self.bloom(config)
        case "falcon": self = try Self.falcon(config)
        case "phi": self = try Self.phi(config)
        case "llama", "mistral", "mixtral", "qwen2", "gemma", "gemma2", "phi3", "stablelm":
            self = try Self.llamaLike(config, modelType: modelType)
        default:
            throw .invalidModel(
                model: config.model,
                problem: "model_type \"\(modelType)\" is not supported; known model types: \(Self.knownModelTypes.joined(separator: ", "))")
        }
        self.labels = try config.optionalInt("num_labels") ?? config.objectCount("id2label") ?? 2
        try validate(model: config.model)
    }

    /// Checks that the sizes fit together and stay far from overflow.
    func validate(model: String) throws(CoreError) {
        func fail(_ problem: String) -> CoreError { .invalidModel(model: model, problem: problem) }
        guard heads > 0, kvHeads > 0, heads % kvHeads == 0 else {
            throw fail("attention heads (\(heads)) must be a multiple of key/value heads (\(kvHeads))")
        }
        guard layers > 0, layers <= 4096, decoderLayers <= 4096 else { throw fail("layer count \(layers) is not plausible") }
        guard labels > 0 else { throw fail("num_labels must be positive") }
        guard experts == 0 || (expertsPerToken > 0 && expertsPerToken <= experts) else {
            throw fail("num_experts_per_tok (\(expertsPerToken)) must be between 1 and the number of experts (\(experts))")
        }
        // Largest single matrix and whole-model size must stay well inside Int: 2^44 parameters is far above any model.
        let perLayer = (hidden.multipliedReportingOverflow(by: max(intermediate, queryWidth) * 4 * max(experts, 1)))
        let embedding = vocab.multipliedReportingOverflow(by: hidden)
        guard !perLayer.overflow, !embedding.overflow,
            perLayer.partialValue.multipliedReportingOverflow(by: layers + decoderLayers).partialValue < 1 << 44,
            embedding.partialValue < 1 << 44
        else { throw fail("sizes are too large to be a real model (over 2^44 parameters)") }
        if layout == .vit {
            guard patchSize > 0, imageSize >= patchSize else { throw fail("image_size must be at least patch_size") }
        }
    }

    private static func bert(_ c: HFConfig, modelType: String) throws(CoreError) -> Self {
        let hidden = try c.int("hidden_size")
        let heads = try c.int("num_attention_heads")
        let dropout = try c.double("hidden_dropout_prob", default: 0.1)
        var d = Self(
            modelType: modelType, layout: .bert, hidden: hidden, layers: try c.int("num_hidden_layers"), heads: heads,
            kvHeads: heads, headDim: hidden / heads, intermediate: try c.int("intermediate_size"),
            vocab: try c.int("vocab_size"), norm: .layerNorm(bias: true),
            activation: try activation(c, key: "hidden_act", default: "gelu"), qkvBias: true, outputBias: true,
            mlpBias: true, tiedEmbeddings: try c.bool("tie_word_embeddings", default: true))
        d.positionRows = try c.int("max_position_embeddings", default: 512)
        // RoBERTa's positions start after padding_idx + 1, so two of its rows are never reachable.
        d.maxPositions = modelType == "roberta" ? d.positionRows - 2 : d.positionRows
        d.typeVocab = try c.int("type_vocab_size", default: 2)
        d.hiddenDropout = dropout
        d.embeddingDropout = dropout
        d.attentionDropout = try c.double("attention_probs_dropout_prob", default: 0.1)
        d.classifierDropout = try c.double("classifier_dropout", default: dropout)
        return d
    }

    private static func distilbert(_ c: HFConfig) throws(CoreError) -> Self {
        let hidden = try c.int("dim")
        let heads = try c.int("n_heads")
        var d = Self(
            modelType: "distilbert", layout: .distilbert, hidden: hidden, layers: try c.int("n_layers"), heads: heads,
            kvHeads: heads, headDim: hidden / heads, intermediate: try c.int("hidden_dim"), vocab: try c.int("vocab_size"),
            norm: .layerNorm(bias: true), activation: try activation(c, key: "activation", default: "gelu"),
            qkvBias: true, outputBias: true, mlpBias: true, tiedEmbeddings: try c.bool("tie_word_embeddings", default: true))
        d.positionRows = try c.int("max_position_embeddings", default: 512)
        d.maxPositions = d.positionRows
        d.hiddenDropout = try c.double("dropout", default: 0.1)
        d.embeddingDropout = d.hiddenDropout
        d.attentionDropout = try c.double("attention_dropout", default: 0.1)
        d.classifierDropout = try c.double("seq_classif_dropout", default: 0.2)
        return d
    }

    private static func vit(_ c: HFConfig) throws(CoreError) -> Self {
        let hidden = try c.int("hidden_size", default: 768)
        let heads = try c.int("num_attention_heads", default: 12)
        var d = Self(
            modelType: "vit", layout: .vit, hidden: hidden, layers: try c.int("num_hidden_layers", default: 12), heads: heads,
            kvHeads: heads, headDim: hidden / heads, intermediate: try c.int("intermediate_size", default: 3072), vocab: 0,
            norm: .layerNorm(bias: true), activation: try activation(c, key: "hidden_act", default: "gelu"),
            qkvBias: try c.bool("qkv_bias", default: true), outputBias: true, mlpBias: true, tiedEmbeddings: false)
        d.imageSize = try c.int("image_size", default: 224)
        d.patchSize = try c.int("patch_size", default: 16)
        d.channels = try c.int("num_channels", default: 3)
        d.hiddenDropout = try c.double("hidden_dropout_prob", default: 0)
        d.embeddingDropout = d.hiddenDropout
        d.attentionDropout = try c.double("attention_probs_dropout_prob", default: 0)
        return d
    }

    private static func t5(_ c: HFConfig, modelType: String) throws(CoreError) -> Self {
        let isMT5 = modelType == "mt5"
        let proj = c.string("feed_forward_proj") ?? (isMT5 ? "gated-gelu" : "relu")
        let gated = proj.hasPrefix("gated-")
        let actName = String(proj.split(separator: "-").last ?? "relu")
        // configuration_t5.py: "gated-gelu" means gelu_new, for backward compatibility.
        let act: Activation = proj == "gated-gelu" ? .geluNew : try activation(named: actName, model: c.model)
        let heads = try c.int("num_heads", default: isMT5 ? 6 : 8)
        let layers = try c.int("num_layers", default: isMT5 ? 8 : 6)
        var d = Self(
            modelType: modelType, layout: .t5, hidden: try c.int("d_model", default: 512), layers: layers,
            heads: heads, kvHeads: heads, headDim: try c.int("d_kv", default: 64),
            intermediate: try c.int("d_ff", default: isMT5 ? 1024 : 2048), vocab: try c.int("vocab_size"),
            norm: .rmsNorm, activation: act, qkvBias: false, outputBias: false, mlpBias: false,
            // transformers 5 always ties T5/mT5's lm_head to `shared` (configuration_t5.py forces
            // tie_word_embeddings = True; a serialized false only turns off the decoder-output scaling).
            tiedEmbeddings: true)
        d.gatedMLP = gated
        d.decoderLayers = try c.int("num_decoder_layers", default: layers)
        d.relativeBuckets = try c.int("relative_attention_num_buckets", default: 32)
        d.hiddenDropout = try c.double("dropout_rate", default: 0.1)
        d.attentionDropout = d.hiddenDropout
        d.embeddingDropout = d.hiddenDropout
        return d
    }

    private static func gpt2(_ c: HFConfig) throws(CoreError) -> Self {
        let hidden = try c.int("n_embd", "hidden_size")
        let heads = try c.int("n_head", "num_attention_heads")
        var d = Self(
            modelType: "gpt2", layout: .gpt2, hidden: hidden, layers: try c.int("n_layer", "num_hidden_layers"), heads: heads,
            kvHeads: heads, headDim: hidden / heads, intermediate: try c.optionalInt("n_inner") ?? 4 * hidden,
            vocab: try c.int("vocab_size"), norm: .layerNorm(bias: true),
            activation: try activation(c, key: "activation_function", default: "gelu_new"), qkvBias: true,
            outputBias: true, mlpBias: true, tiedEmbeddings: try c.bool("tie_word_embeddings", default: true))
        d.positionRows = try c.int("n_positions", default: 1024)
        d.maxPositions = d.positionRows
        d.hiddenDropout = try c.double("resid_pdrop", default: 0.1)
        d.embeddingDropout = try c.double("embd_pdrop", default: 0.1)
        d.attentionDropout = try c.double("attn_pdrop", default: 0.1)
        d.classifierDropout = 0
        return d
    }

    private static func gptNeoX(_ c: HFConfig) throws(CoreError) -> Self {
        let hidden = try c.int("hidden_size")
        let heads = try c.int("num_attention_heads")
        var d = Self(
            modelType: "gpt_neox", layout: .gptNeoX, hidden: hidden, layers: try c.int("num_hidden_layers"), heads: heads,
            kvHeads: heads, headDim: hidden / heads, intermediate: try c.int("intermediate_size"), vocab: try c.int("vocab_size"),
            norm: .layerNorm(bias: true), activation: try activation(c, key: "hidden_act", default: "gelu"),
            qkvBias: try c.bool("attention_bias", default: true), outputBias: try c.bool("attention_bias", default: true),
            mlpBias: true, tiedEmbeddings: try c.bool("tie_word_embeddings", default: false))
        d.maxPositions = try c.int("max_position_embeddings", default: 2048)
        d.rotaryFraction = try c.double("rotary_pct", default: c.double("partial_rotary_factor", default: 0.25))
        d.parallelResidual = try c.bool("use_parallel_residual", default: true)
        d.hiddenDropout = try c.double("hidden_dropout", default: 0)
        d.attentionDropout = try c.double("attention_dropout", default: 0)
        return d
    }

    private static func opt(_ c: HFConfig) throws(CoreError) -> Self {
        let hidden = try c.int("hidden_size")
        let heads = try c.int("num_attention_heads")
        let bias = try c.bool("enable_bias", default: true)
        var d = Self(
            modelType: "opt", layout: .opt, hidden: hidden, layers: try c.int("num_hidden_layers"), heads: heads,
            kvHeads: heads, headDim: hidden / heads, intermediate: try c.int("ffn_dim"), vocab: try c.int("vocab_size"),
            norm: .layerNorm(bias: try c.bool("layer_norm_elementwise_affine", default: true)),
            activation: try activation(c, key: "activation_function", default: "relu"), qkvBias: bias, outputBias: bias,
            mlpBias: bias, tiedEmbeddings: try c.bool("tie_word_embeddings", default: true))
        d.maxPositions = try c.int("max_position_embeddings", default: 2048)
        // OPTLearnedPositionalEmbedding keeps two extra rows (positions are offset by 2).
        d.positionRows = d.maxPositions! + 2
        let projection = try c.int("word_embed_proj_dim", default: hidden)
        d.embeddingProjection = projection == hidden ? nil : projection
        d.hiddenDropout = try c.double("dropout", default: 0.1)
        d.attentionDropout = try c.double("attention_dropout", default: 0)
        guard try c.bool("do_layer_norm_before", default: true) else {
            throw .invalidModel(model: c.model, problem: "OPT with do_layer_norm_before = false (opt-350m) is not supported")
        }
        return d
    }

    private static func bloom(_ c: HFConfig) throws(CoreError) -> Self {
        let hidden = try c.int("hidden_size", "n_embed")
        let heads = try c.int("n_head", "num_attention_heads")
        var d = Self(
            modelType: "bloom", layout: .bloom, hidden: hidden, layers: try c.int("n_layer", "num_hidden_layers"), heads: heads,
            kvHeads: heads, headDim: hidden / heads, intermediate: 4 * hidden, vocab: try c.int("vocab_size"),
            norm: .layerNorm(bias: true), activation: .gelu, qkvBias: true, outputBias: true, mlpBias: true,
            tiedEmbeddings: try c.bool("tie_word_embeddings", default: true))
        d.hiddenDropout = try c.double("hidden_dropout", default: 0)
        d.attentionDropout = try c.double("attention_dropout", default: 0)
        d.eagerOnly = true
        return d
    }

    private static func falcon(_ c: HFConfig) throws(CoreError) -> Self {
        let hidden = try c.int("hidden_size")
        let heads = try c.int("num_attention_heads")
        let newArchitecture = try c.bool("new_decoder_architecture", default: false)
        let kvHeads =
            newArchitecture
            ? try c.int("num_kv_heads", default: heads) : (try c.bool("multi_query", default: true) ? 1 : heads)
        let bias = try c.bool("bias", default: false)
        var d = Self(
            modelType: "falcon", layout: .falcon, hidden: hidden, layers: try c.int("num_hidden_layers"), heads: heads,
            kvHeads: kvHeads, headDim: hidden / heads, intermediate: try c.int("ffn_hidden_size", default: 4 * hidden),
            vocab: try c.int("vocab_size"), norm: .layerNorm(bias: true), activation: .gelu, qkvBias: bias,
            outputBias: bias, mlpBias: bias, tiedEmbeddings: try c.bool("tie_word_embeddings", default: true))
        if try c.bool("alibi", default: false) {
            throw .invalidModel(model: c.model, problem: "Falcon with alibi = true is not supported (only rotary Falcons)")
        }
        d.rotaryFraction = 1
        d.maxPositions = try c.optionalInt("max_position_embeddings")
        d.falconNewArchitecture = newArchitecture
        let parallel = try c.bool("parallel_attn", default: true)
        d.parallelResidual = newArchitecture || parallel
        d.hiddenDropout = try c.double("hidden_dropout", default: 0)
        d.attentionDropout = try c.double("attention_dropout", default: 0)
        return d
    }

    private static func phi(_ c: HFConfig) throws(CoreError) -> Self {
        let hidden = try c.int("hidden_size")
        let heads = try c.int("num_attention_heads")
        var d = Self(
            modelType: "phi", layout: .phi, hidden: hidden, layers: try c.int("num_hidden_layers"), heads: heads,
            kvHeads: try c.optionalInt("num_key_value_heads") ?? heads, headDim: hidden / heads,
            intermediate: try c.int("intermediate_size"), vocab: try c.int("vocab_size"), norm: .layerNorm(bias: true),
            activation: try activation(c, key: "hidden_act", default: "gelu_new"), qkvBias: true, outputBias: true,
            mlpBias: true, tiedEmbeddings: try c.bool("tie_word_embeddings", default: false))
        d.lmHeadBias = true
        d.maxPositions = try c.int("max_position_embeddings", default: 2048)
        d.rotaryFraction = try c.double("partial_rotary_factor", default: 0.5)
        d.parallelResidual = true
        d.hiddenDropout = try c.double("resid_pdrop", default: 0)
        d.embeddingDropout = try c.double("embd_pdrop", default: 0)
        d.attentionDropout = try c.double("attention_dropout", default: 0)
        if try c.bool("qk_layernorm", default: false) {
            throw .invalidModel(model: c.model, problem: "Phi with qk_layernorm = true is not supported")
        }
        return d
    }

    private static func activation(_ c: HFConfig, key: String, default name: String) throws(CoreError) -> Activation {
        try activation(named: c.string(key) ?? name, model: c.model)
    }

    static func activation(named name: String, model: String) throws(CoreError) -> Activation {
        guard let activation = Activation(huggingFaceName: name) else {
            throw .invalidModel(model: model, problem: "activation \"\(name)\" is not supported (gelu, gelu_new, gelu_pytorch_tanh, silu, relu)")
        }
        return activation
    }
}
