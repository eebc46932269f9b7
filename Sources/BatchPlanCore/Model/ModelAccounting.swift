/// The size of one training sample as a model sees it.
public enum InputSize: Hashable, Codable, Sendable, CustomStringConvertible {
    /// An image of `channels × height × width` (CNNs, ViTs).
    case image(channels: Int, height: Int, width: Int)
    /// A token sequence of `length` (transformers).
    case sequence(length: Int)
    /// Any other tensor shape per sample, e.g. `180x50x1` for a raw-count model.
    case tensor([Int])

    public var description: String {
        switch self {
        case let .image(c, h, w): "\(c)x\(h)x\(w)"
        case let .sequence(length): "seq \(length)"
        case let .tensor(dims): dims.map(String.init).joined(separator: "x")
        }
    }

    /// Values in one input sample (tokens count as one value each).
    public var elements: Int {
        switch self {
        case let .image(c, h, w): c * h * w
        case let .sequence(length): length
        case let .tensor(dims): dims.reduce(1, *)
        }
    }
}

/// Tensors one layer keeps for backward, per sample, counted in elements by storage class.
///
/// Counted once: a tensor another layer already saved (the same storage) is not counted again.
/// Parameters that autograd saves (a linear's weight) are weights, not activations, and are not counted here.
public struct SavedTensors: Hashable, Codable, Sendable {
    /// Elements stored in the compute dtype (fp32 under fp32/tf32; fp16/bf16 under AMP or pure half).
    public var activation: Int
    /// Elements kept in fp32 whatever the compute dtype (normalization statistics, softmax under autocast, the loss).
    public var fp32: Int
    /// Elements stored as int64 (max-pool indices, token ids, flash-attention RNG state).
    public var int64: Int
    /// Elements stored as one-byte booleans (dropout masks, ReLU masks where only the mask is kept).
    public var bool: Int

    public init(activation: Int = 0, fp32: Int = 0, int64: Int = 0, bool: Int = 0) {
        self.activation = activation
        self.fp32 = fp32
        self.int64 = int64
        self.bool = bool
    }

    public static let none = SavedTensors()

    /// Bytes when activations are stored with `activationBytes` bytes each (4 for fp32, 2 under AMP).
    public func bytes(activationBytes: Int) -> Int {
        activation * activationBytes + fp32 * 4 + int64 * 8 + bool
    }

    public static func + (lhs: SavedTensors, rhs: SavedTensors) -> SavedTensors {
        SavedTensors(
            activation: lhs.activation + rhs.activation, fp32: lhs.fp32 + rhs.fp32,
            int64: lhs.int64 + rhs.int64, bool: lhs.bool + rhs.bool)
    }

    public static func * (lhs: SavedTensors, factor: Int) -> SavedTensors {
        SavedTensors(
            activation: lhs.activation * factor, fp32: lhs.fp32 * factor,
            int64: lhs.int64 * factor, bool: lhs.bool * factor)
    }
}

/// What a layer is for, as the planner needs to know it (checkpointing, frozen training, LoRA, ZeRO-3).
public enum LayerRole: String, Codable, Sendable {
    /// Token/patch/position embeddings.
    case embedding
    /// Attention internals recomputed by selective checkpointing (scores, probabilities, their dropout).
    case attentionCore = "attention-core"
    /// Any other layer of the body.
    case body
    /// The task head: trains in `frozen` mode.
    case head
    /// The loss.
    case loss
}

