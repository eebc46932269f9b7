/// One named layer in a `LayerGraph`.
public struct LayerNode: Sendable {
    /// Module path as PyTorch names it (`layer3.1.conv2`); unique in the graph.
    public var name: String
    public var layer: any Layer
    /// Names of the nodes feeding this one, in order; empty means the node listed before it (the model input for the
    /// first node). `LayerGraph.inputName` names the model input.
    public var inputs: [String]
    /// The checkpointable block the layer belongs to (`layer3.1`), if any.
    public var block: String?
    public var role: LayerRole

    public init(name: String, layer: any Layer, inputs: [String] = [], block: String? = nil, role: LayerRole = .body) {
        self.name = name
        self.layer = layer
        self.inputs = inputs
        self.block = block
        self.role = role
    }
}

/// A network as a graph of named layers: sequential by default, joined by name for residual adds and concatenations.
///
/// Accounting walks the graph in dependency order, infers every shape, and counts each saved storage once across
/// the whole graph (a ReLU output that the next convolution also saves is one tensor), attributed to the first layer
/// that keeps it. Views and in-place ops share their input's storage, as autograd does.
public struct LayerGraph: Sendable {
    /// The name by which nodes refer to the model input.
    public static let inputName = "input"

    public var name: String
    public var family: ModelFamily
    public var nodes: [LayerNode]
    /// Statements about how the graph models its source (carried into the accounting's notes).
    public var notes: [String]

    public init(name: String, family: ModelFamily, nodes: [LayerNode], notes: [String] = []) {
        self.name = name
        self.family = family
        self.nodes = nodes
        self.notes = notes
    }

    /// Accounts the graph for one per-sample input shape; the layers come out in evaluation order.
    ///
    /// - Parameters:
    ///   - input: the sample shape; `.image(c, h, w)` feeds `[c, h, w]`, `.sequence(n)` feeds `[n]`.
    ///   - outputClasses: width of the logits; `nil` reads it from the last dimension of the last non-loss layer.
    ///   - inputBytesPerSample: bytes the data loader hands over per sample; `nil` means fp32 input plus an int64 label.
    /// - Throws: `CoreError.invalidModel` naming the layer for shape mismatches, unknown input names, cycles,
    ///   duplicate names, empty or overflowing sizes.
    public func account(
        input: InputSize, task: TrainingTask, attention: AttentionImplementation = .sdpa, outputClasses: Int? = nil,
        inputBytesPerSample: Int? = nil
    ) throws(CoreError) -> ModelAccounting {
        let inputShape: [Int]
        switch input {
        case let .image(c, h, w): inputShape = [c, h, w]
        case let .sequence(length): inputShape = [length]
        case let .tensor(dims): inputShape = dims
        }
        let inputElements: Int
        do throws(LayerShapeError) {
            for dim in inputShape { try Positive.check(dim, "input dimension") }
            inputElements = try CheckedSize.product(inputShape)
        } catch {
            throw .invalidModel(model: name, problem: "input \(input): \(error.message)")
        }
        let order = try evaluationOrder()
        // Names are unique once the order exists: look inputs up by name in one table, not by a scan per input
        // (877-layer models made that quadratic).
        var indexByName: [String: Int] = [:]
        for (index, node) in nodes.enumerated() { indexByName[node.name] = index }
        var state = AccountingState(inputShape: inputShape, inputElements: inputElements)
        var layers: [LayerAccount] = []
        layers.reserveCapacity(nodes.count)
        for index in order {
            layers.append(
                try state.evaluate(nodes[index], at: index, sources: resolvedInputs(index, indexByName), model: name))
        }
        let classes = outputClasses ?? layers.last(where: { $0.role != .loss })?.outputShape.last ?? 1
        return ModelAccounting(
            name: name, family: family, input: input, task: task, attention: attention, layers: layers,
            outputClasses: classes, inputBytesPerSample: inputBytesPerSample ?? (inputElements * 4 + 8), notes: notes)
    }

    /// Node indices feeding node `index` (-1 is the model input). Valid after `evaluationOrder()` succeeded.
    private func resolvedInputs(_ index: Int, _ indexByName: [String: Int]) -> [Int] {
        let node = nodes[index]
        if node.inputs.isEmpty { return [index - 1] }
        return node.inputs.map { name in name == Self.inputName ? -1 : indexByName[name] ?? -1 }
    }

