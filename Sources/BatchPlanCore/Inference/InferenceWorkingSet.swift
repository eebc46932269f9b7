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
    /// Per token, in the compute dtype, as transformers runs a static batch: the block's input (the caller's
    /// reference), the embedding output (the model's `inputs_embeds`, alive through every layer) and the normalized
    /// input stay alive through attention (3 × hidden), and the residual sum too through the MLP (4 × hidden; 3 for
    /// post-norm encoders, whose attention output is the residual). A paged (vLLM) engine's fused add-norm layers
    /// keep the hidden state and the residual (2 × hidden; parallel-residual models the attention output too).
    /// Fused attention holds q, k, v and its output (2 × query width + 2 × key/value width). Eager attention peaks
    /// at softmax: q, k, v, the key/value heads `repeat_kv` expands under grouped-query attention, and per score the
    /// scores in the compute dtype, softmax's fp32 result and its cast (8 bytes; 4 + 4 in fp32, where the cast is a
    /// no-op), plus the causal mask (one score per sequence); the probabilities stay alive through the MLP (the
    /// layer holds the attention weights it discards until it returns). A gated MLP holds act(gate), up and their
    /// product (3 × intermediate), a plain one fc1's output and its activation (with transformers' Python `gelu_new`,
    /// three temporaries more); a mixture of experts runs each
    /// expert on its share of the tokens (balanced top-k routing) beside the output accumulator. Logits: the last
    /// block's output and the final norm's per token, and per kept row the logits in the compute dtype plus the fp32
    /// copy sampling reads (transformers `generate`, vLLM's sampler). Tensor parallelism divides heads and the
    /// intermediate width N ways; the residual stream and the gathered logits are whole on every GPU.
    ///
    /// Checked against `tools/inference_working_set.py` (live tensor bytes under a TorchDispatchMode, CPU,
    /// `Fixtures/inference_working_set.jsonl`); rotary cos/sin tables (2 × head dim per position) are not counted.
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
        let postNorm = d.layout == .bert || d.layout == .distilbert
        var notes: [String] = []
        let attentionStream = fusedAttention ? 2 * h : 3 * h
        var attention = Phase(name: "attention", perToken: (attentionStream + 2 * q + 2 * kv) * e)
        var keptScores = 0.0
        if eager {
            attention.perToken = (attentionStream + q + 2 * kv + (d.kvHeads != d.heads ? 2 * q : 0)) * e
            attention.perScore = heads * (dtype == .fp32 ? 8 : 2 * e + 4) + e
            keptScores = heads * e + e
            notes.append(
                "eager attention: the heads × tokens × tokens scores, softmax's fp32 result and its cast are alive together, and the probabilities until the layer returns"
                    + (d.eagerOnly ? " (transformers has no SDPA path for \(d.modelType))" : ""))
        }
        // GPT-2's block also holds its attention outputs tuple through the MLP (measured: 5 × hidden).
        let stream = fusedAttention
            ? (d.parallelResidual ? 3 * h : 2 * h) : (postNorm ? 3 * h : d.layout == .gpt2 ? 5 * h : 4 * h)
        var mlp = Phase(name: "mlp", perScore: keptScores)
        if d.experts > 0 {
            let share = Double(d.expertsPerToken) / Double(d.experts)
            mlp.perToken = (stream + h + 3 * i * share) * e + Double(d.experts) * 4
            notes.append(
                "MoE: each expert runs on its share of the tokens (balanced top-\(d.expertsPerToken) of \(d.experts) routing); a skewed batch needs more")
        } else {
            // transformers' Python `gelu_new` holds fc1's output and three temporaries of its size (measured).
            let plain = d.activation == .geluNew ? 4.0 : 2.0
            mlp.perToken = (stream + (d.gatedMLP ? 3 : plain) * i) * e
        }
        var phases = [attention, mlp]
        if causalLM {
            phases.append(Phase(name: "logits", perToken: (fusedAttention ? 2 : 3) * h * e, perLogitRow: Double(d.vocab) * (e + 4)))
        }
        return InferenceWorkingSet(phases: phases, notes: notes)
    }

    /// The working set of any other model from its layer list: at each layer its input, its output and the block
    /// input a residual connection keeps, per sample in the compute dtype.
    ///
    /// A shortcut branch (`downsample`) also keeps the main path's output. In-place activations (torchvision's
    /// `ReLU(inplace=True)`) share their input's storage, so this slightly overcounts them; concatenating networks
    /// (DenseNet) keep more than one block input and are undercounted.
    static func layerWalk(_ model: ModelAccounting, dtype: ComputeDType) -> InferenceWorkingSet {
        let e = Double(dtype.bytes)
        var best = Phase(name: model.layers.first?.name ?? "forward")
        var blockInput = 0
        var currentBlock: String?
        var previousOutput = model.input.elements
        var mainOutput: Int?
        for layer in model.layers where layer.role != .loss {
            if layer.block != currentBlock {
                currentBlock = layer.block
                blockInput = layer.block == nil ? 0 : previousOutput
                mainOutput = nil
            }
            var live = Double(layer.outputElements + previousOutput + blockInput) * e
            if layer.name.contains(".downsample.") {
                // A shortcut branch (torchvision/timm ResNets) reads the block input while the main path's output
                // waits for the addition.
                let first = mainOutput == nil
                if first { mainOutput = previousOutput }
                live = Double(layer.outputElements + (first ? 0 : previousOutput) + blockInput + (mainOutput ?? 0)) * e
            }
            if live > best.perSequence { best = Phase(name: layer.name, perSequence: live) }
            previousOutput = layer.outputElements
        }
        return InferenceWorkingSet(
            phases: [best],
            notes: ["activations: the widest layer's input, output and residual block input (layer walk, \(model.layers.count) layers)"])
    }
}