/// One layer's accounting: parameters, output shape, bytes saved for backward and FLOPs, all per sample.
public struct LayerAccount: Hashable, Codable, Sendable {
    /// Module path as PyTorch names it, e.g. `features.0`, `layer3.1.conv2`, `model.layers.5.self_attn.q_proj`.
    public var name: String
    /// Layer type, e.g. `Conv2d`, `Linear`, `ReLU`, `LayerNorm`, `Attention`, `CrossEntropyLoss`.
    public var type: String
    /// Parameters this layer owns (a tied weight is counted at its first owner only).
    public var parameters: Int
    /// Output shape per sample (without the batch dimension).
    public var outputShape: [Int]
    /// Tensors this layer keeps for backward, per sample.
    public var saved: SavedTensors
    /// Forward FLOPs per sample (a multiply-add counts as 2).
    public var flops: Int
    /// The checkpointable block this layer belongs to (`layer3.1`, `model.layers.5`), if any.
    public var block: String?
    public var role: LayerRole
    /// For linear layers: `(inFeatures, outFeatures)`, which LoRA adapters and ZeRO-3 gathers use.
    public var linearShape: LinearShape?

    public struct LinearShape: Hashable, Codable, Sendable {
        public var inFeatures: Int
        public var outFeatures: Int
        public init(inFeatures: Int, outFeatures: Int) {
            self.inFeatures = inFeatures
            self.outFeatures = outFeatures
        }
    }

    public init(
        name: String, type: String, parameters: Int = 0, outputShape: [Int], saved: SavedTensors = .none,
        flops: Int = 0, block: String? = nil, role: LayerRole = .body, linearShape: LinearShape? = nil
    ) {
        self.name = name
        self.type = type
        self.parameters = parameters
        self.outputShape = outputShape
        self.saved = saved
        self.flops = flops
        self.block = block
        self.role = role
        self.linearShape = linearShape
    }

    /// Elements in this layer's output per sample.
    public var outputElements: Int { outputShape.reduce(1, *) }

    /// Bytes saved for backward per sample at fp32.
    public var savedBytesPerSample: Int { saved.bytes(activationBytes: 4) }
}

/// A model accounted at one input size: the two numbers training memory starts from (parameters, and activation
/// bytes kept for backward per sample) and the per-layer detail behind them.
public struct ModelAccounting: Hashable, Codable, Sendable {
    public var name: String
    public var family: ModelFamily
    public var input: InputSize
    public var task: TrainingTask
    public var attention: AttentionImplementation
    public var layers: [LayerAccount]
    /// Width of the logits the loss reads (classes, or vocabulary size for language models).
    public var outputClasses: Int
    /// Longest sequence the model's position embeddings allow, if it has a limit.
    public var maxPositions: Int?
    /// Bytes of one input sample and its label as the data loader hands them over (e.g. fp32 image + int64 label).
    public var inputBytesPerSample: Int
    /// Statements about how the model was accounted (e.g. "MoE activations through top-2 of 8 experts").
    public var notes: [String]

    public init(
        name: String, family: ModelFamily, input: InputSize, task: TrainingTask,
        attention: AttentionImplementation = .sdpa, layers: [LayerAccount], outputClasses: Int,
        maxPositions: Int? = nil, inputBytesPerSample: Int, notes: [String] = []
    ) {
        self.name = name
        self.family = family
        self.input = input
        self.task = task
        self.attention = attention
        self.layers = layers
        self.outputClasses = outputClasses
        self.maxPositions = maxPositions
        self.inputBytesPerSample = inputBytesPerSample
        self.notes = notes
    }

    /// Total parameters; equals PyTorch's `sum(p.numel() for p in model.parameters())`.
    public var parameters: Int { layers.reduce(0) { $0 + $1.parameters } }

    /// Everything saved for backward per sample, by storage class.
    public var saved: SavedTensors { layers.reduce(.none) { $0 + $1.saved } }

    /// Bytes saved for backward per sample at fp32, loss included.
    public var activationBytesPerSample: Int { saved.bytes(activationBytes: 4) }

    /// Forward FLOPs per sample.
    public var flopsPerSample: Int { layers.reduce(0) { $0 + $1.flops } }

    /// Parameters of the layers with `role == .head` (what trains in `frozen` mode).
    public var headParameters: Int { layers.filter { $0.role == .head }.reduce(0) { $0 + $1.parameters } }

    /// Parameters of the largest single layer (ZeRO-3 gathers one layer at a time).
    public var largestLayerParameters: Int { layers.map(\.parameters).max() ?? 0 }
}