    /// A dependency order of the nodes (listed order where it is already one), or an error for duplicate or unknown
    /// names and cycles.
    func evaluationOrder() throws(CoreError) -> [Int] {
        guard !nodes.isEmpty else { throw .invalidModel(model: name, problem: "the model has no layers") }
        var indexByName: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            guard !node.name.isEmpty else {
                throw .invalidModel(model: name, problem: "layer \(index + 1) has an empty name")
            }
            guard node.name != Self.inputName else {
                throw .invalidModel(model: name, problem: "layer \(index + 1) is named \"\(Self.inputName)\", which names the model input; rename it")
            }
            if indexByName[node.name] != nil {
                throw .invalidModel(model: name, problem: "two layers are named \"\(node.name)\"; layer names must be unique")
            }
            indexByName[node.name] = index
        }
        var dependencies: [[Int]] = []
        for (index, node) in nodes.enumerated() {
            var sources: [Int] = []
            for source in node.inputs where source != Self.inputName {
                guard let sourceIndex = indexByName[source] else {
                    let known = nodes.prefix(index).suffix(5).map { "\"\($0.name)\"" }.joined(separator: ", ")
                    throw .invalidModel(
                        model: name,
                        problem: "layer \"\(node.name)\" takes input \"\(source)\", which is not a layer name (use \"\(Self.inputName)\" for the model input; nearby layers: \(known))")
                }
                sources.append(sourceIndex)
            }
            if node.inputs.isEmpty, index > 0 { sources.append(index - 1) }
            dependencies.append(sources)
        }
        var done = Array(repeating: false, count: nodes.count)
        var order: [Int] = []
        order.reserveCapacity(nodes.count)
        var progress = true
        while order.count < nodes.count, progress {
            progress = false
            for index in nodes.indices where !done[index] && dependencies[index].allSatisfy({ done[$0] }) {
                done[index] = true
                order.append(index)
                progress = true
            }
        }
        guard order.count == nodes.count else {
            let stuck = nodes.indices.filter { !done[$0] }.prefix(6).map { "\"\(nodes[$0].name)\"" }
            throw .invalidModel(
                model: name,
                problem: "the layers form a cycle through \(stuck.joined(separator: ", ")); a layer's inputs must not depend on its own output")
        }
        return order
    }
}

/// Shapes and storages while walking a graph.
private struct AccountingState {
    struct Storage {
        var elements: Int
        var storage: StorageClass
    }

    var shapes: [Int: [Int]]
    var storageOf: [Int: Int]
    var storages: [Storage]
    var counted: Set<Int> = []

    init(inputShape: [Int], inputElements: Int) {
        shapes = [-1: inputShape]
        storageOf = [-1: 0]
        storages = [Storage(elements: inputElements, storage: .activation)]
    }

    mutating func evaluate(_ node: LayerNode, at index: Int, sources: [Int], model: String) throws(CoreError) -> LayerAccount {
        let inputShapes = sources.map { shapes[$0] ?? [] }
        let type = node.layer.typeName
        func failure(_ message: String) -> CoreError {
            var problem = "layer \"\(node.name)\" (\(type)): \(message)"
            if sources.count > 1 {
                let names = zip(node.inputs, inputShapes).map { "\"\($0)\" \(ShapeCheck.describe($1))" }
                problem += " (inputs: \(names.joined(separator: ", ")))"
            }
            return .invalidModel(model: model, problem: problem)
        }
        do throws(LayerShapeError) {
            let evaluation = try node.layer.evaluate(inputShapes)
            for dim in evaluation.outputShape where dim <= 0 {
                throw LayerShapeError("produces an empty output \(ShapeCheck.describe(evaluation.outputShape)); the input is too small for this layer")
            }
            let outputElements = try CheckedSize.product(evaluation.outputShape)
            let outputStorage: Int
            switch evaluation.output {
            case .fresh:
                storages.append(Storage(elements: outputElements, storage: .activation))
                outputStorage = storages.count - 1
            case let .aliasOfInput(position):
                guard sources.indices.contains(position), let id = storageOf[sources[position]] else {
                    throw LayerShapeError("aliases input \(position + 1), which it does not have")
                }
                outputStorage = id
            }
            var saved = SavedTensors.none
            for reference in evaluation.saves {
                let id: Int
                var keptInFP32 = false
                switch reference {
                case let .input(position), let .inputInFP32(position):
                    guard sources.indices.contains(position), let source = storageOf[sources[position]] else {
                        throw LayerShapeError("saves input \(position + 1), which it does not have")
                    }
                    id = source
                    if case .inputInFP32 = reference { keptInFP32 = true }
                case .output:
                    id = outputStorage
                case .outputInFP32:
                    id = outputStorage
                    keptInFP32 = true
                case let .fresh(elements, storage):
                    storages.append(Storage(elements: elements, storage: storage))
                    id = storages.count - 1
                }
                guard counted.insert(id).inserted else { continue }
                if keptInFP32, storages[id].storage == .activation { storages[id].storage = .fp32 }
                saved = try Self.adding(storages[id], to: saved)
            }
            shapes[index] = evaluation.outputShape
            storageOf[index] = outputStorage
            var account = LayerAccount(
                name: node.name, type: type, parameters: evaluation.parameters, outputShape: evaluation.outputShape,
                saved: saved, flops: evaluation.flops, block: node.block, role: node.role)
            if let linear = node.layer as? Linear, let features = inputShapes.first?.last {
                account.linearShape = LayerAccount.LinearShape(inFeatures: features, outFeatures: linear.outFeatures)
            }
            return account
        } catch {
            throw failure(error.message)
        }
    }

    private static func adding(_ storage: Storage, to saved: SavedTensors) throws(LayerShapeError) -> SavedTensors {
        var result = saved
        let elements = storage.elements
        switch storage.storage {
        case .activation: result.activation = try CheckedSize.sum([result.activation, elements])
        case .fp32: result.fp32 = try CheckedSize.sum([result.fp32, elements])
        case .int64: result.int64 = try CheckedSize.sum([result.int64, elements])
        case .bool: result.bool = try CheckedSize.sum([result.bool, elements])
        }
        return result
    }
}
