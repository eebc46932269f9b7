/// The peak live activations of one forward pass under `torch.inference_mode()`: nothing is kept for backward, so
/// the peak is the largest working set over the layers, not a sum over them.
///
/// Each phase is what is alive while one part of a block runs, in bytes: a part per token of the pass, a part per
/// (query token × attended token) for materialized attention scores, and a part per row of logits kept.
struct InferenceWorkingSet: Sendable {
    struct Phase: Hashable, Sendable {
        var name: String
        /// Bytes per token in the pass.
        var perToken: Double = 0
        /// Bytes per query token × attended token of one sequence (eager attention scores).
        var perScore: Double = 0
        /// Bytes per sequence (one sample of a vision model, or an encoder's pooled head).
        var perSequence: Double = 0
        /// Bytes per row of logits kept.
        var perLogitRow: Double = 0
    }

    var phases: [Phase]
    var notes: [String]

    /// Bytes at the largest phase for `sequences` sequences of `tokens` tokens each attending to `attended` tokens,
    /// with `logitRows` rows of logits kept, and that phase's name.
    func peak(sequences: Int, tokens: Int, attended: Int, logitRows: Int) -> (bytes: Int, phase: String) {
        let b = Double(sequences)
        let t = Double(tokens)
        var best = (bytes: 0.0, phase: phases.first?.name ?? "forward")
        for phase in phases {
            let bytes = b * (t * phase.perToken + t * Double(attended) * phase.perScore + phase.perSequence)
                + Double(logitRows) * phase.perLogitRow
            if bytes > best.bytes { best = (bytes, phase.name) }
        }
        return (Int(best.bytes.rounded(.up)), best.phase)
    }

    /// The working set of a transformers model, block part by block part, from how its modeling code runs them.
    ///
    /// Per token, in the compute dtype: the residual stream and the normalized input (2 × hidden) stay alive through
    /// each half of a block (parallel-residual models keep the attention output too while the MLP runs); attention
    /// holds q, k, v and its output (2 × query width + 2 × key/value width); eager attention adds the key/value
    /// heads expanded by `repeat_kv` under grouped-query attention and, per score, the scores in the compute dtype,
    /// softmax's fp32 result and its cast back (8 bytes; 4 + 4 in fp32, where the cast is a no-op); a gated MLP holds
    /// act(gate), up and their product (3 × intermediate), a plain one fc1's output and its activation; a mixture of
    /// experts runs each expert on its share of the tokens (balanced top-k routing) beside the output accumulator.
    /// Logits: the final norm's output per token, and per kept row the logits in the compute dtype plus the fp32
    /// copy sampling reads (transformers `generate`, vLLM's sampler). Tensor parallelism divides heads and the
    /// intermediate width N ways; the residual stream and the gathered logits are whole on every GPU.
    static func transformer(
        _ d: TransformerDescription, dtype: ComputeDType, attention: AttentionImplementation, tensorParallel: Int,
        causalLM: Bool, fusedAttention: Bool = false
    ) -> InferenceWorkingSet {
        let e = Double(dtype.bytes)
        let n = Double(max(1, tensorParallel))
        let h = Double(d.hidden)
        let q = Double(d.queryWidth) / n
        let kv = Double(max(1, d.kvHeads / max(1, tensorParallel)) * d.headDim)
        let i = Double(d.intermediate) / n
        let heads = Double(d.heads) / n
        let eager = !fusedAttention && (attention == .eager || d.eagerOnly || d.sdpaRunsMathPath)
        var notes: [String] = []
        var attentionBytes = (2 * h + 2 * q + 2 * kv) * e
        var scoreBytes = 0.0
        if eager {
            if d.kvHeads != d.heads { attentionBytes += 2 * q * e }
            scoreBytes = heads * (dtype == .fp32 ? 8 : 2 * e + 4)
            notes.append(
                "eager attention: the heads × tokens × tokens scores, softmax's fp32 result and its cast are alive together"
                    + (d.eagerOnly ? " (transformers has no SDPA path for \(d.modelType))" : ""))
        }
        let stream = d.parallelResidual ? 3 * h : 2 * h
        let mlpBytes: Double
        if d.experts > 0 {
            let share = Double(d.expertsPerToken) / Double(d.experts)
            mlpBytes = (stream + h + 3 * i * share) * e + Double(d.experts) * 4
            notes.append(
                "MoE: each expert runs on its share of the tokens (balanced top-\(d.expertsPerToken) of \(d.experts) routing); a skewed batch needs more")
        } else {
            mlpBytes = (stream + (d.gatedMLP ? 3 : 2) * i) * e
        }
        var phases = [
            Phase(name: "attention", perToken: attentionBytes, perScore: scoreBytes),
            Phase(name: "mlp", perToken: mlpBytes),
        ]
        if causalLM {
            phases.append(Phase(name: "logits", perToken: 2 * h * e, perLogitRow: Double(d.vocab) * (e + 4)))
        }
        return InferenceWorkingSet(phases: phases, notes: notes)
    }

    /// The working set of any other model from its layer list: at each layer its input, its output and the block
    /// input a residual connection keeps, per sample in the compute dtype.
    ///
    /// In-place activations (torchvision's `ReLU(inplace=True)`) share their input's storage, so this slightly
    /// overcounts them; concatenating networks (DenseNet) keep more than one block input and are undercounted.
    static func layerWalk(_ model: ModelAccounting, dtype: ComputeDType) -> InferenceWorkingSet {
        let e = Double(dtype.bytes)
        var best = Phase(name: model.layers.first?.name ?? "forward")
        var blockInput = 0
        var currentBlock: String?
        var previousOutput = model.input.elements
        for layer in model.layers where layer.role != .loss {
            if layer.block != currentBlock {
                currentBlock = layer.block
                blockInput = layer.block == nil ? 0 : previousOutput
            }
            let live = Double(layer.outputElements + previousOutput + blockInput) * e
            if live > best.perSequence { best = Phase(name: layer.name, perSequence: live) }
            previousOutput = layer.outputElements
        }
        return InferenceWorkingSet(
            phases: [best],
            notes: ["activations: the widest layer's input, output and residual block input (layer walk, \(model.layers.count) layers)"])
    }
}
