import Foundation

/// A user's network written as layer-spec JSON (`batchplan models import --spec FILE`), decoded into a `LayerGraph`.
///
/// The format is documented in `docs/layer-spec.md`. Layers run in order; each takes the previous layer's output
/// unless `inputs` names others (`"inputs": ["conv1", "conv3"]` for a residual add or a concatenation). A layer
/// without a `name` is named by its position, as `nn.Sequential` names its children (`"0"`, `"1"`, …).
public struct LayerSpec: Sendable {
    /// Every layer type the format knows; adding one means conforming it to `SpecDecodableLayer` and listing it here.
    public static let layerTypes: [any SpecDecodableLayer.Type] = [
        Conv2d.self, ConvTranspose2d.self, Linear.self, BatchNorm2d.self, LayerNorm.self, LayerNorm2d.self, GroupNorm.self, Activation.self,
        MaxPool2d.self, AvgPool2d.self, AdaptiveAvgPool2d.self, Flatten.self, Permute.self, Add.self, Concat.self,
        Mul.self, Dropout.self, StochasticDepth.self, LayerScale.self, Softmax.self, CrossEntropyLoss.self,
        AttentionCore.self, PatchTokens.self, ClassToken.self, PositionEmbedding.self, TokenSelect.self, Upsample.self,
    ]

    /// The `type` names, sorted, as error messages list them.
    public static var knownTypes: [String] { layerTypes.flatMap { $0.specTypes }.sorted() }

    public var name: String
    public var family: ModelFamily
    /// Per-sample input shape, e.g. `[3, 32, 32]`.
    public var input: [Int]
    public var classes: Int?
    public var graph: LayerGraph

    private struct Document: Decodable {
        var name: String?
        var family: String?
        var input: [Int]
        var classes: Int?
        var loss: String?
        var layers: [[String: JSONValue]]
    }

