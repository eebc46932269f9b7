extension TransformerLayers {
    /// How one attention call keeps its tensors.
    struct AttentionCall {
        var heads: Int
        var kvHeads: Int
        var headDim: Int
        var implementation: AttentionImplementation
        /// Dropout on the attention probabilities.
        var dropout: Double = 0
        /// Keys and values are expanded to every query head before the kernel (eager `repeat_kv`, Falcon's new
        /// architecture).
        var kvRepeated: Bool = false
        /// Elements per token beyond q, k and v that the kernel's inputs keep alive, e.g. GPT-2's fused `c_attn`
        /// output viewed by one of them (2 × hidden).
        var fusedStorageExtra: Int = 0
        /// Gemma 2's tanh soft-capping of the scores (eager): one more copy of the scores.
        var scoreSoftcap: Bool = false
    }

    /// Adds the attention between the projections: the rotated q/k/v the kernel keeps (body) and the kernel's own
    /// state (`.attentionCore`: output and log-sum-exp for SDPA; probabilities and their dropout for eager).
    ///
    /// Fused SDPA (flash / memory-efficient) keeps q, k, v, the output and an fp32 log-sum-exp per head and token;
    /// attention dropout happens inside the kernel (its RNG state is a fixed 16 bytes). Eager attention keeps q, the
    /// keys and values expanded to every head, the fp32 softmax output (heads × tokens² per sample), and under
    /// dropout a one-byte mask plus the dropped copy; its output is copied into the output projection's input.
    mutating func attention(_ prefix: String, _ call: AttentionCall, block: String) {
        let queryWidth = call.heads * call.headDim
        let kvWidth = (call.kvRepeated ? call.heads : call.kvHeads) * call.headDim
        let scores = call.heads * tokens  // per token: one row of scores per head
        let flops = 4 * tokens * tokens * queryWidth
        switch call.implementation {
        case .sdpa:
            add("\(prefix).qkv", type: "AttentionInputs", width: queryWidth,
                perToken: SavedTensors(activation: queryWidth + 2 * kvWidth + call.fusedStorageExtra), block: block)
            add("\(prefix).sdpa", type: "ScaledDotProductAttention", width: queryWidth,
                perToken: SavedTensors(activation: queryWidth, fp32: call.heads), flops: flops, block: block,
                role: .attentionCore)
        case .eager:
            let expanded = call.heads * call.headDim
            add("\(prefix).qkv", type: "AttentionInputs", width: queryWidth,
                perToken: SavedTensors(activation: queryWidth + 2 * (call.kvRepeated ? expanded : kvWidth) + call.fusedStorageExtra),
                block: block)
            var core = SavedTensors(fp32: scores)
            if call.scoreSoftcap { core.activation += scores }
            if call.dropout > 0 { core = core + SavedTensors(activation: scores, bool: scores) }
            add("\(prefix).eager", type: "EagerAttention", width: queryWidth, perToken: core, flops: flops + 5 * scores * tokens,
                block: block, role: .attentionCore)
        }
    }
}
