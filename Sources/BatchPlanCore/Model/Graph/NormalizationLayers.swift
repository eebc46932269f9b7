/// `torch.nn.BatchNorm2d` (affine): saves its input.
///
/// Autograd also keeps the batch mean and inverse standard deviation (and the running statistics), `2 × C` fp32
/// values per batch, not per sample: they do not grow with the batch and are left out of per-sample bytes.
public struct BatchNorm2d: Layer, Hashable {
    public init() {}

    public var typeName: String { "BatchNorm2d" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let (c, h, w) = try ShapeCheck.image(inputs, typeName)
        let elements = try CheckedSize.product([c, h, w])
        return LayerEvaluation(
            outputShape: [c, h, w], parameters: 2 * c, flops: try CheckedSize.multiply(elements, 4), saves: [.input(0)])
    }
}

/// `torch.nn.LayerNorm` over the last dimension (affine): saves its input and, per normalized row, the mean and
/// reciprocal standard deviation, all in fp32 (autocast runs layer norm in fp32, so under mixed precision the saved
/// input is an fp32 copy or an fp32 residual stream; measured on an H100 with ViT-B/16 and ConvNeXt-T).
public struct LayerNorm: Layer, Hashable {
    public init() {}

    public var typeName: String { "LayerNorm" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        guard let features = shape.last else { throw LayerShapeError("LayerNorm needs at least one dimension") }
        let rows = try CheckedSize.product(Array(shape.dropLast()))
        let elements = try CheckedSize.product(shape)
        return LayerEvaluation(
            outputShape: shape, parameters: 2 * features, flops: try CheckedSize.multiply(elements, 5),
            saves: [.inputInFP32(0), .fresh(elements: 2 * rows, storage: .fp32)])
    }
}

/// torchvision's `LayerNorm2d` (ConvNeXt): a layer norm over the channels of a `[C, H, W]` input, computed as
/// permute → `layer_norm` → permute. Saves its input (in fp32, as `LayerNorm`) and `2 × H × W` fp32 statistics.
public struct LayerNorm2d: Layer, Hashable {
    public init() {}

    public var typeName: String { "LayerNorm2d" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let (c, h, w) = try ShapeCheck.image(inputs, typeName)
        let positions = try CheckedSize.multiply(h, w)
        let elements = try CheckedSize.multiply(positions, c)
        return LayerEvaluation(
            outputShape: [c, h, w], parameters: 2 * c, flops: try CheckedSize.multiply(elements, 5),
            saves: [.inputInFP32(0), .fresh(elements: 2 * positions, storage: .fp32)])
    }
}

/// `torch.nn.GroupNorm` (affine) on `[C, H, W]`: saves its input and a mean and reciprocal standard deviation per
/// group, all in fp32 (autocast runs group norm in fp32).
public struct GroupNorm: Layer, Hashable {
    public var groups: Int

    public init(groups: Int) { self.groups = groups }

    public var typeName: String { "GroupNorm" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let (c, h, w) = try ShapeCheck.image(inputs, typeName)
        try Positive.check(groups, "num_groups")
        guard c % groups == 0 else { throw LayerShapeError("num_groups \(groups) must divide the \(c) channels") }
        let elements = try CheckedSize.product([c, h, w])
        return LayerEvaluation(
            outputShape: [c, h, w], parameters: 2 * c, flops: try CheckedSize.multiply(elements, 5),
            saves: [.inputInFP32(0), .fresh(elements: 2 * groups, storage: .fp32)])
    }
}

extension BatchNorm2d: SpecDecodableLayer {
    public static let specTypes = ["batchnorm2d"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) { self.init() }
}

extension LayerNorm: SpecDecodableLayer {
    public static let specTypes = ["layernorm"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) { self.init() }
}

extension LayerNorm2d: SpecDecodableLayer {
    public static let specTypes = ["layernorm2d"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) { self.init() }
}

extension GroupNorm: SpecDecodableLayer {
    public static let specTypes = ["groupnorm"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        self.init(groups: try fields.int("num_groups"))
    }
}
