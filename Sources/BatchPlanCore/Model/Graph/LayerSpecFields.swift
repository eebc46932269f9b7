import Foundation

/// A layer can be written in layer-spec JSON: its `type` names and how it reads its keys.
///
/// Conform in the layer's own file and list the type in `LayerSpec.layerTypes`.
public protocol SpecDecodableLayer: Layer {
    /// The `type` values that decode to this layer (lower case), e.g. `["conv2d"]`.
    static var specTypes: [String] { get }
    /// Reads the layer's keys; `specType` is the `type` the file used.
    init(specType: String, fields: inout LayerSpecFields) throws(CoreError)
}

/// The keys of one layer object in a layer-spec file, read with checks that name the layer and the key.
public struct LayerSpecFields: Sendable {
    public let model: String
    public let layer: String
    public let type: String
    /// The attention implementation asked for on the command line (used where a layer does not name one).
    public let defaultAttention: AttentionImplementation
    var values: [String: JSONValue]
    private(set) var used: Set<String> = []

    init(model: String, layer: String, type: String, values: [String: JSONValue], defaultAttention: AttentionImplementation) {
        self.model = model
        self.layer = layer
        self.type = type
        self.values = values
        self.defaultAttention = defaultAttention
    }

    /// An error about this layer.
    public func problem(_ text: String) -> CoreError {
        .invalidModel(model: model, problem: "layer \"\(layer)\" (\(type)): \(text)")
    }

    private mutating func value(_ key: String) -> JSONValue? {
        used.insert(key)
        if case .null = values[key] { return nil }
        return values[key]
    }

    /// A required integer.
    public mutating func int(_ key: String) throws(CoreError) -> Int {
        guard let value = value(key) else { throw problem("missing key \"\(key)\"") }
        guard let number = value.integer else { throw problem("\"\(key)\" must be an integer") }
        return number
    }

    /// An optional integer.
    public mutating func int(_ key: String, default fallback: Int) throws(CoreError) -> Int {
        if values[key] == nil {
            used.insert(key)
            return fallback
        }
        return try int(key)
    }

    /// A required size given as one integer or `[height, width]`.
    public mutating func pair(_ key: String) throws(CoreError) -> (Int, Int) {
        guard let value = value(key) else { throw problem("missing key \"\(key)\"") }
        if let number = value.integer { return (number, number) }
        if case let .array(items) = value, items.count == 2, let a = items[0].integer, let b = items[1].integer {
            return (a, b)
        }
        throw problem("\"\(key)\" must be an integer or a pair [height, width]")
    }

    /// An optional size given as one integer or `[height, width]`.
    public mutating func pair(_ key: String, default fallback: (Int, Int)) throws(CoreError) -> (Int, Int) {
        if values[key] == nil {
            used.insert(key)
            return fallback
        }
        return try pair(key)
    }

    /// A required list of integers.
    public mutating func intArray(_ key: String) throws(CoreError) -> [Int] {
        guard case let .array(items)? = value(key) else { throw problem("missing key \"\(key)\" (a list of integers)") }
        let numbers = items.compactMap(\.integer)
        guard numbers.count == items.count else { throw problem("\"\(key)\" must be a list of integers") }
        return numbers
    }

    /// An optional boolean.
    public mutating func bool(_ key: String, default fallback: Bool) throws(CoreError) -> Bool {
        guard let value = value(key) else { return fallback }
        guard case let .bool(flag) = value else { throw problem("\"\(key)\" must be true or false") }
        return flag
    }

    /// A required number.
    public mutating func double(_ key: String) throws(CoreError) -> Double {
        guard let value = value(key) else { throw problem("missing key \"\(key)\"") }
        guard case let .number(number) = value else { throw problem("\"\(key)\" must be a number") }
        return number
    }

    /// An optional number.
    public mutating func double(_ key: String, default fallback: Double) throws(CoreError) -> Double {
        if values[key] == nil {
            used.insert(key)
            return fallback
        }
        return try double(key)
    }

    /// An optional string.
    public mutating func string(_ key: String, default fallback: String) throws(CoreError) -> String {
        guard let value = value(key) else { return fallback }
        guard case let .string(text) = value else { throw problem("\"\(key)\" must be a string") }
        return text
    }

    /// Keys present in the object that the layer never read (typos such as `kernal`).
    var unusedKeys: [String] { values.keys.filter { !used.contains($0) }.sorted() }
}
