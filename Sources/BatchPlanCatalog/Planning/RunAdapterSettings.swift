import BatchPlanCore
import Foundation

/// The LoRA settings a measured run states in its notes: which modules got adapters and the adapter dropout.
///
/// Runs from the published tables write their adapter setup as the trainer's flags ("LoRA r=8 alpha=16 dropout
/// 0.05 on query+value", LitGPT's `lora_query`/`lora_key`/`lora_value`/`lora_projection`/`lora_mlp`/`lora_head`).
/// The planner needs them as module short names of the model's linear layers, so each flag maps to the names the
/// Hugging Face implementations use for that role. A run that states nothing keeps the planner's defaults.
enum RunAdapterSettings {
    /// Module short names per LitGPT LoRA flag, over the Hugging Face naming conventions (llama/mistral/gemma/qwen,
    /// phi-2, phi-3, falcon, gpt-neox/stablelm, gpt2, mpt, baichuan, bert). A fused query/key/value projection
    /// takes the adapter when any of query, key or value is on (LitGPT's `LoRAQKVLinear` adapts the enabled
    /// slices of its fused `attn`, which holds about as many adapter parameters).
    ///
    /// Source: LitGPT `litgpt/lora.py` (`Config.lora_query` … `lora_head`, `mlp` covers every MLP linear).
    static let flagModules: [String: [String]] = [
        "query": ["q_proj", "query", "q", "qkv_proj", "query_key_value", "c_attn", "Wqkv", "qkv", "W_pack"],
        "key": ["k_proj", "key", "k", "qkv_proj", "query_key_value", "c_attn", "Wqkv", "qkv", "W_pack"],
        "value": ["v_proj", "value", "v", "qkv_proj", "query_key_value", "c_attn", "Wqkv", "qkv", "W_pack"],
        "projection": ["o_proj", "dense", "out_proj", "wo"],
        "mlp": [
            "gate_proj", "up_proj", "down_proj", "gate_up_proj", "fc1", "fc2", "fc_in", "fc_out", "dense_h_to_4h",
            "dense_4h_to_h", "c_fc", "w1", "w2", "w3",
        ],
        "head": ["lm_head", "embed_out"],
    ]

    /// Adapter target module names the run's notes state, restricted to `accounting`'s linear layers; `nil` when
    /// the notes state none or none of them exists in the model.
    static func targets(notes: String?, accounting: ModelAccounting) -> [String]? {
        guard let notes, let flags = statedFlags(notes) else { return nil }
        let linear = Set(accounting.layers.filter { $0.linearShape != nil }.map { ModelAccountingNames.short($0.name) })
        var targets: [String] = []
        for flag in flags {
            for module in flagModules[flag] ?? [] where linear.contains(module) && !targets.contains(module) {
                targets.append(module)
            }
        }
        return targets.isEmpty ? nil : targets
    }

    /// The flags after "on" in a "LoRA … on query+value" phrase, when every one of them is a known flag.
    static func statedFlags(_ notes: String) -> [String]? {
        guard let lora = notes.range(of: "LoRA ") else { return nil }
        let tail = notes[lora.upperBound...].prefix { $0 != ";" && $0 != "," }
        guard let on = tail.range(of: " on ") else { return nil }
        let list = tail[on.upperBound...].prefix { !$0.isWhitespace }
        let flags = list.split(separator: "+").map { $0.lowercased() }
        guard !flags.isEmpty, flags.allSatisfy({ flagModules[$0] != nil }) else { return nil }
        return flags
    }

    /// The adapter dropout the notes state ("dropout 0.05"), else the trainer's default when the notes name a
    /// trainer whose default is known, else `nil` (the planner's default, 0).
    ///
    /// Source: LitGPT `finetune/lora.py` `lora_dropout: float = 0.05` (also in every `config_hub/finetune/*/lora.yaml`
    /// and `qlora.yaml`); PEFT `LoraConfig.lora_dropout = 0.0`.
    static func dropout(notes: String?) -> Double? {
        guard let notes else { return nil }
        if let lora = notes.range(of: "LoRA ") {
            let phrase = notes[lora.upperBound...].prefix { $0 != ";" }
            if let range = phrase.range(of: "dropout ") {
                let number = phrase[range.upperBound...].prefix { $0.isNumber || $0 == "." }
                if let value = Double(number), value >= 0, value < 1 { return value }
            }
        }
        if notes.range(of: "LitGPT", options: .caseInsensitive) != nil { return 0.05 }
        return nil
    }
}

extension RunAdapterSettings {
    /// The model as the run's trainer builds it: LitGPT keeps its own `lm_head` next to `transformer.wte`, so a
    /// model whose Hugging Face checkpoint ties them (Llama 3.2, Gemma, Falcon) carries a second vocab × hidden
    /// matrix there (the conversion copies the embedding into `lm_head`).
    ///
    /// Source: LitGPT `litgpt/model.py` `GPT.__init__` (`self.lm_head = nn.Linear(...)` and `wte = nn.Embedding(...)`,
    /// no weight sharing; `train.tie_embeddings` defaults to null).
    ///
    /// Its loss also stays in the compute dtype: `chunked_cross_entropy` (`litgpt/utils.py`) calls
    /// `F.cross_entropy` on the bf16 logits chunks without the fp32 upcast transformers applies, so the saved
    /// log-probabilities are 2-byte.
    ///
    /// And its attention balances grouped or multi-query heads before SDPA: `k.repeat_interleave(q_per_kv, dim=1)`
    /// and the same for `v` ("flash attention requires it in training mode", `CausalSelfAttention.forward`), so
    /// SDPA keeps q and the two repeated copies, three query-width tensors per token, for backward.
    static func trainerModel(_ accounting: ModelAccounting, notes: String?) -> ModelAccounting {
        guard let notes, notes.range(of: "LitGPT", options: .caseInsensitive) != nil else { return accounting }
        var model = accounting
        for index in model.layers.indices {
            switch model.layers[index].role {
            case .head:
                guard let shape = model.layers[index].linearShape else { continue }
                let matrix = shape.inFeatures * shape.outFeatures
                if model.layers[index].parameters < matrix { model.layers[index].parameters += matrix }
            case .body where model.layers[index].type == "AttentionInputs":
                let balanced = 3 * model.layers[index].outputElements
                if model.layers[index].saved.activation < balanced { model.layers[index].saved.activation = balanced }
            case .loss:
                model.layers[index].saved.activation += model.layers[index].saved.fp32
                model.layers[index].saved.fp32 = 0
                if index > 0 { model.layers[index].saved.activation += model.layers[index - 1].outputElements }
            default:
                continue
            }
        }
        return model
    }
}

/// Module path helpers shared by the run mapping.
enum ModelAccountingNames {
    /// The last component of a dotted module path (`model.layers.0.self_attn.q_proj` → `q_proj`).
    static func short(_ name: String) -> String {
        name.split(separator: ".").last.map(String.init) ?? name
    }
}
