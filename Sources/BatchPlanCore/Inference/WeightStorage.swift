/// Bytes of a model's weights as a serving runtime holds them: quantized linear layers plus everything else in the
/// compute dtype, per GPU under tensor parallelism.
public struct WeightStorage: Hashable, Codable, Sendable {
    /// Bytes per GPU of the weights.
    public var bytes: Int
    /// Parameters stored in the quantized format (the linear layers of the body).
    public var quantizedParameters: Int
    /// Parameters kept in the compute dtype (embeddings, norms, LM head, convolutions, biases).
    public var otherParameters: Int

    /// The default GPTQ/AWQ group size (AutoGPTQ `BaseQuantizeConfig.group_size`, AutoAWQ `q_group_size`).
    public static let defaultGroupSize = 128

    /// Weights of `model` stored as `format`, computing in `dtype`, split over `tensorParallel` GPUs.
    ///
    /// Tensor parallelism splits every linear layer and the (vocabulary-parallel) embedding and LM head N ways, as
    /// vLLM's `ColumnParallelLinear`/`RowParallelLinear`/`VocabParallelEmbedding` do; norms are replicated.
    /// - Parameter groupSize: input rows per int4 group; `nil` is one group per column (GPTQ `group_size=-1`).
    public static func of(
        _ model: ModelAccounting, format: WeightFormat, dtype: ComputeDType, groupSize: Int? = defaultGroupSize,
        tensorParallel: Int = 1
    ) -> WeightStorage {
        let n = Double(max(1, tensorParallel))
        var split = 0.0
        var replicated = 0.0
        var quantized = 0
        var other = 0
        let dtypeBytes = Double(format.fixedBytes ?? dtype.bytes)
        for layer in model.layers where layer.parameters > 0 {
            guard format.quantizes, layer.role == .body, let shape = layer.linearShape else {
                let bytes = Double(layer.parameters) * dtypeBytes
                if layer.linearShape != nil || layer.role == .embedding || layer.role == .head {
                    split += bytes
                } else {
                    replicated += bytes
                }
                other += layer.parameters
                continue
            }
            let matrix = shape.inFeatures * shape.outFeatures
            let matrices = max(1, layer.parameters / max(1, matrix))
            let bias = max(0, layer.parameters - matrices * matrix)
            split += Double(matrices) * format.matrixBytes(shape, groupSize: groupSize) + Double(bias) * Double(dtype.bytes)
            quantized += matrices * matrix
            other += bias
        }
        return WeightStorage(
            bytes: Int((split / n + replicated).rounded(.up)), quantizedParameters: quantized, otherParameters: other)
    }
}

extension WeightFormat {
    /// Whether the format quantizes the linear layers (else every weight uses one dtype).
    var quantizes: Bool {
        switch self {
        case .native, .fp32, .fp16, .bf16: false
        case .fp8, .int8, .int4, .nf4, .nf4DoubleQuant: true
        }
    }

    /// Bytes per weight when the format fixes one dtype for every weight.
    var fixedBytes: Int? {
        switch self {
        case .fp32: 4
        case .fp16, .bf16: 2
        default: nil
        }
    }

    /// Bytes of one `inFeatures × outFeatures` weight matrix in this format, quantization constants included.
    ///
    /// Sources: AutoGPTQ/AutoAWQ `QuantLinear` buffers (`qweight` int32 [in/8, out], `qzeros` int32
    /// [in/group, out/8], `scales` fp16 [in/group, out], GPTQ `g_idx` int32 [in]); bitsandbytes `Int8Params.SCB`
    /// (fp32 per output row) and `Params4bit` (NF4: an fp32 absmax per 64 weights, or `NF4.bytesPerParameter` when
    /// double-quantized); vLLM `Fp8LinearMethod` (fp8 weight and
    /// one fp32 `weight_scale`).
    func matrixBytes(_ shape: LayerAccount.LinearShape, groupSize: Int?) -> Double {
        let rows = Double(shape.inFeatures)
        let columns = Double(shape.outFeatures)
        switch self {
        case .native, .fp32, .fp16, .bf16:
            return rows * columns * Double(fixedBytes ?? 2)
        case .fp8:
            return rows * columns + 4
        case .int8:
            return rows * columns + columns * 4
        case .nf4:
            return rows * columns * (0.5 + 4.0 / 64.0)
        case .nf4DoubleQuant:
            return rows * columns * NF4.bytesPerParameter
        case .int4:
            let group = groupSize.map { max(1, min($0, shape.inFeatures)) } ?? shape.inFeatures
            let groups = Double((shape.inFeatures + group - 1) / group)
            return rows * columns / 2 + groups * columns * (2 + 0.5) + rows * 4
        }
    }
}
