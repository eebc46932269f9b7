extension TransformerLayers {
    /// `down(act(up(x)))`: the up projection keeps its input (unless shared), the activation what its kind keeps,
    /// and the down projection its input, except after a ReLU with no dropout, whose kept output it reuses.
    mutating func plainMLP(
        _ d: TransformerDescription, _ prefix: String, up: String, down: String, activationName: String,
        type: String = "Linear", inputShared: Bool = false, activationDropout: Double = 0, block: String
    ) {
        let i = d.intermediate
        linear("\(prefix).\(up)", in: d.hidden, out: i, bias: d.mlpBias, savesInput: !inputShared, block: block, type: type)
        activation("\(prefix).\(activationName)", d.activation, width: i, block: block)
        dropout("\(prefix).dropout", p: activationDropout, width: i, block: block)
        let reusesActivation = d.activation == .relu && activationDropout == 0
        linear("\(prefix).\(down)", in: i, out: d.hidden, bias: d.mlpBias, savesInput: !reusesActivation, block: block, type: type)
    }

    /// `down(act(gate(x)) * up(x))`: gate and up share their input; the activation keeps the gate output, the
    /// product keeps the activation output and the up output, and the down projection keeps the product.
    mutating func gatedMLP(_ d: TransformerDescription, _ prefix: String, fused: Bool, activationName: String = "act_fn", block: String) {
        let i = d.intermediate
        if fused {
            linear("\(prefix).gate_up_proj", in: d.hidden, out: 2 * i, bias: d.mlpBias, block: block)
        } else {
            linear("\(prefix).gate_proj", in: d.hidden, out: i, bias: d.mlpBias, block: block)
            linear("\(prefix).up_proj", in: d.hidden, out: i, bias: d.mlpBias, savesInput: false, block: block)
        }
        activation("\(prefix).\(activationName)", d.activation, width: i, block: block)
        add("\(prefix).gate_mul", type: "Mul", width: i, perToken: SavedTensors(activation: 2 * i), flops: i * tokens, block: block)
        linear("\(prefix).down_proj", in: i, out: d.hidden, bias: d.mlpBias, block: block)
    }

    /// Mixtral's sparse MoE block: the router (`gate`), then every expert's weights, with activations only through
    /// the `expertsPerToken` experts each token is routed to.
    ///
    /// Kept per token (read from transformers 5.24's grouped-experts path): the router input, fp32 router
    /// probabilities over all experts, the top-k weights and int64 indices; for each routed copy of the token its
    /// gathered input, the fused gate/up output, the activation output, the gated product, its routing weight and
    /// the expert output before weighting, plus int64 sort indices.
    mutating func mixtureOfExperts(_ d: TransformerDescription, _ prefix: String, block: String) {
        let h = d.hidden, i = d.intermediate, k = d.expertsPerToken, e = d.experts
        add("\(prefix).gate", type: "Linear", parameters: h * e, width: e,
            perToken: SavedTensors(activation: h + k, fp32: e + 1, int64: k), flops: 2 * h * e * tokens, block: block,
            linear: LayerAccount.LinearShape(inFeatures: h, outFeatures: e))
        // Experts are stored fused, as transformers 5 does: experts.gate_up_proj [E, 2I, H] and experts.down_proj [E, H, I].
        add("\(prefix).experts.gate_up_proj", type: "Experts", parameters: e * 2 * i * h, width: 2 * i,
            perToken: SavedTensors(activation: k * (h + 2 * i), int64: 3 * k), flops: 2 * k * h * 2 * i * tokens, block: block,
            linear: LayerAccount.LinearShape(inFeatures: h, outFeatures: 2 * i))
        add("\(prefix).experts.act_fn", type: d.activation.rawValue.uppercased(), width: i,
            perToken: SavedTensors(activation: 2 * k * i), block: block)
        add("\(prefix).experts.down_proj", type: "Experts", parameters: e * h * i, width: h,
            perToken: SavedTensors(activation: k * (h + 1)), flops: 2 * k * i * h * tokens, block: block,
            linear: LayerAccount.LinearShape(inFeatures: i, outFeatures: h))
    }
}
