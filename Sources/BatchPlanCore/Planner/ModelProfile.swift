/// Elements kept per sample: some in the compute dtype, the rest at fixed widths (fp32, int64, bool), in bytes.
struct SampleSize: Hashable, Sendable {
    /// Elements stored in the compute dtype.
    var elements: Int = 0
    /// Bytes whose width does not depend on the compute dtype.
    var fixedBytes: Int = 0

    init(elements: Int = 0, fixedBytes: Int = 0) {
        self.elements = elements
        self.fixedBytes = fixedBytes
    }

    init(_ saved: SavedTensors) {
        elements = saved.activation
        fixedBytes = saved.fp32 * 4 + saved.int64 * 8 + saved.bool
    }

    func bytes(activationBytes: Int) -> Int { elements * activationBytes + fixedBytes }

    static func + (lhs: SampleSize, rhs: SampleSize) -> SampleSize {
        SampleSize(elements: lhs.elements + rhs.elements, fixedBytes: lhs.fixedBytes + rhs.fixedBytes)
    }
}

/// A model prepared for one checkpointing mode and training mode: parameter groups and the per-layer backward
/// profile the phase model reads. Built once per model and (checkpointing, mode, LoRA setting); independent of the
/// precision, optimizer and card so `fit` reuses it across them.
struct ModelProfile: Sendable {
    /// All parameters, adapters included.
    var parameters = 0
    /// Parameters that receive gradients (LoRA: the adapters only).
    var trainable = 0
    /// Trainable parameters in matmul layers (autocast/fp8 cast copies).
    var trainableCastable = 0
    /// Frozen parameters stored in the regime's weight dtype (frozen mode's body).
    var frozenAtWeightDtype = 0
    /// Frozen LoRA base parameters stored in the compute dtype.
    var frozenAtComputeDtype = 0
    /// Frozen QLoRA parameters kept at fp32 (norms, embeddings, head: PEFT prepare_model_for_kbit_training).
    var frozenAtFP32 = 0
    /// QLoRA base parameters stored in NF4.
    var quantized = 0
    /// Largest single layer, parameters (ZeRO-3 gathers one layer).
    var largestLayer = 0
    /// Largest trainable tensor group of one layer (per-parameter optimizer temporaries, unsharded gradients).
    var largestTrainableLayer = 0
    /// Largest NF4 layer (dequantized to the compute dtype one at a time).
    var largestQuantizedLayer = 0
    /// Elements of Adafactor's statistics over the trainable parameters (row + column per matrix, full for others).
    var adafactorStatisticElements = 0
    /// Saved for backward per sample at the end of forward.
    var forwardSaved = SampleSize()
    /// One entry per layer on the gradient path, in forward order.
    var backward: [BackwardPoint] = []
    var layerNames: [String] = []
    var inputBytesPerSample = 0
    var hasConvolution = false
    var notes: [String] = []

    /// The state while one layer runs backward.
    struct BackwardPoint: Sendable {
        var layer: Int
        /// Saved tensors of this layer and every earlier one still held, per sample.
        var savedSoFar: SampleSize
        /// Gradient of this layer's output and input plus any recomputed segment, per sample.
        var transient: SampleSize
        /// Trainable parameters of this layer and every later one (their gradients exist now).
        var trainableFromHere: Int
    }

    init() {}

