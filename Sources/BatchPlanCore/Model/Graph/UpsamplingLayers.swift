/// `torch.nn.ConvTranspose2d` (the U-Net decoder's up-convolution): saves its input, like `Conv2d`.
///
/// Output size per axis: `(in − 1) × stride − 2 × padding + dilation × (kernel − 1) + output_padding + 1`.
public struct ConvTranspose2d: Layer, Hashable {
    public var outChannels: Int
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var outputPadding: Int
    public var dilation: Int
    public var groups: Int
    public var bias: Bool

    public init(
        _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0, dilation: Int = 1,
        groups: Int = 1, bias: Bool = true
    ) {
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        self.groups = groups
        self.bias = bias
    }

    public var typeName: String { "ConvTranspose2d" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let (c, h, w) = try ShapeCheck.image(inputs, typeName)
        for (value, what) in [(outChannels, "out_channels"), (kernel, "kernel"), (stride, "stride"), (dilation, "dilation"), (groups, "groups")] {
            try Positive.check(value, what)
        }
        try Positive.check(padding, "padding", allowZero: true)
        try Positive.check(outputPadding, "output_padding", allowZero: true)
        guard outputPadding < max(stride, dilation) else {
            throw LayerShapeError("output_padding \(outputPadding) must be smaller than stride or dilation")
        }
        guard c % groups == 0, outChannels % groups == 0 else {
            throw LayerShapeError("groups \(groups) must divide both in_channels \(c) and out_channels \(outChannels)")
        }
        func size(_ input: Int) throws(LayerShapeError) -> Int {
            let grown = try CheckedSize.multiply(input - 1, stride)
            return grown - 2 * padding + dilation * (kernel - 1) + outputPadding + 1
        }
        let shape = [outChannels, try size(h), try size(w)]
        let perInput = try CheckedSize.product([outChannels / groups, kernel, kernel])
        let parameters = try CheckedSize.multiply(c, perInput) + (bias ? outChannels : 0)
        let flops = try CheckedSize.multiply(try CheckedSize.product([c, h, w]), 2 * perInput)
        return LayerEvaluation(outputShape: shape, parameters: parameters, flops: flops, saves: [.input(0)])
    }
}

/// `torch.nn.Upsample` by an integer factor (`nearest` or `bilinear`): backward needs only the sizes, so it saves
/// nothing.
public struct Upsample: Layer, Hashable {
    public var scale: Int
    public var mode: String

    public init(scale: Int, mode: String = "nearest") {
        self.scale = scale
        self.mode = mode
    }

    public var typeName: String { "Upsample" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let (c, h, w) = try ShapeCheck.image(inputs, typeName)
        try Positive.check(scale, "scale_factor")
        guard ["nearest", "bilinear"].contains(mode) else {
            throw LayerShapeError("mode \"\(mode)\" is not nearest or bilinear")
        }
        let shape = [c, try CheckedSize.multiply(h, scale), try CheckedSize.multiply(w, scale)]
        let elements = try CheckedSize.product(shape)
        return LayerEvaluation(outputShape: shape, flops: mode == "nearest" ? 0 : try CheckedSize.multiply(elements, 8))
    }
}

extension ConvTranspose2d: SpecDecodableLayer {
    public static let specTypes = ["convtranspose2d"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        self.init(
            try fields.int("out_channels"), kernel: try fields.int("kernel"), stride: try fields.int("stride", default: 1),
            padding: try fields.int("padding", default: 0), outputPadding: try fields.int("output_padding", default: 0),
            dilation: try fields.int("dilation", default: 1), groups: try fields.int("groups", default: 1),
            bias: try fields.bool("bias", default: true))
    }
}

extension Upsample: SpecDecodableLayer {
    public static let specTypes = ["upsample"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        self.init(scale: try fields.int("scale_factor"), mode: try fields.string("mode", default: "nearest"))
    }
}
