/// An element-wise activation function and what its backward needs, per PyTorch's `derivatives.yaml`.
public struct ActivationFunction: Hashable, Sendable {
    /// The PyTorch module class, e.g. `ReLU`.
    public var typeName: String
    /// The layer-spec `type`, e.g. `relu`.
    public var specType: String
    /// `true` when backward reads the output (ReLU, Sigmoid, Tanh); `false` when it reads the input.
    public var savesOutput: Bool
    /// FLOPs per element (a rough count of the arithmetic).
    public var flopsPerElement: Int

    public static let relu = ActivationFunction(typeName: "ReLU", specType: "relu", savesOutput: true, flopsPerElement: 1)
    /// `hardtanh(0, 6)`: backward reads the input.
    public static let relu6 = ActivationFunction(typeName: "ReLU6", specType: "relu6", savesOutput: false, flopsPerElement: 2)
    public static let gelu = ActivationFunction(typeName: "GELU", specType: "gelu", savesOutput: false, flopsPerElement: 8)
    public static let silu = ActivationFunction(typeName: "SiLU", specType: "silu", savesOutput: false, flopsPerElement: 4)
    public static let hardswish = ActivationFunction(typeName: "Hardswish", specType: "hardswish", savesOutput: false, flopsPerElement: 4)
    public static let hardsigmoid = ActivationFunction(typeName: "Hardsigmoid", specType: "hardsigmoid", savesOutput: false, flopsPerElement: 3)
    public static let sigmoid = ActivationFunction(typeName: "Sigmoid", specType: "sigmoid", savesOutput: true, flopsPerElement: 4)
    public static let tanh = ActivationFunction(typeName: "Tanh", specType: "tanh", savesOutput: true, flopsPerElement: 4)

    /// Every activation the layer-spec format knows.
    public static let all: [ActivationFunction] = [.relu, .relu6, .gelu, .silu, .hardswish, .hardsigmoid, .sigmoid, .tanh]
}

/// An element-wise activation, optionally in place.
///
/// Autograd semantics (checked against PyTorch 2.x with saved-tensor hooks): a function whose backward reads its
/// output saves the output, which in place is the input's storage after the op overwrote it (`relu_`). A function
/// whose backward reads its input saves the input; in place, autograd first clones the input it is about to
/// overwrite (`hardswish_`, `silu_`, `hardtanh_` keep a fresh copy), so in-place saves no memory there.
public struct Activation: Layer, Hashable {
    public var function: ActivationFunction
    public var inplace: Bool

    public init(_ function: ActivationFunction, inplace: Bool = false) {
        self.function = function
        self.inplace = inplace
    }

    public static func relu(inplace: Bool = false) -> Activation { Activation(.relu, inplace: inplace) }

    public var typeName: String { function.typeName }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        let elements = try CheckedSize.product(shape)
        let saved: SavedReference =
            function.savesOutput ? .output : inplace ? .fresh(elements: elements, storage: .activation) : .input(0)
        return LayerEvaluation(
            outputShape: shape, flops: try CheckedSize.multiply(elements, function.flopsPerElement),
            output: inplace ? .aliasOfInput(0) : .fresh, saves: [saved])
    }
}

extension Activation: SpecDecodableLayer {
    public static var specTypes: [String] { ActivationFunction.all.map(\.specType) }

    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        let function = ActivationFunction.all.first { $0.specType == specType } ?? .relu
        self.init(function, inplace: try fields.bool("inplace", default: false))
    }
}