    /// Prepares `model` for a checkpointing mode and training mode.
    ///
    /// - Throws: `CoreError.unsupported` when the mode has nothing to train (no head for `frozen`, no target
    ///   modules for `lora`/`qlora`).
    /// `traits` are `LayerTraits(model)`, passed in when several profiles of one model are built (fit builds one
    /// per checkpointing × mode) so that the per-layer string work is done once.
    init(
        model: ModelAccounting, checkpointing: Checkpointing, mode: TrainingMode, loraRank: Int, loraTargets: [String]?,
        loraDropout: Bool = false, traits: LayerTraits? = nil
    ) throws(CoreError)
    {
        let traits = traits ?? LayerTraits(model)
        let layers = traits.facts
        let count = layers.count
        var trainablePerLayer = [Int](repeating: 0, count: count)
        var inGradPath = [Bool](repeating: true, count: count)
        var targets = Set<String>()
        var adapted: [Bool] = []
        if mode == .lora || mode == .qlora {
            targets = Set(loraTargets ?? traits.defaultLoRATargets)
            adapted = traits.adapted(by: targets)
        }
        hasConvolution = traits.hasConvolution

        for (index, layer) in layers.enumerated() {
            let castable = traits.castable[index]
            largestLayer = max(largestLayer, layer.parameters)
            switch mode {
            case .full:
                trainablePerLayer[index] = layer.parameters
                if castable { trainableCastable += layer.parameters }
            case .frozen:
                if layer.role == .head {
                    trainablePerLayer[index] = layer.parameters
                    if castable { trainableCastable += layer.parameters }
                } else {
                    frozenAtWeightDtype += layer.parameters
                }
            case .lora, .qlora:
                if let shape = layer.linearShape, adapted[index] {
                    let adapter = loraRank * (shape.inFeatures + shape.outFeatures)
                    trainablePerLayer[index] = adapter
                    trainableCastable += adapter
                    adafactorStatisticElements += 2 * loraRank + shape.inFeatures + shape.outFeatures
                }
                if mode == .qlora, layer.linearShape != nil, layer.role != .head {
                    quantized += layer.parameters
                    largestQuantizedLayer = max(largestQuantizedLayer, layer.parameters)
                } else if mode == .qlora {
                    frozenAtFP32 += layer.parameters
                } else {
                    frozenAtComputeDtype += layer.parameters
                }
            }
            if mode == .full || mode == .frozen, trainablePerLayer[index] > 0 {
                if let shape = layer.linearShape {
                    let matrix = shape.inFeatures * shape.outFeatures
                    adafactorStatisticElements += shape.inFeatures + shape.outFeatures + max(0, layer.parameters - matrix)
                } else {
                    adafactorStatisticElements += layer.parameters
                }
            }
            largestTrainableLayer = max(largestTrainableLayer, trainablePerLayer[index])
        }
        trainable = trainablePerLayer.reduce(0, +)
        parameters = model.parameters + (mode == .lora || mode == .qlora ? trainable : 0)
        guard trainable > 0 else {
            switch mode {
            case .frozen:
                throw .unsupported(
                    "model \"\(model.name)\" has no layer with the head role, so frozen training has nothing to train: use --mode full or lora")
            case .lora, .qlora:
                let wanted = targets.isEmpty
                    ? "LoRA targets (none known by default for its module names)"
                    : "LoRA targets \(targets.sorted().joined(separator: ","))"
                throw .unsupported(
                    "model \"\(model.name)\" has no linear layers matching the \(wanted): pass --lora-targets with module names such as q_proj,v_proj")
            case .full:
                throw .unsupported("model \"\(model.name)\" has no parameters to train")
            }
        }

        // The gradient path: everything after the first trainable layer needs backward.
        let firstTrainable = trainablePerLayer.firstIndex { $0 > 0 } ?? 0
        for index in 0..<count where index < firstTrainable { inGradPath[index] = false }

        // Saved tensors per layer under the checkpointing mode.
        var saved = layers.map { SampleSize($0.saved) }
        var recompute = SampleSize()
        for index in 0..<count where !inGradPath[index] { saved[index] = SampleSize() }
        Self.dropFrozenLinearInputs(
            &saved, layers: layers, trainable: trainablePerLayer, mode: mode, loraDropout: loraDropout)
        if mode == .lora || mode == .qlora {
            for index in 0..<count where trainablePerLayer[index] > 0 {
                // lora_A's output (r per token) is saved for lora_B's weight gradient.
                let shape = layers[index].linearShape!
                let tokens = max(1, layers[index].outputElements / max(1, shape.outFeatures))
                saved[index] = saved[index] + SampleSize(elements: loraRank * tokens)
                if loraDropout {
                    // PEFT/LitGPT `lora_B(lora_A(dropout(x)))`: lora_A saves the dropped copy of its input (compute
                    // dtype) and dropout saves its mask (bool, 1 byte per element).
                    let inputs = shape.inFeatures * tokens
                    saved[index] = saved[index] + SampleSize(elements: inputs, fixedBytes: inputs)
                }
            }
        }
        switch checkpointing {
        case .none:
            break
        case .selective:
            for index in 0..<count where layers[index].role == .attentionCore && inGradPath[index] {
                let dropped = saved[index]
                if dropped.bytes(activationBytes: 4) > recompute.bytes(activationBytes: 4) { recompute = dropped }
                saved[index] = SampleSize()
            }
            if !layers.contains(where: { $0.role == .attentionCore }) {
                notes.append("selective checkpointing: the model has no attention-core layers, so nothing is recomputed")
            }
        case .block:
            var index = 0
            var sawBlock = false
            while index < count {
                guard let block = layers[index].block, inGradPath[index] else {
                    index += 1
                    continue
                }
                sawBlock = true
                var end = index
                var blockSaved = SampleSize()
                while end < count, layers[end].block == block {
                    blockSaved = blockSaved + saved[end]
                    saved[end] = SampleSize()
                    end += 1
                }
                if blockSaved.bytes(activationBytes: 4) > recompute.bytes(activationBytes: 4) { recompute = blockSaved }
                // The block's input is kept (the previous layer's output; the batch itself for the first block).
                if index > 0 { saved[index] = SampleSize(elements: layers[index - 1].outputElements) }
                index = end
            }
            if !sawBlock {
                notes.append("block checkpointing: the model has no checkpointable blocks, so nothing is recomputed")
            }
        }

        // Walk forward accumulating saved tensors, then record each gradient-path layer's backward state.
        var trainableSuffix = [Int](repeating: 0, count: count + 1)
        for index in stride(from: count - 1, through: 0, by: -1) {
            trainableSuffix[index] = trainableSuffix[index + 1] + trainablePerLayer[index]
        }
        var soFar = SampleSize()
        backward.reserveCapacity(count)
        for index in 0..<count {
            soFar = soFar + saved[index]
            guard inGradPath[index] else { continue }
            let gradInput = index > firstTrainable ? layers[index - 1].outputElements : 0
            let transient = (layers[index].role == .loss && index > 0
                ? Self.lossBackwardTransient(layers[index].saved, logits: layers[index - 1].outputElements)
                : SampleSize(elements: layers[index].outputElements + gradInput)) + recompute
            backward.append(
                BackwardPoint(
                    layer: index, savedSoFar: soFar, transient: transient,
                    trainableFromHere: trainableSuffix[index]))
        }
        forwardSaved = soFar
        layerNames = traits.names
        inputBytesPerSample = model.inputBytesPerSample
    }

