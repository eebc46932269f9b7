/// Builds the layer list of an encoder (bert, roberta, distilbert, vit) as transformers names its modules, with a
/// sequence-classification, masked-LM or image-classification head.
struct EncoderBuilder {
    var d: TransformerDescription
    var attention: AttentionImplementation
    var task: TrainingTask
    /// Tokens per sample (patches + 1 for a ViT).
    var tokens: Int

    private var prefix: String {
        switch d.layout {
        case .distilbert: "distilbert"
        case .vit: "vit"
        default: d.modelType
        }
    }

    func build() -> [LayerAccount] {
        var out = TransformerLayers(tokens: tokens)
        let h = d.hidden
        let emb = "\(prefix).embeddings"
        switch d.layout {
        case .vit:
            let grid = d.imageSize / d.patchSize
            let imageElements = d.channels * d.imageSize * d.imageSize
            out.addPerSample(
                "\(emb).patch_embeddings.projection", type: "Conv2d",
                parameters: d.channels * d.patchSize * d.patchSize * h + h, shape: [h, grid, grid],
                saved: SavedTensors(activation: imageElements), flops: 2 * imageElements * h, role: .embedding)
            out.addPerSample("\(emb).cls_token", type: "Parameter", parameters: h, shape: [1, h], role: .embedding)
            out.addPerSample("\(emb).position_embeddings", type: "Parameter", parameters: tokens * h, shape: [tokens, h], role: .embedding)
        default:
            out.embedding("\(emb).word_embeddings", rows: d.vocab, width: h)
            // RoBERTa derives positions (and zero token types) per sample; BERT and DistilBERT slice shared buffers.
            let perSampleIndices = d.modelType == "roberta"
            out.embedding("\(emb).position_embeddings", rows: d.positionRows, width: h, savesIndices: perSampleIndices)
            if d.layout == .bert {
                out.embedding("\(emb).token_type_embeddings", rows: d.typeVocab, width: h, savesIndices: perSampleIndices)
            }
            out.norm("\(emb).LayerNorm", d.norm, width: h, block: nil)
        }
        out.dropout("\(emb).dropout", p: d.embeddingDropout, width: h, block: nil)
        for index in 0..<d.layers {
            block(index, into: &out)
        }
        if d.layout == .vit {
            out.norm("vit.layernorm", d.norm, width: h, block: nil)
        }
        head(into: &out)
        return out.layers
    }

    private func call() -> TransformerLayers.AttentionCall {
        TransformerLayers.AttentionCall(
            heads: d.heads, kvHeads: d.kvHeads, headDim: d.headDim, implementation: attention, dropout: d.attentionDropout)
    }

    private func block(_ index: Int, into out: inout TransformerLayers) {
        let h = d.hidden
        let eager = attention == .eager
        switch d.layout {
        case .distilbert:
            let b = "distilbert.transformer.layer.\(index)"
            out.linear("\(b).attention.q_lin", in: h, out: h, bias: true, block: b)
            out.linear("\(b).attention.k_lin", in: h, out: h, bias: true, savesInput: false, block: b)
            out.linear("\(b).attention.v_lin", in: h, out: h, bias: true, savesInput: false, block: b)
            out.attention("\(b).attention", call(), block: b)
            out.linear("\(b).attention.out_lin", in: h, out: h, bias: true, savesInput: eager, block: b)
            out.norm("\(b).sa_layer_norm", d.norm, width: h, block: b)
            out.plainMLP(d, "\(b).ffn", up: "lin1", down: "lin2", activationName: "activation", block: b)
            out.dropout("\(b).ffn.dropout", p: d.hiddenDropout, width: h, block: b)
            out.norm("\(b).output_layer_norm", d.norm, width: h, block: b)
        case .vit:
            let b = "vit.layers.\(index)"
            out.norm("\(b).layernorm_before", d.norm, width: h, block: b)
            out.linear("\(b).attention.q_proj", in: h, out: h, bias: d.qkvBias, block: b)
            out.linear("\(b).attention.k_proj", in: h, out: h, bias: d.qkvBias, savesInput: false, block: b)
            out.linear("\(b).attention.v_proj", in: h, out: h, bias: d.qkvBias, savesInput: false, block: b)
            out.attention("\(b).attention", call(), block: b)
            out.linear("\(b).attention.o_proj", in: h, out: h, bias: true, savesInput: eager, block: b)
            out.dropout("\(b).attention.dropout", p: d.hiddenDropout, width: h, block: b)
            out.norm("\(b).layernorm_after", d.norm, width: h, block: b)
            out.plainMLP(d, "\(b).mlp", up: "fc1", down: "fc2", activationName: "activation_fn", block: b)
            out.dropout("\(b).mlp.dropout", p: d.hiddenDropout, width: h, block: b)
        default:
            let b = "\(prefix).encoder.layer.\(index)"
            out.linear("\(b).attention.self.query", in: h, out: h, bias: true, block: b)
            out.linear("\(b).attention.self.key", in: h, out: h, bias: true, savesInput: false, block: b)
            out.linear("\(b).attention.self.value", in: h, out: h, bias: true, savesInput: false, block: b)
            out.attention("\(b).attention.self", call(), block: b)
            out.linear("\(b).attention.output.dense", in: h, out: h, bias: true, savesInput: eager, block: b)
            out.dropout("\(b).attention.output.dropout", p: d.hiddenDropout, width: h, block: b)
            out.norm("\(b).attention.output.LayerNorm", d.norm, width: h, block: b)
            out.linear("\(b).intermediate.dense", in: h, out: d.intermediate, bias: true, block: b)
            out.activation("\(b).intermediate.intermediate_act_fn", d.activation, width: d.intermediate, block: b)
            out.linear("\(b).output.dense", in: d.intermediate, out: h, bias: true, savesInput: d.activation != .relu, block: b)
            out.dropout("\(b).output.dropout", p: d.hiddenDropout, width: h, block: b)
            out.norm("\(b).output.LayerNorm", d.norm, width: h, block: b)
        }
    }

