/// Builds the layer list of a decoder-only transformer (llama-style, phi, gpt2, gpt_neox, falcon, bloom, opt) as
/// transformers names its modules, for a causal-LM or sequence-classification head.
struct DecoderBuilder {
    var d: TransformerDescription
    var attention: AttentionImplementation
    var task: TrainingTask
    var tokens: Int
    /// Account SDPA with grouped-query attention on PyTorch's math path, as CUDA runs it in fp32 (see
    /// `effectiveAttention`); `false` assumes the fused flash kernel that fp16/bf16 runs use.
    var groupedQueryMathPath = false
    /// Account Falcon's multi-query SDPA with the fused kernel PyTorch's CPU backend has (for comparing with CPU
    /// measurements); CUDA has none and runs the math path.
    var cpuFusedMultiQuery = false

    /// Module paths of the blocks' parent, the token embedding, the final norm and the LM head.
    private var names: (block: String, embed: String, finalNorm: String, head: String) {
        switch d.layout {
        case .llama: ("model.layers", "model.embed_tokens", "model.norm", "lm_head")
        case .phi: ("model.layers", "model.embed_tokens", "model.final_layernorm", "lm_head")
        case .gpt2: ("transformer.h", "transformer.wte", "transformer.ln_f", "lm_head")
        case .gptNeoX: ("gpt_neox.layers", "gpt_neox.embed_in", "gpt_neox.final_layer_norm", "embed_out")
        case .falcon, .bloom: ("transformer.h", "transformer.word_embeddings", "transformer.ln_f", "lm_head")
        default: ("model.decoder.layers", "model.decoder.embed_tokens", "model.decoder.final_layer_norm", "lm_head")
        }
    }

    func build() -> [LayerAccount] {
        var out = TransformerLayers(tokens: tokens)
        let n = names
        let embedWidth = d.embeddingProjection ?? d.hidden
        out.embedding(n.embed, rows: d.vocab, width: embedWidth)
        switch d.layout {
        case .gpt2:
            out.embedding("transformer.wpe", rows: d.positionRows, width: d.hidden, savesIndices: false)
            out.dropout("transformer.drop", p: d.embeddingDropout, width: d.hidden, block: nil)
        case .opt:
            // Positions come from the attention mask's cumulative sum: int64 per sample.
            out.embedding("model.decoder.embed_positions", rows: d.positionRows, width: d.hidden)
            if let projection = d.embeddingProjection {
                out.linear("model.decoder.project_in", in: projection, out: d.hidden, bias: false, block: nil, role: .embedding)
            }
        case .bloom:
            out.norm("transformer.word_embeddings_layernorm", d.norm, width: d.hidden, block: nil)
        case .phi, .llama:
            out.dropout("model.embed_dropout", p: d.embeddingDropout, width: d.hidden, block: nil)
        default:
            break
        }
        for index in 0..<d.layers {
            block("\(n.block).\(index)", into: &out)
        }
        out.norm(n.finalNorm, d.norm, width: d.hidden, block: nil)
        if let projection = d.embeddingProjection {
            out.linear("model.decoder.project_out", in: d.hidden, out: projection, bias: false, block: nil, role: .head)
        }
        head(into: &out, headName: n.head, embedWidth: embedWidth)
        return out.layers
    }

    /// What the attention kernel keeps: eager's tensors for eager-only models; with `groupedQueryMathPath`, for SDPA
    /// with grouped-query attention too, because CUDA's memory-efficient kernel takes no `enable_gqa` and flash needs
    /// fp16/bf16, so fp32 SDPA runs on the math path (measured on an H100: llama and phi3 keep exactly what eager keeps).
    private var effectiveAttention: AttentionImplementation {
        if d.eagerOnly || (attention == .sdpa && d.sdpaRunsMathPath && !cpuFusedMultiQuery) { return .eager }
        if groupedQueryMathPath && attention == .sdpa && d.usesGroupedQueryKernel { return .eager }
        return attention
    }

    private func attentionCall(kvRepeated: Bool = false, fusedExtra: Int = 0) -> TransformerLayers.AttentionCall {
        let impl = effectiveAttention
        return TransformerLayers.AttentionCall(
            heads: d.heads, kvHeads: d.kvHeads, headDim: d.headDim, implementation: impl, dropout: d.attentionDropout,
            kvRepeated: kvRepeated || impl == .eager, fusedStorageExtra: fusedExtra, scoreSoftcap: d.attentionSoftcap)
    }

