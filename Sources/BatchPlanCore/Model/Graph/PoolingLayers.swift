/// `torch.nn.MaxPool2d`: saves its input and the argmax indices as int64 (one per output element).
public struct MaxPool2d: Layer, Hashable {
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var ceilMode: Bool

    /// `stride` defaults to `kernel`, as in PyTorch.
    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.ceilMode = ceilMode
    }

    public var typeName: String { "MaxPool2d" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let (c, h, w) = try ShapeCheck.image(inputs, typeName)
        let shape = try PoolWindow.output(c, h, w, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode, type: typeName)
        let elements = try CheckedSize.product(shape)
        return LayerEvaluation(
            outputShape: shape, flops: try CheckedSize.multiply(elements, kernel * kernel),
            saves: [.input(0), .fresh(elements: elements, storage: .int64)])
    }
}

/// `torch.nn.AvgPool2d`: saves its input (backward reads its shape and options through it).
public struct AvgPool2d: Layer, Hashable {
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var ceilMode: Bool

    /// `stride` defaults to `kernel`, as in PyTorch.
    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.ceilMode = ceilMode
    }

    public var typeName: String { "AvgPool2d" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let (c, h, w) = try ShapeCheck.image(inputs, typeName)
        let shape = try PoolWindow.output(c, h, w, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode, type: typeName)
        let elements = try CheckedSize.product(shape)
        return LayerEvaluation(
            outputShape: shape, flops: try CheckedSize.multiply(elements, kernel * kernel), saves: [.input(0)])
    }
}

/// `torch.nn.AdaptiveAvgPool2d`: to 1×1 PyTorch computes a `mean`, which saves nothing; to any other size it
/// saves its input.
public struct AdaptiveAvgPool2d: Layer, Hashable {
    public var height: Int
    public var width: Int

    public init(_ height: Int = 1, _ width: Int? = nil) {
        self.height = height
        self.width = width ?? height
    }

    public var typeName: String { "AdaptiveAvgPool2d" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let (c, h, w) = try ShapeCheck.image(inputs, typeName)
        try Positive.check(height, "output height")
        try Positive.check(width, "output width")
        let inputElements = try CheckedSize.product([c, h, w])
        return LayerEvaluation(
            outputShape: [c, height, width], flops: inputElements,
            saves: height == 1 && width == 1 ? [] : [.input(0)])
    }
}

enum PoolWindow {
    static func output(
        _ c: Int, _ h: Int, _ w: Int, kernel: Int, stride: Int, padding: Int, ceilMode: Bool, type: String
    ) throws(LayerShapeError) -> [Int] {
        try Positive.check(kernel, "kernel")
        try Positive.check(stride, "stride")
        try Positive.check(padding, "padding", allowZero: true)
        guard padding * 2 <= kernel else {
            throw LayerShapeError("padding \(padding) must be at most half the kernel \(kernel)")
        }
        let outH = try ShapeCheck.window(size: h, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode, type: type)
        let outW = try ShapeCheck.window(size: w, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode, type: type)
        return [c, outH, outW]
    }
}

extension MaxPool2d: SpecDecodableLayer {
    public static let specTypes = ["maxpool2d"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        let kernel = try fields.int("kernel")
        self.init(
            kernel: kernel, stride: try fields.int("stride", default: kernel),
            padding: try fields.int("padding", default: 0), ceilMode: try fields.bool("ceil_mode", default: false))
    }
}

extension AvgPool2d: SpecDecodableLayer {
    public static let specTypes = ["avgpool2d"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        let kernel = try fields.int("kernel")
        self.init(
            kernel: kernel, stride: try fields.int("stride", default: kernel),
            padding: try fields.int("padding", default: 0), ceilMode: try fields.bool("ceil_mode", default: false))
    }
}

extension AdaptiveAvgPool2d: SpecDecodableLayer {
    public static let specTypes = ["adaptiveavgpool2d"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        let size = try fields.pair("output_size", default: (1, 1))
        self.init(size.0, size.1)
    }
}