    /// Decodes a spec.
    ///
    /// - Parameters:
    ///   - text: the JSON.
    ///   - fallbackName: the model name when the file has no `"name"`.
    ///   - attention: the implementation for `attention` layers that do not name one.
    /// - Throws: `CoreError.invalidModel` naming the JSON problem, a missing key, an unknown layer type (listing
    ///   the known ones) or a bad value.
    public init(decoding text: String, fallbackName: String, attention: AttentionImplementation = .sdpa) throws(CoreError) {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(text.utf8))
        } catch let error as DecodingError {
            throw .invalidModel(model: fallbackName, problem: "layer spec: \(Self.describe(error, in: text))")
        } catch {
            throw .invalidModel(model: fallbackName, problem: "layer spec is not valid JSON")
        }
        let name = document.name ?? fallbackName
        let familyText = document.family ?? ModelFamily.custom.rawValue
        guard let family = ModelFamily(rawValue: familyText) else {
            throw .invalidModel(
                model: name,
                problem: "family \"\(familyText)\" is not one of \(ModelFamily.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard !document.input.isEmpty, document.input.allSatisfy({ $0 > 0 && $0 < 1 << 24 }) else {
            throw .invalidModel(model: name, problem: "\"input\" must list positive dimensions, e.g. [3, 32, 32]")
        }
        if let classes = document.classes, classes <= 0 {
            throw .invalidModel(model: name, problem: "\"classes\" must be positive, got \(classes)")
        }
        var nodes: [LayerNode] = []
        for (index, object) in document.layers.enumerated() {
            nodes.append(try Self.node(object, index: index, model: name, attention: attention))
        }
        guard !nodes.isEmpty else { throw .invalidModel(model: name, problem: "\"layers\" is empty") }
        if !nodes.contains(where: { $0.role == .head }),
            let head = nodes.lastIndex(where: { $0.layer is Linear || $0.layer is Conv2d })
        {
            nodes[head].role = .head
        }
        switch document.loss ?? "cross_entropy" {
        case "cross_entropy":
            if !nodes.contains(where: { $0.layer is CrossEntropyLoss }) {
                nodes.append(LayerNode(name: "loss", layer: CrossEntropyLoss(), role: .loss))
            }
        case "none": break
        case let other:
            throw .invalidModel(model: name, problem: "\"loss\" \"\(other)\" is not one of cross_entropy, none")
        }
        self.name = name
        self.family = family
        self.input = document.input
        self.classes = document.classes
        self.graph = LayerGraph(name: name, family: family, nodes: nodes, notes: ["layer spec: \(nodes.count) layers"])
    }

    private static func node(
        _ object: [String: JSONValue], index: Int, model: String, attention: AttentionImplementation
    ) throws(CoreError) -> LayerNode {
        var name = String(index)
        if let value = object["name"] {
            guard case let .string(text) = value, !text.isEmpty else {
                throw .invalidModel(model: model, problem: "layer \(index + 1): \"name\" must be a non-empty string")
            }
            name = text
        }
        guard case let .string(type)? = object["type"] else {
            throw .invalidModel(model: model, problem: "layer \"\(name)\": missing key \"type\" (one of \(knownTypes.joined(separator: ", ")))")
        }
        let lowered = type.lowercased()
        guard let layerType = layerTypes.first(where: { $0.specTypes.contains(lowered) }) else {
            throw .invalidModel(
                model: model,
                problem: "layer \"\(name)\": unknown type \"\(type)\"; known types: \(knownTypes.joined(separator: ", "))")
        }
        var inputs: [String] = []
        if let value = object["inputs"] {
            guard case let .array(items) = value, !items.isEmpty else {
                throw .invalidModel(model: model, problem: "layer \"\(name)\": \"inputs\" must be a list of layer names")
            }
            for item in items {
                guard case let .string(text) = item else {
                    throw .invalidModel(model: model, problem: "layer \"\(name)\": \"inputs\" must be a list of layer names")
                }
                inputs.append(text)
            }
        }
        var block: String?
        if let value = object["block"] {
            guard case let .string(text) = value else {
                throw .invalidModel(model: model, problem: "layer \"\(name)\": \"block\" must be a string such as \"layer3.1\"")
            }
            block = text
        }
        var role = LayerRole.body
        if let value = object["role"] {
            guard case let .string(text) = value, let parsed = LayerRole(rawValue: text) else {
                throw .invalidModel(model: model, problem: "layer \"\(name)\": \"role\" must be one of embedding, attention-core, body, head, loss")
            }
            role = parsed
        }
        var values = object
        for key in ["name", "type", "inputs", "block", "role"] { values[key] = nil }
        var fields = LayerSpecFields(model: model, layer: name, type: lowered, values: values, defaultAttention: attention)
        let layer = try layerType.init(specType: lowered, fields: &fields)
        if let unknown = fields.unusedKeys.first {
            let known = fields.used.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            throw fields.problem("unknown key \"\(unknown)\"" + (known.isEmpty ? "; this type takes no options" : "; known keys: \(known)"))
        }
        if layer is CrossEntropyLoss { role = .loss }
        return LayerNode(name: name, layer: layer, inputs: inputs, block: block, role: role)
    }

    /// Where JSON text stops being JSON, e.g. "unexpected end of file (is a bracket missing?)" or "invalid value at
    /// line 3, column 14".
    static func syntaxProblem(in text: String) -> String {
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "the text is empty" }
        do {
            _ = try JSONSerialization.jsonObject(with: Data(text.utf8))
            return "the text does not hold a JSON object of the expected form"
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "syntax error"
            if detail.contains("end of file") { return "unexpected end of text (is a closing bracket or brace missing?)" }
            guard let range = detail.range(of: #"character [0-9]+"#, options: .regularExpression),
                let offset = Int(detail[range].dropFirst("character ".count))
            else { return detail }
            let prefix = Data(text.utf8).prefix(offset)
            let lines = prefix.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            let column = (lines.last?.count ?? 0) + 1
            return "invalid JSON at line \(lines.count), column \(column) (a missing comma or quote?)"
        }
    }

    /// A sentence about what is wrong with the JSON, without Foundation's wording.
    static func describe(_ error: DecodingError, in text: String) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "the top level" : String(keys.drop(while: { $0 == "." }))
        }
        switch error {
        case let .keyNotFound(key, context):
            return "missing key \"\(key.stringValue)\" at \(path(context))"
        case let .typeMismatch(_, context), let .valueNotFound(_, context):
            return "wrong type at \(path(context)): \(context.debugDescription)"
        case let .dataCorrupted(context):
            if !context.codingPath.isEmpty { return "bad value at \(path(context)): \(context.debugDescription)" }
            return "not valid JSON: \(syntaxProblem(in: text))"
        @unknown default:
            return "not valid JSON"
        }
    }
}

/// Accounts `.layerSpec` definitions: the payload is the spec's JSON.
struct LayerSpecAccountant: ModelAccountant {
    func account(_ definition: ModelDefinition, options: AccountingOptions) throws(CoreError) -> ModelAccounting {
        let spec = try LayerSpec(decoding: definition.payload, fallbackName: definition.name, attention: options.attention)
        let input: InputSize
        switch options.input {
        case let size?: input = size
        case nil where spec.input.count == 3: input = .image(channels: spec.input[0], height: spec.input[1], width: spec.input[2])
        case nil where spec.input.count == 1: input = .sequence(length: spec.input[0])
        case nil: input = .tensor(spec.input)
        }
        var accounting = try spec.graph.account(
            input: input, task: options.task ?? .classification, attention: options.attention, outputClasses: spec.classes)
        accounting.name = definition.name
        return accounting
    }

    func family(of definition: ModelDefinition) throws(CoreError) -> ModelFamily {
        try LayerSpec(decoding: definition.payload, fallbackName: definition.name).family
    }
}
