/// `torch.nn.Flatten` (from dimension 1): a view of its input; saves nothing.
public struct Flatten: Layer, Hashable {
    public init() {}
    public var typeName: String { "Flatten" }
    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        return LayerEvaluation(outputShape: [try CheckedSize.product(shape)], output: .aliasOfInput(0))
    }
}

/// torchvision's `Permute` of the per-sample dimensions (`dims` excludes the batch): a view; saves nothing.
public struct Permute: Layer, Hashable {
    public var dims: [Int]
    public init(_ dims: [Int]) { self.dims = dims }
    public var typeName: String { "Permute" }
    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        guard dims.sorted() == Array(shape.indices) else {
            throw LayerShapeError("dims \(ShapeCheck.describe(dims)) are not a permutation of the \(shape.count) dimensions of \(ShapeCheck.describe(shape))")
        }
        return LayerEvaluation(outputShape: dims.map { shape[$0] }, output: .aliasOfInput(0))
    }
}

/// Element-wise sum of two or more equal-shaped inputs (a residual connection); saves nothing.
///
/// `inplace` models `out += identity`: the output reuses the first input's storage.
public struct Add: Layer, Hashable {
    public var inplace: Bool
    public init(inplace: Bool = false) { self.inplace = inplace }
    public var typeName: String { "Add" }
    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        guard inputs.count >= 2 else { throw LayerShapeError("Add needs at least two inputs, got \(inputs.count)") }
        for shape in inputs.dropFirst() where shape != inputs[0] {
            throw LayerShapeError("cannot add \(ShapeCheck.describe(inputs[0])) and \(ShapeCheck.describe(shape)): shapes differ")
        }
        let elements = try CheckedSize.product(inputs[0])
        return LayerEvaluation(
            outputShape: inputs[0], flops: try CheckedSize.multiply(elements, inputs.count - 1),
            output: inplace ? .aliasOfInput(0) : .fresh)
    }
}

/// `torch.cat` along per-sample dimension `dimension` (0 is channels): a new tensor; saves nothing.
public struct Concat: Layer, Hashable {
    public var dimension: Int
    public init(dimension: Int = 0) { self.dimension = dimension }
    public var typeName: String { "Concat" }
    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        guard let first = inputs.first else { throw LayerShapeError("Concat needs at least one input") }
        guard first.indices.contains(dimension) else {
            throw LayerShapeError("dimension \(dimension) is outside the input \(ShapeCheck.describe(first))")
        }
        var output = first
        for shape in inputs.dropFirst() {
            var expected = first
            guard shape.count == first.count else {
                throw LayerShapeError("cannot concatenate \(ShapeCheck.describe(first)) and \(ShapeCheck.describe(shape)): ranks differ")
            }
            expected[dimension] = shape[dimension]
            guard shape == expected else {
                throw LayerShapeError("cannot concatenate \(ShapeCheck.describe(first)) and \(ShapeCheck.describe(shape)) along dimension \(dimension): other dimensions differ")
            }
            output[dimension] = try CheckedSize.sum([output[dimension], shape[dimension]])
        }
        return LayerEvaluation(outputShape: output)
    }
}

/// Element-wise product of two inputs with broadcasting (the squeeze-and-excitation scale): saves both operands.
public struct Mul: Layer, Hashable {
    public init() {}
    public var typeName: String { "Mul" }
    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        guard inputs.count == 2 else { throw LayerShapeError("Mul takes two inputs, got \(inputs.count)") }
        let (a, b) = (inputs[0], inputs[1])
        let rank = max(a.count, b.count)
        let left = Array(repeating: 1, count: rank - a.count) + a
        let right = Array(repeating: 1, count: rank - b.count) + b
        var output: [Int] = []
        for (x, y) in zip(left, right) {
            guard x == y || x == 1 || y == 1 else {
                throw LayerShapeError("cannot multiply \(ShapeCheck.describe(a)) and \(ShapeCheck.describe(b)): shapes do not broadcast")
            }
            output.append(max(x, y))
        }
        return LayerEvaluation(outputShape: output, flops: try CheckedSize.product(output), saves: [.input(0), .input(1)])
    }
}

extension Flatten: SpecDecodableLayer {
    public static let specTypes = ["flatten"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) { self.init() }
}

extension Permute: SpecDecodableLayer {
    public static let specTypes = ["permute"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        self.init(try fields.intArray("dims"))
    }
}

extension Add: SpecDecodableLayer {
    public static let specTypes = ["add"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        self.init(inplace: try fields.bool("inplace", default: false))
    }
}

extension Concat: SpecDecodableLayer {
    public static let specTypes = ["concat"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        self.init(dimension: try fields.int("dim", default: 0))
    }
}

extension Mul: SpecDecodableLayer {
    public static let specTypes = ["mul"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) { self.init() }
}
