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
        // Only the flags' modules are looked for among the linear layers (not every layer's name collected first).
        let wanted = Set(flags.flatMap { flagModules[$0] ?? [] })
        var linear: Set<String> = []
        for layer in accounting.layers where layer.linearShape != nil {
            let short = ModelAccountingNames.short(layer.name)
            if wanted.contains(short) { linear.insert(short) }
        }
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
    /// The trainer a run names in its notes when its `trainer` field is empty: LitGPT's published tables say
    /// "LitGPT" there. Seeded and imported runs get it in their `trainer` field; this reads older rows.
    static func trainer(notes: String?) -> Trainer? {
        guard let notes, notes.range(of: "LitGPT", options: .caseInsensitive) != nil else { return nil }
        return Trainer(kind: .litgpt)
    }

    /// The model as the run's trainer builds it (`ModelAccounting.asTrained(by:)`).
    static func trainerModel(_ accounting: ModelAccounting, notes: String?) -> ModelAccounting {
        var configuration = TrainingConfiguration()
        configuration.trainer = trainer(notes: notes)
        return accounting.asTrained(by: configuration)
    }
}

/// Module path helpers shared by the run mapping.
enum ModelAccountingNames {
    /// The last component of a dotted module path (`model.layers.0.self_attn.q_proj` → `q_proj`).
    static func short(_ name: String) -> String {
        name.split(separator: ".").last.map(String.init) ?? name
    }
}
