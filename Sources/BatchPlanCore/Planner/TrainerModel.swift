extension ModelAccounting {
    /// The model as the configuration's trainer builds and runs it.
    ///
    /// LitGPT keeps its own `lm_head` next to `transformer.wte`, so a model whose Hugging Face checkpoint ties them
    /// (Llama 3.2, Gemma, Falcon) carries a second vocab × hidden matrix there (the conversion copies the embedding
    /// into `lm_head`). Source: LitGPT `litgpt/model.py` `GPT.__init__` (`self.lm_head = nn.Linear(...)` and
    /// `wte = nn.Embedding(...)`, no weight sharing; `train.tie_embeddings` defaults to null). Its attention balances
    /// grouped or multi-query heads before SDPA: `k.repeat_interleave(q_per_kv, dim=1)` and the same for `v` ("flash
    /// attention requires it in training mode", `CausalSelfAttention.forward`), so SDPA keeps q and the two repeated
    /// copies, three query-width tensors per token, for backward.
    ///
    /// A loss in the compute dtype (`TrainingStack.lossInComputeDtype`, LitGPT's default: `chunked_cross_entropy` in
    /// `litgpt/utils.py` calls `F.cross_entropy` on the bf16 logit chunks without the fp32 upcast transformers
    /// applies) saves 2-byte log-probabilities and keeps the compute-dtype logits instead of an fp32 copy.
    public func asTrained(by configuration: TrainingConfiguration) -> ModelAccounting {
        let (litgpt, lossInCompute) = Self.trainerChanges(configuration)
        guard litgpt || lossInCompute else { return self }
        var model = self
        for index in model.layers.indices {
            switch model.layers[index].role {
            case .head where litgpt:
                guard let shape = model.layers[index].linearShape else { continue }
                let matrix = shape.inFeatures * shape.outFeatures
                if model.layers[index].parameters < matrix { model.layers[index].parameters += matrix }
            case .body where litgpt && model.layers[index].type == "AttentionInputs":
                let balanced = 3 * model.layers[index].outputElements
                if model.layers[index].saved.activation < balanced { model.layers[index].saved.activation = balanced }
            case .loss where lossInCompute:
                model.layers[index].saved.activation += model.layers[index].saved.fp32
                model.layers[index].saved.fp32 = 0
                if index > 0 { model.layers[index].saved.activation += model.layers[index - 1].outputElements }
            default:
                continue
            }
        }
        return model
    }

    /// What `asTrained(by:)` changes under `configuration`, as a key: two configurations with the same key turn the
    /// same accounting into the same trained one (what a cache of trained accountings is keyed by).
    public static func trainedVariant(_ configuration: TrainingConfiguration) -> String {
        let (litgpt, lossInCompute) = trainerChanges(configuration)
        return (litgpt ? "litgpt" : "") + (lossInCompute ? "+loss-in-compute" : "")
    }

    private static func trainerChanges(_ configuration: TrainingConfiguration) -> (litgpt: Bool, lossInCompute: Bool) {
        (configuration.trainer?.kind == .litgpt, TrainingStack.resolve(configuration).lossInComputeDtype)
    }
}
