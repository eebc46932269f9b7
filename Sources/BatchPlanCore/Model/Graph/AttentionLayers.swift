/// The core of multi-head self-attention: from packed q, k, v (`[S, 3E]`, the in-projection's output) to the
/// per-head weighted values (`[S, E]`), before the output projection.
///
/// What autograd keeps depends on the implementation (checked against `nn.MultiheadAttention` in PyTorch 2.x):
/// - `sdpa` (flash / memory-efficient kernels): q, k, v (the packed input), the output and the log-sum-exp
///   statistics, `heads × S` fp32 values: O(S).
/// - `eager`: k and v (the packed input), the scaled q copy, the S×S softmax probabilities of every head (fp32:
///   softmax runs in fp32 under autocast) and, when attention dropout is on, its one-byte mask and the dropped
///   probabilities: O(S²).
public struct AttentionCore: Layer, Hashable {
    public var heads: Int
    public var implementation: AttentionImplementation
    public var dropout: Double

    public init(heads: Int, implementation: AttentionImplementation, dropout: Double = 0) {
        self.heads = heads
        self.implementation = implementation
        self.dropout = dropout
    }

    public var typeName: String { "Attention" }

    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        try Positive.check(heads, "heads")
        guard shape.count == 2, shape[1] % 3 == 0 else {
            throw LayerShapeError("Attention expects packed q, k, v as tokens×(3·embedding), got \(ShapeCheck.describe(shape))")
        }
        guard dropout >= 0, dropout < 1 else { throw LayerShapeError("dropout must be in [0, 1), got \(dropout)") }
        let (tokens, embedding) = (shape[0], shape[1] / 3)
        guard embedding % heads == 0 else {
            throw LayerShapeError("embedding \(embedding) is not divisible by \(heads) heads")
        }
        let scores = try CheckedSize.product([heads, tokens, tokens])
        let matmulFlops = try CheckedSize.product([4, tokens, tokens, embedding])
        let flops = try CheckedSize.sum([matmulFlops, try CheckedSize.multiply(scores, 5)])
        let output = [tokens, embedding]
        switch implementation {
        case .sdpa:
            return LayerEvaluation(
                outputShape: output, flops: flops,
                saves: [.input(0), .output, .fresh(elements: heads * tokens, storage: .fp32)])
        case .eager:
            var saves: [SavedReference] = [
                .input(0), .fresh(elements: tokens * embedding, storage: .activation),
                .fresh(elements: scores, storage: .fp32),
            ]
            if dropout > 0 {
                saves += [.fresh(elements: scores, storage: .bool), .fresh(elements: scores, storage: .activation)]
            }
            return LayerEvaluation(outputShape: output, flops: flops, saves: saves)
        }
    }
}

/// A ViT's patch grid as a token sequence: `[E, H, W]` → `[H·W, E]` (reshape and permute, a view).
public struct PatchTokens: Layer, Hashable {
    public init() {}
    public var typeName: String { "PatchTokens" }
    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let (c, h, w) = try ShapeCheck.image(inputs, typeName)
        return LayerEvaluation(outputShape: [try CheckedSize.multiply(h, w), c], output: .aliasOfInput(0))
    }
}

/// A learned class token prepended to the sequence (`torch.cat`): owns `E` parameters; saves nothing.
public struct ClassToken: Layer, Hashable {
    public init() {}
    public var typeName: String { "ClassToken" }
    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        guard shape.count == 2 else { throw LayerShapeError("ClassToken expects tokens×features, got \(ShapeCheck.describe(shape))") }
        return LayerEvaluation(outputShape: [shape[0] + 1, shape[1]], parameters: shape[1])
    }
}

/// Learned position embeddings added to the sequence: owns `S × E` parameters (so they scale with the image size,
/// as torchvision's `image_size` argument does); saves nothing.
public struct PositionEmbedding: Layer, Hashable {
    public init() {}
    public var typeName: String { "PositionEmbedding" }
    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        guard shape.count == 2 else { throw LayerShapeError("PositionEmbedding expects tokens×features, got \(ShapeCheck.describe(shape))") }
        let elements = try CheckedSize.product(shape)
        return LayerEvaluation(outputShape: shape, parameters: elements, flops: elements)
    }
}

/// `x[:, index]`: one token of a sequence (a view; the whole sequence's storage stays alive if saved).
public struct TokenSelect: Layer, Hashable {
    public var index: Int
    public init(index: Int = 0) { self.index = index }
    public var typeName: String { "TokenSelect" }
    public func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation {
        let shape = try ShapeCheck.single(inputs, typeName)
        guard shape.count == 2, index >= 0, index < shape[0] else {
            throw LayerShapeError("cannot take token \(index) of \(ShapeCheck.describe(shape))")
        }
        return LayerEvaluation(outputShape: [shape[1]], output: .aliasOfInput(0))
    }
}

extension AttentionCore: SpecDecodableLayer {
    public static let specTypes = ["attention"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        let text = try fields.string("implementation", default: AttentionImplementation.sdpa.rawValue)
        guard let implementation = AttentionImplementation(rawValue: text) else {
            throw fields.problem("implementation \"\(text)\" is not one of \(AttentionImplementation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.init(heads: try fields.int("heads"), implementation: implementation, dropout: try fields.double("dropout", default: 0))
    }
}

extension PatchTokens: SpecDecodableLayer {
    public static let specTypes = ["patch_tokens"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) { self.init() }
}

extension ClassToken: SpecDecodableLayer {
    public static let specTypes = ["class_token"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) { self.init() }
}

extension PositionEmbedding: SpecDecodableLayer {
    public static let specTypes = ["position_embedding"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) { self.init() }
}

extension TokenSelect: SpecDecodableLayer {
    public static let specTypes = ["token_select"]
    public init(specType: String, fields: inout LayerSpecFields) throws(CoreError) {
        self.init(index: try fields.int("index", default: 0))
    }
}
