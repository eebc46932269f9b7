/// Builds T5 / mT5 (`T5ForConditionalGeneration`) as transformers names its modules: encoder and decoder stacks
/// sharing the `shared` embedding, relative attention bias in the first block of each stack, and the LM head tied
/// to `shared` (transformers 5 always ties it).
///
/// The encoder and decoder both read `tokens` tokens per sample.
struct T5Builder {
    var d: TransformerDescription
    var attention: AttentionImplementation
    var tokens: Int

    func build() -> [LayerAccount] {
        var out = TransformerLayers(tokens: tokens)
        let h = d.hidden
        out.addPerSample("shared", type: "Embedding", parameters: d.vocab * h, shape: [tokens, h], role: .embedding)
        for stack in ["encoder", "decoder"] {
            out.embedding("\(stack).embed_tokens", rows: 0, width: h)
            out.dropout("\(stack).dropout", p: d.hiddenDropout, width: h, block: nil)
            let count = stack == "encoder" ? d.layers : d.decoderLayers
            for index in 0..<count {
                let b = "\(stack).block.\(index)"
                selfAttention(b, first: index == 0, into: &out)
                if stack == "decoder" {
                    crossAttention(b, first: index == 0, into: &out)
                }
                feedForward("\(b).layer.\(stack == "decoder" ? 2 : 1)", block: b, into: &out)
            }
            out.norm("\(stack).final_layer_norm", d.norm, width: h, block: nil)
            out.dropout("\(stack).final_dropout", p: d.hiddenDropout, width: h, block: nil)
        }
        out.languageModelHead("lm_head", inFeatures: h, vocab: d.vocab, tied: true, bias: false)
        // T5 passes the labels unshifted: int64 of the sequence length.
        out.layers[out.layers.count - 1].saved.int64 -= 1
        return out.layers
    }

    /// Self-attention with the relative position bias added to the scores: the bias needs a gradient, so PyTorch
    /// runs it on the math path (scores and probabilities kept) even under SDPA.
    private func selfAttention(_ b: String, first: Bool, into out: inout TransformerLayers) {
        let h = d.hidden, inner = d.queryWidth
        let l = "\(b).layer.0"
        out.norm("\(l).layer_norm", d.norm, width: h, block: b)
        out.linear("\(l).SelfAttention.q", in: h, out: inner, bias: false, block: b)
        out.linear("\(l).SelfAttention.k", in: h, out: inner, bias: false, savesInput: false, block: b)
        out.linear("\(l).SelfAttention.v", in: h, out: inner, bias: false, savesInput: false, block: b)
        if first {
            // The bucket table is shared across the batch: a fixed buffer, not per sample.
            out.add("\(l).SelfAttention.relative_attention_bias", type: "Embedding", parameters: d.relativeBuckets * d.heads,
                width: d.heads, block: b, role: .embedding)
        }
        out.attention("\(l).SelfAttention", call(.eager), block: b)
        out.linear("\(l).SelfAttention.o", in: inner, out: h, bias: false, block: b)
        out.dropout("\(l).dropout", p: d.hiddenDropout, width: h, block: b)
    }

    /// Cross-attention over the encoder output (no position bias, so SDPA can use its fused kernel).
    private func crossAttention(_ b: String, first: Bool, into out: inout TransformerLayers) {
        let h = d.hidden, inner = d.queryWidth
        let l = "\(b).layer.1"
        out.norm("\(l).layer_norm", d.norm, width: h, block: b)
        out.linear("\(l).EncDecAttention.q", in: h, out: inner, bias: false, block: b)
        // Every block's k and v read the same encoder output; it is kept once.
        out.linear("\(l).EncDecAttention.k", in: h, out: inner, bias: false, savesInput: first, block: b)
        out.linear("\(l).EncDecAttention.v", in: h, out: inner, bias: false, savesInput: false, block: b)
        out.attention("\(l).EncDecAttention", call(attention), block: b)
        out.linear("\(l).EncDecAttention.o", in: inner, out: h, bias: false, savesInput: attention == .eager, block: b)
        out.dropout("\(l).dropout", p: d.hiddenDropout, width: h, block: b)
    }

    private func feedForward(_ l: String, block b: String, into out: inout TransformerLayers) {
        let h = d.hidden, i = d.intermediate
        out.norm("\(l).layer_norm", d.norm, width: h, block: b)
        let ff = "\(l).DenseReluDense"
        if d.gatedMLP {
            out.linear("\(ff).wi_0", in: h, out: i, bias: false, block: b)
            out.linear("\(ff).wi_1", in: h, out: i, bias: false, savesInput: false, block: b)
            out.activation("\(ff).act", d.activation, width: i, block: b)
            out.add("\(ff).gate_mul", type: "Mul", width: i, perToken: SavedTensors(activation: 2 * i), block: b)
            out.dropout("\(ff).dropout", p: d.hiddenDropout, width: i, block: b)
            out.linear("\(ff).wo", in: i, out: h, bias: false, block: b)
        } else {
            out.plainMLP(d, ff, up: "wi", down: "wo", activationName: "act", activationDropout: d.hiddenDropout, block: b)
        }
        out.dropout("\(l).dropout", p: d.hiddenDropout, width: h, block: b)
    }

    private func call(_ implementation: AttentionImplementation) -> TransformerLayers.AttentionCall {
        TransformerLayers.AttentionCall(
            heads: d.heads, kvHeads: d.heads, headDim: d.headDim, implementation: implementation, dropout: d.attentionDropout)
    }
}
