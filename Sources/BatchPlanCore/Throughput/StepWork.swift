/// The work of one training step, layer by layer, for a checkpointing mode and training mode: what the step-time
/// model multiplies by the batch and divides by the card's throughput.
///
/// Built from the layer accounting (forward FLOPs, output elements and parameters per layer) once per model ×
/// checkpointing × mode × LoRA setting; independent of the precision, optimizer and card.
///
/// Passes per layer:
/// - forward: once;
/// - recomputation: once more for what checkpointing drops (block: every layer of a checkpointed block on the
///   gradient path, Chen et al. 2016 "Training Deep Nets with Sublinear Memory Cost"; selective: the attention
///   internals, Korthikanti et al. 2022);
/// - backward: twice the forward FLOPs for a layer whose weights train (input and weight gradients, Kaplan et al.
///   2020 "Scaling Laws" §2.1: C ≈ 6N per token), once for a frozen layer the gradient passes through (LoRA's base,
///   input gradients only), nothing before the first trainable layer;
/// - LoRA/QLoRA adapters: `2 r (in + out)` FLOPs per token forward for each targeted linear, three times that with
///   backward.
public struct StepWork: Sendable {
    /// One layer's work per sample.
    public struct LayerWork: Sendable {
        /// Runs on tensor cores at the precision's matmul rate (linear, convolution, attention); else on CUDA cores.
        public var tensorCore: Bool
        /// True for linear layers (Transformer Engine runs only these in fp8).
        public var linear: Bool
        /// FLOPs per sample over all passes (forward, recomputation, backward, adapters).
        public var flops: Double
        /// Activation elements read and written per sample over all passes (each pass reads its input and writes
        /// its output, about two tensors of the output's size; backward also reads what forward saved).
        public var activationElements: Double
        /// Weight elements read over all passes (each pass reads the weights once; backward also writes gradients).
        public var weightElements: Double
        /// Kernel passes over this layer (forward, recomputation, one or two backward), for launch overhead.
        public var passes: Double
    }

    public var layers: [LayerWork]
    /// Trainable parameters (the optimizer step updates these).
    public var trainable: Int
    /// Trainable matmul weights that autocast casts to half once per micro-step.
    public var trainableCastable: Int
    /// NF4 parameters that QLoRA dequantizes to the compute dtype in every pass that reads them.
    public var quantized: Int
    /// Passes that dequantize the NF4 base: forward, backward, and recomputation under checkpointing.
    public var quantizedPasses: Double
    /// Tokens per sample (1 for images), for tokens per second.
    public var tokensPerSample: Int?
    /// Whether the checkpointing mode recomputes anything (selective on a model without attention internals, or
    /// block on one without blocks, does not).
    public var recomputes: Bool

    /// The work of `model` under a checkpointing and training mode.
    ///
    /// `traits` are `ModelProfile.LayerTraits(model)`, passed in when several works (or profiles) of one model are
    /// built: the per-layer string work is most of what building one costs.
    public init(
        model: ModelAccounting, checkpointing: Checkpointing, mode: TrainingMode, loraRank: Int = 8,
        loraTargets: [String]? = nil
    ) {
        self.init(
            model: model, checkpointing: checkpointing, mode: mode, loraRank: loraRank, loraTargets: loraTargets,
            traits: ModelProfile.LayerTraits(model))
    }

    init(
        model: ModelAccounting, checkpointing: Checkpointing, mode: TrainingMode, loraRank: Int, loraTargets: [String]?,
        traits: ModelProfile.LayerTraits
    ) {
        let accounted = traits.facts
        let adapted = mode == .lora || mode == .qlora
            ? traits.adapted(by: Set(loraTargets ?? traits.defaultLoRATargets)) : []
        var trainableWeights = [Bool](repeating: false, count: accounted.count)
        var adapterFlops = [Double](repeating: 0, count: accounted.count)
        var trainable = 0
        var castable = 0
        var quantized = 0
        for (index, layer) in accounted.enumerated() {
            switch mode {
            case .full:
                trainableWeights[index] = layer.parameters > 0
                trainable += layer.parameters
                if traits.castable[index] { castable += layer.parameters }
            case .frozen:
                if layer.role == .head {
                    trainableWeights[index] = layer.parameters > 0
                    trainable += layer.parameters
                    if traits.castable[index] { castable += layer.parameters }
                }
            case .lora, .qlora:
                if let shape = layer.linearShape, adapted[index] {
                    let tokens = Double(max(1, layer.outputElements / max(1, shape.outFeatures)))
                    adapterFlops[index] = 3 * 2 * Double(loraRank * (shape.inFeatures + shape.outFeatures)) * tokens
                    trainable += loraRank * (shape.inFeatures + shape.outFeatures)
                    castable += loraRank * (shape.inFeatures + shape.outFeatures)
                }
                if mode == .qlora, layer.linearShape != nil, layer.role != .head { quantized += layer.parameters }
            }
        }
        let hasTrainable = mode == .lora || mode == .qlora ? adapterFlops.contains { $0 > 0 } : trainable > 0
        let firstTrainable = hasTrainable
            ? (mode == .lora || mode == .qlora ? adapterFlops.firstIndex { $0 > 0 } : trainableWeights.firstIndex(of: true)) ?? 0
            : accounted.count
        var work: [LayerWork] = []
        work.reserveCapacity(accounted.count)
        var recomputedAny = false
        for (index, layer) in accounted.enumerated() {
            let inGradPath = index >= firstTrainable
            let recomputed: Bool
            switch checkpointing {
            case .none: recomputed = false
            case .selective: recomputed = inGradPath && layer.role == .attentionCore
            case .block: recomputed = inGradPath && layer.block != nil
            }
            recomputedAny = recomputedAny || recomputed
            let recompute = recomputed ? 1.0 : 0.0
            let backwardFlops = inGradPath ? (trainableWeights[index] ? 2.0 : 1.0) : 0
            let flops = Double(layer.flops) * (1 + recompute + backwardFlops) + adapterFlops[index]
            let output = Double(layer.outputElements)
            let activations = 2 * output * (1 + recompute) + (inGradPath ? 3 * output : 0)
            let weightPasses = 1 + recompute + (inGradPath ? 1 : 0) + (trainableWeights[index] ? 1 : 0)
            let tensorCore = traits.tensorCore[index]
            work.append(
                LayerWork(
                    tensorCore: tensorCore, linear: layer.linearShape != nil, flops: flops,
                    activationElements: activations, weightElements: Double(layer.parameters) * weightPasses,
                    passes: 1 + recompute + (inGradPath ? (tensorCore ? 2 : 1) : 0)))
        }
        layers = work
        self.trainable = trainable
        trainableCastable = castable
        self.quantized = quantized
        quantizedPasses = 2 + (recomputedAny ? 1 : 0)
        recomputes = recomputedAny
        if case let .sequence(length) = model.input { tokensPerSample = length } else { tokensPerSample = nil }
    }

    /// Forward FLOPs per sample summed over layers, all passes included (for reports).
    public var flopsPerSample: Double { layers.reduce(0) { $0 + $1.flops } }
}
