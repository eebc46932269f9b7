/// `torch.nn.Conv2d`: saves its input for the weight gradient (the weight itself is a parameter, not counted).
public struct Conv2d: Layer, Hashable {
    public var outChannels: Int
    /// Kernel size `(height, width)`.
    public var kernel: (Int, Int)
    public var stride: (Int, Int)
    public var padding: (Int, Int)
    public var dilation: (Int, Int)
    public var groups: Int
    public var bias: Bool
    /// The input channels the layer was built for, if given: another count is an error.
    public var inChannels: Int?

    public init(
        _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1,
        bias: Bool = true
    ) {
        self.init(
            outChannels, kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding),
            dilation: (dilation, dilation), groups: groups, bias: bias)
    }

    public init(
        _ outChannels: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int),
        groups: Int, bias: Bool
    ) {
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.bias = bias
    }

    public static func == (a: Conv2d, b: Conv2d) -> Bool {
        a.outChannels == b.outChannels && a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding
            && a.dilation == b.dilation && a.groups == b.groups && a.bias == b.bias && a.inChannels == b.inChannels
    }

    public func hash(into hasher: inout Hasher) {
        for value in [outChannels, kernel.0, kernel.1, stride.0, stride.1, padding.0, padding.1, dilation.0, dilation.1, groups] {
            hasher.combine(value)
        }
        hasher.combine(bias)
        hasher.combine(inChannels)
    }

    public var typeName: String { "Conv2d" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let (c, h, w) = try ShapeCheck.image(inputs, typeName)
        try Positive.check(outChannels, "out_channels")
        for (value, what) in [(kernel.0, "kernel"), (kernel.1, "kernel"), (stride.0, "stride"), (stride.1, "stride"),
                              (dilation.0, "dilation"), (dilation.1, "dilation"), (groups, "groups")] {
            try Positive.check(value, what)
        }
        try Positive.check(padding.0, "padding", allowZero: true)
        try Positive.check(padding.1, "padding", allowZero: true)
        if let expected = inChannels, expected != c {
            throw LayerShapeError("expects \(expected) input channels, got \(c) from an input of shape \(ShapeCheck.describe([c, h, w]))")
        }
        guard c % groups == 0, outChannels % groups == 0 else {
            throw LayerShapeError("groups \(groups) must divide both in_channels \(c) and out_channels \(outChannels)")
        }
        let outH = try ShapeCheck.window(
            size: h, kernel: kernel.0, stride: stride.0, padding: padding.0, dilation: dilation.0, type: typeName)
        let outW = try ShapeCheck.window(
            size: w, kernel: kernel.1, stride: stride.1, padding: padding.1, dilation: dilation.1, type: typeName)
        let perOutput = try CheckedSize.product([c / groups, kernel.0, kernel.1])
        let weights = try CheckedSize.multiply(outChannels, perOutput)
        let parameters = weights + (bias ? outChannels : 0)
        let outputElements = try CheckedSize.product([outChannels, outH, outW])
        let flops = try CheckedSize.multiply(outputElements, 2 * perOutput + (bias ? 1 : 0))
        return LayerEvaluation(
            outputShape: [outChannels, outH, outW], parameters: parameters, flops: flops, saves: [.input(0)])
    }
}

/// `torch.nn.Linear` on the last dimension: saves its input (a view of it for contiguous inputs).
///
/// When the input is a transposed view (as `nn.MultiheadAttention` hands its batch-first input to `in_proj`),
/// `matmul` folds it with a copy and that copy is what autograd keeps: `copiesInput` models it. `savesOutput` is set
/// for the q/k/v projection whose output the attention kernel keeps, so that the attention core holds only what
/// selective checkpointing drops.
public struct Linear: Layer, Hashable {
    public var outFeatures: Int
    public var bias: Bool
    public var copiesInput: Bool
    public var savesOutput: Bool
    /// The input width the layer was built for, if fixed (as `nn.Linear(in_features, …)` is): another width is an
    /// error instead of a silently different model.
    public var inFeatures: Int?

    public init(
        _ outFeatures: Int, inFeatures: Int? = nil, bias: Bool = true, copiesInput: Bool = false, savesOutput: Bool = false
    ) {
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.bias = bias
        self.copiesInput = copiesInput
        self.savesOutput = savesOutput
    }

    public var typeName: String { "Linear" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        try Positive.check(outFeatures, "out_features")
        guard let inFeatures = shape.last else { throw LayerShapeError("Linear needs an input with at least one dimension") }
        if let expected = self.inFeatures, expected != inFeatures {
            throw LayerShapeError("expects \(expected) input features, got \(inFeatures) from an input of shape \(ShapeCheck.describe(shape))")
        }
        let rows = try CheckedSize.product(Array(shape.dropLast()))
        let parameters = try CheckedSize.multiply(inFeatures, outFeatures) + (bias ? outFeatures : 0)
        let flops = try CheckedSize.multiply(try CheckedSize.multiply(rows, outFeatures), 2 * inFeatures + (bias ? 1 : 0))
        var saves: [SavedReference] = [copiesInput ? .fresh(elements: try CheckedSize.product(shape), storage: .activation) : .input(0)]
        if savesOutput { saves.append(.output) }
        return LayerEvaluation(
            outputShape: Array(shape.dropLast()) + [outFeatures], parameters: parameters, flops: flops, saves: saves)
    }
}

extension Conv2d: SpecDecodableLayer {
    public static let specTypes = ["conv2d"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        self.init(
            try fields.int("out_channels"), kernel: try fields.pair("kernel"),
            stride: try fields.pair("stride", default: (1, 1)), padding: try fields.pair("padding", default: (0, 0)),
            dilation: try fields.pair("dilation", default: (1, 1)), groups: try fields.int("groups", default: 1),
            bias: try fields.bool("bias", default: true))
        let inChannels = try fields.int("in_channels", default: 0)
        self.inChannels = inChannels == 0 ? nil : inChannels
    }
}

extension Linear: SpecDecodableLayer {
    public static let specTypes = ["linear"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        let inFeatures = try fields.int("in_features", default: 0)
        self.init(
            try fields.int("out_features"), inFeatures: inFeatures == 0 ? nil : inFeatures,
            bias: try fields.bool("bias", default: true))
    }
}