    /// What the loss's backward holds besides its saved tensors: two buffers of `logits` elements (the layer
    /// before the loss) at the width the loss keeps its log-probabilities (fp32 when it upcasts, else the compute
    /// dtype).
    ///
    /// `cross_entropy` is `log_softmax` + `nll_loss`: `nll_loss_backward` allocates a dense gradient of the
    /// log-probabilities, then `_log_softmax_backward_data` allocates the gradient of the logits while that one and
    /// the saved log-probabilities are still alive (PyTorch `aten/src/ATen/native/LossNLL.cpp`, `SoftMax.cpp`), so
    /// the peak there is three vocabulary-sized buffers, not the saved one plus the bare logits. Each buffer is
    /// bounded by the saved log-probabilities (a soft-capped head saves more than the logits; a raw-count model's
    /// last layer is not the logits).
    static func lossBackwardTransient(_ saved: SavedTensors, logits: Int) -> SampleSize {
        // Bounded by what the loss saves, for losses whose input is not the logits (raw-count models).
        saved.fp32 > 0
            ? SampleSize(fixedBytes: 2 * min(logits, saved.fp32) * 4)
            : SampleSize(elements: 2 * min(logits, saved.activation))
    }

    /// The module's short name: the last component of its dotted path (`model.layers.0.self_attn.q_proj` → `q_proj`).
    ///
    /// ASCII names (all of ours) are cut on their contiguous bytes; splitting by `Character` walks grapheme clusters
    /// and was most of what a profile cost. Other names take the `Character` path, which the byte cut equals for
    /// ASCII.
    static func shortName(_ name: String) -> String {
        let cut = name.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            let dot = UInt8(ascii: ".")
            var end = bytes.count
            while end > 0, bytes[end - 1] == dot { end -= 1 }
            guard end > 0 else { return name }  // "" or only dots
            var start = end - 1
            while start > 0, bytes[start - 1] != dot { start -= 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
        return (cut ?? nil) ?? name.split(separator: ".").last.map(String.init) ?? name
    }
}
