/// One kind of layer in a `LayerGraph`: given its input shapes, says what it produces and what it keeps for backward.
///
/// Conforming types are small value structs (`Conv2d`, `Linear`, `BatchNorm2d`, …). Shapes are per sample, without
/// the batch dimension (`[channels, height, width]` for images, `[tokens, features]` for sequences). A layer adds
/// itself to layer-spec JSON by also conforming to `SpecDecodableLayer` in the same file.
public protocol Layer: Sendable {
    /// The PyTorch class name reported in tables, e.g. `Conv2d`, `ReLU`, `MultiheadAttention`.
    var typeName: String { get }
    /// Evaluates the layer on per-sample input shapes (one per input; most layers take exactly one).
    ///
    /// - Throws: `LayerShapeError` describing the mismatch; the graph adds the layer's name.
    func evaluate(_ inputs: [[Int]]) throws(LayerShapeError) -> LayerEvaluation
}

/// What one layer does at one input shape: its output, parameters, FLOPs and the tensors autograd keeps.
public struct LayerEvaluation: Sendable, Equatable {
    /// Output shape per sample.
    public var outputShape: [Int]
    /// Parameters the layer owns.
    public var parameters: Int
    /// Forward FLOPs per sample (a multiply-add counts as 2).
    public var flops: Int
    /// Whether the output is a new tensor or shares storage with an input (views, in-place ops).
    public var output: OutputStorage
    /// Tensors kept for backward, by reference so the graph can count each storage once.
    public var saves: [SavedReference]

    public init(
        outputShape: [Int], parameters: Int = 0, flops: Int = 0, output: OutputStorage = .fresh,
        saves: [SavedReference] = []
    ) {
        self.outputShape = outputShape
        self.parameters = parameters
        self.flops = flops
        self.output = output
        self.saves = saves
    }
}

/// Where a layer's output lives.
public enum OutputStorage: Sendable, Equatable {
    /// A newly allocated tensor of the output's size, in the compute dtype.
    case fresh
    /// The storage of input `index`: a view (`flatten`, `permute`) or an in-place op (`ReLU(inplace=True)`).
    case aliasOfInput(Int)
}

/// The storage class of a saved tensor: which dtype it is kept in.
public enum StorageClass: Sendable, Equatable {
    /// The compute dtype (fp32, or fp16/bf16 under autocast).
    case activation
    /// Always fp32 (normalization statistics, loss internals).
    case fp32
    /// int64 (max-pool indices, class labels).
    case int64
    /// One byte per element (dropout masks on CUDA).
    case bool
}

/// A tensor a layer keeps for backward, by reference to a storage.
public enum SavedReference: Sendable, Equatable {
    /// The storage of input `index` (for a view, the whole storage the view lives in).
    case input(Int)
    /// The storage of this layer's output (for an in-place op, the input's storage after the op wrote it).
    case output
    /// The storage of input `index`, kept in fp32 whatever the compute dtype: ops that autocast runs in fp32
    /// (layer and group norm) keep an fp32 copy of a half input, or the fp32 input itself. At fp32 it is the same
    /// storage as `.input(index)`.
    case inputInFP32(Int)
    /// This layer's output, which autocast computes in fp32 (softmax).
    case outputInFP32
    /// A tensor only this layer holds: `elements` per sample in `storage` class (indices, masks, statistics, the
    /// clone of an input an in-place op overwrites).
    case fresh(elements: Int, storage: StorageClass)
}

/// A layer that cannot take the shapes it is given, or whose sizes are out of range.
public struct LayerShapeError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// Overflow-checked arithmetic on sizes: every count the graph produces passes through here.
public enum CheckedSize {
    /// The largest element count, parameter count or FLOP count accepted (2^52, about 4.5 × 10^15): far above any
    /// model, small enough that multiplying by bytes and batch sizes later stays below `Int.max`.
    public static let limit = 1 << 52

    /// `a × b`, or an error when it overflows or passes `limit`.
    public static func multiply(_ a: Int, _ b: Int) throws(LayerShapeError) -> Int {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow, value <= limit, value >= -limit else {
            throw LayerShapeError("size \(a) × \(b) is too large to account")
        }
        return value
    }

    /// The product of `values`, checked.
    public static func product(_ values: [Int]) throws(LayerShapeError) -> Int {
        var result = 1
        for value in values { result = try multiply(result, value) }
        return result
    }

    /// The sum of `values`, checked.
    public static func sum(_ values: [Int]) throws(LayerShapeError) -> Int {
        var result = 0
        for value in values {
            let (next, overflow) = result.addingReportingOverflow(value)
            guard !overflow, next <= limit else { throw LayerShapeError("sum is too large to account") }
            result = next
        }
        return result
    }
}

/// Shape checks shared by the layers.
enum ShapeCheck {
    /// The only input, or an error naming how many arrived.
    static func single(_ inputs: [[Int]], _ type: String) throws(LayerShapeError) -> [Int] {
        guard inputs.count == 1 else {
            throw LayerShapeError("\(type) takes one input, got \(inputs.count)")
        }
        return inputs[0]
    }

    /// A `[channels, height, width]` input.
    static func image(_ inputs: [[Int]], _ type: String) throws(LayerShapeError) -> (c: Int, h: Int, w: Int) {
        let shape = try single(inputs, type)
        guard shape.count == 3 else {
            throw LayerShapeError("\(type) expects a channels×height×width input, got \(describe(shape))")
        }
        return (shape[0], shape[1], shape[2])
    }

    /// Output size of a sliding window along one axis, as PyTorch computes it (`floor` or `ceil` mode).
    static func window(
        size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int = 1, ceilMode: Bool = false, type: String
    ) throws(LayerShapeError) -> Int {
        let span = dilation * (kernel - 1) + 1
        let room = size + 2 * padding - span
        guard room >= 0 else {
            throw LayerShapeError("\(type) window \(kernel) (dilation \(dilation), padding \(padding)) does not fit an input of size \(size)")
        }
        var out = (ceilMode ? (room + stride - 1) / stride : room / stride) + 1
        // PyTorch: in ceil mode the last window must start inside the input or its left padding.
        if ceilMode, (out - 1) * stride >= size + padding { out -= 1 }
        return out
    }

    static func describe(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}

/// Checks that configuration numbers are positive (or non-negative), with a message naming the field.
enum Positive {
    static func check(_ value: Int, _ what: String, allowZero: Bool = false) throws(LayerShapeError) {
        guard allowZero ? value >= 0 : value > 0 else {
            throw LayerShapeError("\(what) must be \(allowZero ? "zero or more" : "positive"), got \(value)")
        }
        guard value <= CheckedSize.limit else { throw LayerShapeError("\(what) \(value) is too large") }
    }
}
