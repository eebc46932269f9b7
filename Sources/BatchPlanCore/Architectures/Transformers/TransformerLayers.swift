/// Collects a transformer's `LayerAccount`s in forward order, with one helper per PyTorch op that says what autograd
/// keeps for it (per token; multiplied by the tokens of one sample).
///
/// What each op keeps was read from PyTorch 2.15 / transformers 5.24 with `saved_tensors_hooks` (storages counted
/// once, parameters excluded) and checked on an H100 for dropout and SDPA: dropout keeps a one-byte mask; fused SDPA
/// keeps q, k, v, its output and the fp32 log-sum-exp.
struct TransformerLayers {
    /// Tokens in one sample (sequence length, or patches + 1 for a ViT).
    let tokens: Int
    var layers: [LayerAccount] = []

    init(tokens: Int) { self.tokens = tokens }

    /// Adds a layer whose saved tensors are given per token.
    mutating func add(
        _ name: String, type: String, parameters: Int = 0, width: Int, perToken saved: SavedTensors = .none,
        flops: Int = 0, block: String?, role: LayerRole = .body, linear: LayerAccount.LinearShape? = nil
    ) {
        layers.append(
            LayerAccount(
                name: name, type: type, parameters: parameters, outputShape: [tokens, width], saved: saved * tokens,
                flops: flops, block: block, role: role, linearShape: linear))
    }

    /// Adds a layer whose saved tensors are given per sample (heads, pooled outputs, losses).
    mutating func addPerSample(
        _ name: String, type: String, parameters: Int = 0, shape: [Int], saved: SavedTensors = .none, flops: Int = 0,
        block: String? = nil, role: LayerRole = .body, linear: LayerAccount.LinearShape? = nil
    ) {
        layers.append(
            LayerAccount(
                name: name, type: type, parameters: parameters, outputShape: shape, saved: saved, flops: flops,
                block: block, role: role, linearShape: linear))
    }

    /// `nn.Embedding`: keeps the int64 indices when `savesIndices` (buffers shared across the batch are not per sample).
    mutating func embedding(_ name: String, rows: Int, width: Int, savesIndices: Bool = true, block: String? = nil) {
        add(name, type: "Embedding", parameters: rows * width, width: width,
            perToken: SavedTensors(int64: savesIndices ? 1 : 0), block: block, role: .embedding)
    }

    /// `nn.Linear` (and GPT-2's `Conv1D`): keeps its input unless another op already keeps the same storage.
    mutating func linear(
        _ name: String, in inFeatures: Int, out outFeatures: Int, bias: Bool, savesInput: Bool = true,
        block: String?, role: LayerRole = .body, type: String = "Linear", perTokenSaved: Int? = nil
    ) {
        add(name, type: type, parameters: inFeatures * outFeatures + (bias ? outFeatures : 0), width: outFeatures,
            perToken: SavedTensors(activation: perTokenSaved ?? (savesInput ? inFeatures : 0)),
            flops: 2 * inFeatures * outFeatures * tokens, block: block, role: role,
            linear: LayerAccount.LinearShape(inFeatures: inFeatures, outFeatures: outFeatures))
    }

    /// A normalization layer over `width` features.
    ///
    /// LayerNorm keeps its input and fp32 mean and rstd; transformers' RMSNorm keeps the fp32 upcast input, the fp32
    /// rsqrt and the normalized value it multiplies by the weight. `inputShared`: the input is already kept.
    mutating func norm(
        _ name: String, _ kind: TransformerDescription.Norm, width: Int, inputShared: Bool = false, block: String?
    ) {
        let input = inputShared ? 0 : width
        switch kind {
        case .layerNorm(let bias):
            add(name, type: "LayerNorm", parameters: width * (bias ? 2 : 1), width: width,
                perToken: SavedTensors(activation: input, fp32: 2), flops: 5 * width * tokens, block: block)
        case .rmsNorm:
            add(name, type: "RMSNorm", parameters: width, width: width,
                perToken: SavedTensors(activation: width, fp32: input + 1), flops: 4 * width * tokens, block: block)
        }
    }

    /// Dropout in train mode: a one-byte mask per element when `p > 0`, nothing otherwise.
    mutating func dropout(_ name: String, p: Double, width: Int, block: String?) {
        guard p > 0 else { return }
        add(name, type: "Dropout", width: width, perToken: SavedTensors(bool: width), block: block)
    }

    /// The MLP activation over `width` features.
    mutating func activation(_ name: String, _ kind: TransformerDescription.Activation, width: Int, block: String?) {
        add(name, type: kind.rawValue.uppercased(), width: width,
            perToken: SavedTensors(activation: kind.savedCopies * width), flops: 8 * width * tokens, block: block)
    }
}