    /// Heads as transformers builds them. Pooling reads token 0 as a view of the last hidden state, so the first
    /// linear of a classification head keeps the whole `tokens × hidden` storage.
    private func head(into out: inout TransformerLayers) {
        let h = d.hidden
        let whole = SavedTensors(activation: tokens * h)
        let p = d.classifierDropout
        func dropoutSaved(_ width: Int) -> SavedTensors { p > 0 ? SavedTensors(activation: width, bool: width) : .none }
        func linear(_ name: String, _ inF: Int, _ outF: Int, saved: SavedTensors) {
            out.addPerSample(
                name, type: "Linear", parameters: inF * outF + outF, shape: [outF], saved: saved, flops: 2 * inF * outF,
                role: .head, linear: LayerAccount.LinearShape(inFeatures: inF, outFeatures: outF))
        }
        switch (d.layout, task) {
        case (.vit, _):
            linear("classifier", h, d.labels, saved: whole)
            out.classificationLoss(labels: d.labels)
        case (_, .maskedLM):
            let t = "cls.predictions.transform"
            if d.layout == .distilbert {
                out.linear("vocab_transform", in: h, out: h, bias: true, block: nil, role: .head, perTokenSaved: h)
                out.activation("activation", d.activation, width: h, block: nil)
                out.norm("vocab_layer_norm", d.norm, width: h, block: nil)
                out.languageModelHead("vocab_projector", inFeatures: h, vocab: d.vocab, tied: true, bias: true)
            } else {
                let head = d.modelType == "roberta" ? "lm_head" : t
                out.linear("\(head).dense", in: h, out: h, bias: true, block: nil, role: .head)
                out.activation(d.modelType == "roberta" ? "lm_head.gelu" : "\(t).transform_act_fn", .gelu, width: h, block: nil)
                out.norm(d.modelType == "roberta" ? "lm_head.layer_norm" : "\(t).LayerNorm", d.norm, width: h, block: nil)
                out.languageModelHead(
                    d.modelType == "roberta" ? "lm_head.decoder" : "cls.predictions.decoder", inFeatures: h, vocab: d.vocab,
                    tied: true, bias: true)
            }
            // The masked-LM loss reads labels of the sequence length (no shift).
            if let last = out.layers.indices.last { out.layers[last].saved.int64 -= 1 }
        case (.distilbert, _):
            linear("pre_classifier", h, h, saved: whole)
            out.addPerSample("pre_classifier.relu", type: "ReLU", shape: [h], saved: SavedTensors(activation: h), role: .head)
            linear("classifier", h, d.labels, saved: dropoutSaved(h))
            out.classificationLoss(labels: d.labels)
        case _ where d.modelType == "roberta":
            linear("classifier.dense", h, h, saved: p > 0 ? dropoutSaved(h) : whole)
            out.addPerSample("classifier.tanh", type: "Tanh", shape: [h], saved: SavedTensors(activation: h), role: .head)
            linear("classifier.out_proj", h, d.labels, saved: dropoutSaved(h))
            out.classificationLoss(labels: d.labels)
        default:
            linear("bert.pooler.dense", h, h, saved: whole)
            out.addPerSample("bert.pooler.activation", type: "Tanh", shape: [h], saved: SavedTensors(activation: h), role: .head)
            linear("classifier", h, d.labels, saved: dropoutSaved(h))
            out.classificationLoss(labels: d.labels)
        }
    }
}
