extension ModelProfile {
    /// Drops the saved inputs of frozen linear layers that nothing keeps under LoRA/QLoRA, in place.
    ///
    /// The accounting describes full training, where every linear keeps its input for its weight gradient (a
    /// shared input is counted once, at the first linear that reads it; the others that read it next show nothing
    /// saved). With a frozen weight that reason goes: `aten::mm` saves its input only when the weight requires grad,
    /// so a frozen `nn.Linear` keeps nothing. The input stays saved when
    /// - an adapter without dropout reads it (`lora_A` saves its input `x`), or
    /// - the layer is NF4 under QLoRA: bitsandbytes' `MatMul4Bit.forward` keeps `ctx.tensors = (A, B)` whenever any
    ///   input needs a gradient, so every quantized linear keeps its input (bitsandbytes `autograd/_functions.py`).
    ///
    /// - Parameters:
    ///   - saved: per-layer saved tensors, edited in place.
    ///   - trainable: adapter parameters per layer (> 0: the layer has an adapter).
    static func dropFrozenLinearInputs(
        _ saved: inout [SampleSize], layers: [LayerFacts], trainable: [Int], mode: TrainingMode, loraDropout: Bool
    ) {
        guard mode == .lora || mode == .qlora else { return }
        let count = layers.count
        var index = 0
        while index < count {
            guard let shape = layers[index].linearShape, saved[index] != SampleSize() else {
                index += 1
                continue
            }
            // The group reading the same input: this linear and the next ones of the same width that save nothing.
            var end = index + 1
            while end < count, let next = layers[end].linearShape, next.inFeatures == shape.inFeatures,
                SampleSize(layers[end].saved) == SampleSize()
            {
                end += 1
            }
            let group = index..<end
            let quantizedKeeps = mode == .qlora && group.contains { layers[$0].role != .head }
            let adapterKeeps = !loraDropout && group.contains { trainable[$0] > 0 }
            if !quantizedKeeps && !adapterKeeps { saved[index] = SampleSize() }
            index = end
        }
    }
}