    /// One decoder block.
    private func block(_ b: String, into out: inout TransformerLayers) {
        let h = d.hidden
        let eager = effectiveAttention == .eager
        switch d.layout {
        case .llama:
            let attn = "\(b).self_attn"
            out.norm("\(b).input_layernorm", d.norm, width: h, block: b)
            if d.modelType == "phi3" {
                out.linear("\(attn).qkv_proj", in: h, out: d.queryWidth + 2 * d.kvWidth, bias: false, block: b)
            } else {
                out.linear("\(attn).q_proj", in: h, out: d.queryWidth, bias: d.qkvBias, block: b)
                out.linear("\(attn).k_proj", in: h, out: d.kvWidth, bias: d.qkvBias, savesInput: false, block: b)
                out.linear("\(attn).v_proj", in: h, out: d.kvWidth, bias: d.qkvBias, savesInput: false, block: b)
            }
            // phi3's v stays a view of the fused qkv output, keeping the q and k parts of that storage alive too.
            let fusedExtra = d.modelType == "phi3" && !eager ? d.queryWidth + d.kvWidth : 0
            out.attention(attn, attentionCall(fusedExtra: fusedExtra), block: b)
            // phi3 and stablelm copy the kernel's output before o_proj; the others hand o_proj a view of it.
            let copiesOutput = eager || d.modelType == "phi3" || d.modelType == "stablelm"
            out.linear("\(attn).o_proj", in: d.queryWidth, out: h, bias: d.outputBias, savesInput: copiesOutput, block: b)
            if d.modelType == "gemma2" {
                out.norm("\(b).post_attention_layernorm", d.norm, width: h, block: b)
                out.norm("\(b).pre_feedforward_layernorm", d.norm, width: h, block: b)
            } else {
                out.dropout("\(b).resid_attn_dropout", p: d.hiddenDropout, width: h, block: b)
                out.norm("\(b).post_attention_layernorm", d.norm, width: h, block: b)
            }
            if d.experts > 0 {
                out.mixtureOfExperts(d, "\(b).mlp", block: b)
            } else {
                out.gatedMLP(d, "\(b).mlp", fused: d.modelType == "phi3", activationName: d.modelType == "phi3" ? "activation_fn" : "act_fn", block: b)
            }
            if d.modelType == "gemma2" {
                out.norm("\(b).post_feedforward_layernorm", d.norm, width: h, block: b)
            } else {
                out.dropout("\(b).resid_mlp_dropout", p: d.hiddenDropout, width: h, block: b)
            }
        case .phi:
            let attn = "\(b).self_attn"
            out.norm("\(b).input_layernorm", d.norm, width: h, block: b)
            out.linear("\(attn).q_proj", in: h, out: d.queryWidth, bias: true, block: b)
            out.linear("\(attn).k_proj", in: h, out: d.kvWidth, bias: true, savesInput: false, block: b)
            out.linear("\(attn).v_proj", in: h, out: d.kvWidth, bias: true, savesInput: false, block: b)
            out.attention(attn, attentionCall(), block: b)
            out.linear("\(attn).dense", in: d.queryWidth, out: h, bias: true, block: b)
            // One resid_dropout module applied twice: to the attention output and to the MLP output.
            out.dropout("\(b).resid_dropout.attention", p: d.hiddenDropout, width: h, block: b)
            out.plainMLP(d, "\(b).mlp", up: "fc1", down: "fc2", activationName: "activation_fn", inputShared: true, block: b)
            out.dropout("\(b).resid_dropout.mlp", p: d.hiddenDropout, width: h, block: b)
        case .gpt2:
            out.norm("\(b).ln_1", d.norm, width: h, block: b)
            out.linear("\(b).attn.c_attn", in: h, out: 3 * h, bias: true, block: b, type: "Conv1D")
            out.attention("\(b).attn", attentionCall(), block: b)
            out.linear("\(b).attn.c_proj", in: h, out: h, bias: true, savesInput: eager, block: b, type: "Conv1D")
            out.dropout("\(b).attn.resid_dropout", p: d.hiddenDropout, width: h, block: b)
            out.norm("\(b).ln_2", d.norm, width: h, block: b)
            out.plainMLP(d, "\(b).mlp", up: "c_fc", down: "c_proj", activationName: "act", type: "Conv1D", block: b)
            out.dropout("\(b).mlp.dropout", p: d.hiddenDropout, width: h, block: b)
        case .gptNeoX:
            out.norm("\(b).input_layernorm", d.norm, width: h, block: b)
            out.norm("\(b).post_attention_layernorm", d.norm, width: h, inputShared: d.parallelResidual, block: b)
            out.linear("\(b).attention.query_key_value", in: h, out: 3 * h, bias: d.qkvBias, block: b)
            // v stays a view of the fused query_key_value output, keeping all three thirds alive.
            out.attention("\(b).attention", attentionCall(fusedExtra: eager ? 0 : 2 * h), block: b)
            out.linear("\(b).attention.dense", in: h, out: h, bias: d.outputBias, block: b)
            out.plainMLP(d, "\(b).mlp", up: "dense_h_to_4h", down: "dense_4h_to_h", activationName: "act", block: b)
        case .falcon:
            let attn = "\(b).self_attention"
            if d.falconNewArchitecture {
                out.norm("\(b).ln_attn", d.norm, width: h, block: b)
                out.norm("\(b).ln_mlp", d.norm, width: h, inputShared: true, block: b)
            } else {
                out.norm("\(b).input_layernorm", d.norm, width: h, block: b)
            }
            out.linear("\(attn).query_key_value", in: h, out: d.queryWidth + 2 * d.kvWidth, bias: d.qkvBias, block: b)
            if !eager {
                // Each Falcon layer builds an fp32 additive mask per sample (batch × 1 × S × S); the fused kernel keeps it.
                out.add("\(attn).attention_mask", type: "AttentionMask", width: tokens, perToken: SavedTensors(fp32: tokens),
                    block: b, role: .attentionCore)
            }
            out.attention(attn, attentionCall(kvRepeated: d.falconNewArchitecture), block: b)
            out.linear("\(attn).dense", in: d.queryWidth, out: h, bias: d.outputBias, savesInput: eager, block: b)
            out.plainMLP(d, "\(b).mlp", up: "dense_h_to_4h", down: "dense_4h_to_h", activationName: "act", inputShared: !d.falconNewArchitecture, block: b)
        case .bloom:
            let attn = "\(b).self_attention"
            out.norm("\(b).input_layernorm", d.norm, width: h, block: b)
            out.linear("\(attn).query_key_value", in: h, out: 3 * h, bias: true, block: b)
            out.attention(attn, attentionCall(), block: b)
            out.linear("\(attn).dense", in: h, out: h, bias: true, block: b)
            out.dropout("\(b).hidden_dropout", p: d.hiddenDropout, width: h, block: b)
            out.norm("\(b).post_attention_layernorm", d.norm, width: h, block: b)
            out.plainMLP(d, "\(b).mlp", up: "dense_h_to_4h", down: "dense_4h_to_h", activationName: "gelu_impl", block: b)
        default:  // opt
            let attn = "\(b).self_attn"
            out.norm("\(b).self_attn_layer_norm", d.norm, width: h, block: b)
            out.linear("\(attn).q_proj", in: h, out: h, bias: d.qkvBias, block: b)
            out.linear("\(attn).k_proj", in: h, out: h, bias: d.qkvBias, savesInput: false, block: b)
            out.linear("\(attn).v_proj", in: h, out: h, bias: d.qkvBias, savesInput: false, block: b)
            out.attention(attn, attentionCall(), block: b)
            out.linear("\(attn).out_proj", in: h, out: h, bias: d.outputBias, savesInput: eager, block: b)
            out.dropout("\(b).dropout", p: d.hiddenDropout, width: h, block: b)
            out.norm("\(b).final_layer_norm", d.norm, width: h, block: b)
            out.plainMLP(d, b, up: "fc1", down: "fc2", activationName: "activation_fn", block: b)
            out.dropout("\(b).mlp_dropout", p: d.hiddenDropout, width: h, block: b)
        }
    }
}
