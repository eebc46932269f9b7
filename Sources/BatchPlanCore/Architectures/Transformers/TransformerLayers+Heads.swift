extension TransformerLayers {
    /// A language-model head and its loss: the head keeps its input; transformers' loss upcasts the logits to fp32
    /// (`logits.float()`), and cross-entropy keeps the fp32 log-softmax over the whole vocabulary for every token
    /// (usually the largest single buffer) plus the int64 labels padded by one.
    mutating func languageModelHead(
        _ name: String, inFeatures: Int, vocab: Int, tied: Bool, bias: Bool, logitSoftcap: Bool = false
    ) {
        add(name, type: "Linear", parameters: (tied ? 0 : inFeatures * vocab) + (bias ? vocab : 0), width: vocab,
            perToken: SavedTensors(activation: inFeatures), flops: 2 * inFeatures * vocab * tokens, block: nil,
            role: .head, linear: LayerAccount.LinearShape(inFeatures: inFeatures, outFeatures: vocab))
        // Gemma 2 soft-caps the logits with a tanh and keeps its output.
        let softcap = logitSoftcap ? vocab : 0
        addPerSample(
            "loss", type: "CrossEntropyLoss", shape: [1],
            saved: SavedTensors(fp32: (vocab + softcap) * tokens, int64: tokens + 1), flops: 3 * vocab * tokens,
            role: .loss)
    }

    /// The sequence- or image-classification loss: fp32 log-softmax over the labels and one int64 label.
    mutating func classificationLoss(labels: Int) {
        addPerSample("loss", type: "CrossEntropyLoss", shape: [1], saved: SavedTensors(fp32: labels, int64: 1), role: .loss)
    }
}

extension DecoderBuilder {
    /// The task head: `lm_head` (or GPT-NeoX's `embed_out`) for causal LM, `score` for sequence classification
    /// (logits for every token, the last one pooled).
    func head(into out: inout TransformerLayers, headName: String, embedWidth: Int) {
        switch task {
        case .classification:
            out.linear("score", in: embedWidth, out: d.labels, bias: false, block: nil, role: .head)
            out.classificationLoss(labels: d.labels)
        default:
            out.languageModelHead(
                headName, inFeatures: embedWidth, vocab: d.vocab, tied: d.tiedEmbeddings, bias: d.lmHeadBias,
                logitSoftcap: d.finalLogitSoftcap)
        }
    }
}
