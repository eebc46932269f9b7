/// Appends named layers to a graph, each feeding the next unless told otherwise; the architecture builders use it.
public struct GraphBuilder: Sendable {
    public private(set) var nodes: [LayerNode] = []
    /// The checkpointable block that layers added now belong to (`layer3.1`), or `nil`.
    public var block: String?

    public init() {}

    /// The name of the last layer added (the model input before any).
    public var last: String { nodes.last?.name ?? LayerGraph.inputName }

    /// Adds a layer fed by `inputs` (the last layer added when empty) and returns its name.
    @discardableResult
    public mutating func add(_ name: String, _ layer: any Layer, inputs: [String] = [], role: LayerRole = .body) -> String {
        nodes.append(LayerNode(name: name, layer: layer, inputs: inputs.isEmpty ? [last] : inputs, block: block, role: role))
        return name
    }

    /// Adds the classification loss on the last layer's output and returns the finished graph.
    public func graph(name: String, family: ModelFamily, notes: [String] = []) -> LayerGraph {
        var copy = self
        copy.block = nil
        copy.add("loss", CrossEntropyLoss(), role: .loss)
        return LayerGraph(name: name, family: family, nodes: copy.nodes, notes: notes)
    }
}
