extension TransformerDescription {
    /// The llama-style decoders: llama (Llama 2/3, TinyLlama), mistral, mixtral, qwen2, gemma, gemma2, phi3 and
    /// stablelm, with each `configuration_*.py`'s defaults.
    static func llamaLike(_ c: HFConfig, modelType: String) throws(CoreError) -> Self {
        let hidden = try c.int("hidden_size")
        let heads = try c.int("num_attention_heads")
        let isGemma = modelType == "gemma" || modelType == "gemma2"
        let headDim = try c.optionalInt("head_dim") ?? (isGemma ? 256 : hidden / heads)
        let actName = c.string("hidden_activation") ?? c.string("hidden_act") ?? (isGemma ? "gelu_pytorch_tanh" : "silu")
        let attentionBias = try c.bool("attention_bias", default: false)
        let tiedDefault = isGemma
        var d = Self(
            modelType: modelType, layout: .llama, hidden: hidden, layers: try c.int("num_hidden_layers"), heads: heads,
            kvHeads: try c.optionalInt("num_key_value_heads") ?? heads, headDim: headDim,
            intermediate: try c.int("intermediate_size"), vocab: try c.int("vocab_size"), norm: .rmsNorm,
            activation: try activation(named: actName, model: c.model), qkvBias: attentionBias,
            outputBias: attentionBias, mlpBias: try c.bool("mlp_bias", default: false),
            tiedEmbeddings: try c.bool("tie_word_embeddings", default: tiedDefault))
        d.gatedMLP = true
        d.maxPositions = try c.optionalInt("max_position_embeddings")
        d.rotaryFraction = try c.double("partial_rotary_factor", default: 1)
        d.attentionDropout = try c.double("attention_dropout", default: 0)
        switch modelType {
        case "qwen2":
            // modeling_qwen2.py: q/k/v projections always carry a bias, the output projection none.
            d.qkvBias = true
            d.outputBias = false
        case "mixtral":
            d.experts = try c.int("num_local_experts", default: 8)
            d.expertsPerToken = try c.int("num_experts_per_tok", default: 2)
        case "gemma2":
            d.eagerOnly = true
            // configuration_gemma2.py defaults: 30 and 50; null turns soft-capping off.
            let finalCap = try c.double("final_logit_softcapping", default: 30)
            let attentionCap = try c.double("attn_logit_softcapping", default: 50)
            d.finalLogitSoftcap = !c.isNull("final_logit_softcapping") && finalCap > 0
            d.attentionSoftcap = !c.isNull("attn_logit_softcapping") && attentionCap > 0
        case "phi3":
            d.hiddenDropout = try c.double("resid_pdrop", default: 0)
            d.embeddingDropout = try c.double("embd_pdrop", default: 0)
        case "stablelm":
            d.norm = .layerNorm(bias: true)
            d.qkvBias = try c.bool("use_qkv_bias", default: false)
            d.outputBias = false
            d.rotaryFraction = try c.double("partial_rotary_factor", default: 0.25)
            d.hiddenDropout = try c.double("hidden_dropout", default: 0)
            let parallel = try c.bool("use_parallel_residual", default: false)
            let qkNorm = try c.bool("qk_layernorm", default: false)
            if parallel || qkNorm {
                throw .invalidModel(
                    model: c.model, problem: "StableLM with use_parallel_residual or qk_layernorm is not supported")
            }
        default:
            break
        }
        return d
    }
}
