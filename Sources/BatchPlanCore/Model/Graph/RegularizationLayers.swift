/// `torch.nn.Dropout` in training.
///
/// With `p == 0` PyTorch returns the input itself (nothing saved). Otherwise, on CUDA, out of place, the fused
/// `native_dropout` keeps a one-byte mask per element; in place (`inplace=True`) it multiplies by a noise tensor in
/// the input's dtype and keeps that. (On CPU the out-of-place path also keeps dtype-sized noise; batchplan models the
/// GPU.)
public struct Dropout: Layer, Hashable {
    public var probability: Double
    public var inplace: Bool

    public init(_ probability: Double = 0.5, inplace: Bool = false) {
        self.probability = probability
        self.inplace = inplace
    }

    public var typeName: String { "Dropout" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        guard probability >= 0, probability < 1 else {
            throw LayerShapeError("probability must be in [0, 1), got \(probability)")
        }
        if probability == 0 { return LayerEvaluation(outputShape: shape, output: .aliasOfInput(0)) }
        let elements = try CheckedSize.product(shape)
        if inplace {
            return LayerEvaluation(
                outputShape: shape, flops: elements, output: .aliasOfInput(0),
                saves: [.fresh(elements: elements, storage: .activation)])
        }
        return LayerEvaluation(outputShape: shape, flops: elements, saves: [.fresh(elements: elements, storage: .bool)])
    }
}

/// torchvision's `StochasticDepth` in `row` mode: multiplies each sample by a kept-or-dropped noise value and keeps
/// that noise (one element per sample); with `p == 0` it returns its input.
public struct StochasticDepth: Layer, Hashable {
    public var probability: Double

    public init(_ probability: Double) { self.probability = probability }

    public var typeName: String { "StochasticDepth" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        guard probability >= 0, probability < 1 else {
            throw LayerShapeError("probability must be in [0, 1), got \(probability)")
        }
        if probability == 0 { return LayerEvaluation(outputShape: shape, output: .aliasOfInput(0)) }
        return LayerEvaluation(
            outputShape: shape, flops: try CheckedSize.product(shape), saves: [.fresh(elements: 1, storage: .activation)])
    }
}

/// A learned per-channel scale (ConvNeXt's `layer_scale`, shape `[C, 1, 1]`, or the last dimension of a token
/// sequence): owns one parameter per channel and saves its input.
public struct LayerScale: Layer, Hashable {
    public init() {}

    public var typeName: String { "LayerScale" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        guard let channels = shape.count == 3 ? shape.first : shape.last else {
            throw LayerShapeError("LayerScale needs at least one dimension")
        }
        return LayerEvaluation(
            outputShape: shape, parameters: channels, flops: try CheckedSize.product(shape), saves: [.input(0)])
    }
}

extension Dropout: SpecDecodableLayer {
    public static let specTypes = ["dropout"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        self.init(try fields.double("p", default: 0.5), inplace: try fields.bool("inplace", default: false))
    }
}

extension StochasticDepth: SpecDecodableLayer {
    public static let specTypes = ["stochastic_depth"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        self.init(try fields.double("p"))
    }
}

extension LayerScale: SpecDecodableLayer {
    public static let specTypes = ["layer_scale"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) { self.init() }
}
