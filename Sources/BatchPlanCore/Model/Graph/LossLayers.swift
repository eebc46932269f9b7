/// `torch.nn.CrossEntropyLoss` over the last dimension (the logits): `log_softmax` keeps its fp32 output (fp32
/// under autocast too) and `nll_loss` keeps the int64 targets, one per row.
public struct CrossEntropyLoss: Layer, Hashable {
    public init() {}

    public var typeName: String { "CrossEntropyLoss" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        guard !shape.isEmpty else { throw LayerShapeError("CrossEntropyLoss needs logits with a class dimension") }
        let elements = try CheckedSize.product(shape)
        let rows = try CheckedSize.product(Array(shape.dropLast()))
        return LayerEvaluation(
            outputShape: [1], flops: try CheckedSize.multiply(elements, 4),
            saves: [.fresh(elements: elements, storage: .fp32), .fresh(elements: rows, storage: .int64)])
    }
}

/// `torch.nn.Softmax` over the last dimension: saves its output, in fp32 (autocast runs softmax in fp32).
public struct Softmax: Layer, Hashable {
    public init() {}

    public var typeName: String { "Softmax" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        return LayerEvaluation(
            outputShape: shape, flops: try CheckedSize.multiply(try CheckedSize.product(shape), 5), saves: [.outputInFP32])
    }
}

extension CrossEntropyLoss: SpecDecodableLayer {
    public static let specTypes = ["cross_entropy"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) { self.init() }
}

extension Softmax: SpecDecodableLayer {
    public static let specTypes = ["softmax"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) { self.init() }
}
