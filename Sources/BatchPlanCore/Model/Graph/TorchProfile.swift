import Foundation

/// A model measured in PyTorch by `tools/profile_torch.py` (`batchplan models import --profile FILE`).
///
/// The profile records what autograd actually kept (saved-tensor hooks, each storage counted once) at batch 1 and 2,
/// so `activation_bytes_per_sample` is the growth per sample and `fixed_saved_bytes` what does not grow (batch-norm
/// statistics). Bytes are at the dtype the profile ran in (fp32).
public struct TorchProfile: Decodable, Hashable, Sendable {
    /// The `format` tag every profile carries.
    public static let formatTag = "batchplan-torch-profile"
    /// The `format_version` this build reads.
    public static let formatVersion = 1

    public struct Input: Decodable, Hashable, Sendable {
        public var kind: String
        public var shape: [Int]?
        public var length: Int?
    }

    public struct Layer: Decodable, Hashable, Sendable {
        public var name: String
        public var type: String
        public var parameters: Int
        public var outputShape: [Int]?
        public var savedBytesPerSample: Int

        enum CodingKeys: String, CodingKey {
            case name, type, parameters
            case outputShape = "output_shape"
            case savedBytesPerSample = "saved_bytes_per_sample"
        }
    }

    public var format: String
    public var formatVersion: Int
    public var model: String
    public var source: String?
    public var torchVersion: String?
    public var family: String?
    public var task: String?
    public var attention: String?
    public var input: Input
    public var parameters: Int
    public var trainableParameters: Int?
    public var outputClasses: Int?
    public var savedBytesAtBatch: [String: Int]?
    public var activationBytesPerSample: Int
    public var fixedSavedBytes: Int?
    public var layers: [Layer]

    enum CodingKeys: String, CodingKey {
        case format, model, source, family, task, attention, input, parameters, layers
        case formatVersion = "format_version"
        case torchVersion = "torch_version"
        case trainableParameters = "trainable_parameters"
        case outputClasses = "output_classes"
        case savedBytesAtBatch = "saved_bytes_at_batch"
        case activationBytesPerSample = "activation_bytes_per_sample"
        case fixedSavedBytes = "fixed_saved_bytes"
    }

    /// Decodes and validates a profile.
    ///
    /// - Throws: `CoreError.invalidModel` for invalid JSON (naming the problem), a wrong format tag or version,
    ///   negative numbers, an unknown family/task/attention, or an input without positive dimensions.
    public init(decoding text: String, name: String) throws(CoreError) {
        do {
            self = try JSONDecoder().decode(TorchProfile.self, from: Data(text.utf8))
        } catch let error as DecodingError {
            throw .invalidModel(model: name, problem: "torch profile: \(LayerSpec.describe(error, in: text))")
        } catch {
            throw .invalidModel(model: name, problem: "torch profile is not valid JSON")
        }
        try validate(name: name)
    }

    private func validate(name: String) throws(CoreError) {
        func fail(_ problem: String) -> CoreError { .invalidModel(model: name, problem: "torch profile: \(problem)") }
        guard format == Self.formatTag else {
            throw fail("\"format\" is \"\(format)\", expected \"\(Self.formatTag)\" (write it with tools/profile_torch.py)")
        }
        guard formatVersion == Self.formatVersion else {
            throw fail("format_version \(formatVersion) is not supported; this build reads version \(Self.formatVersion)")
        }
        let limit = 1 << 52
        guard parameters > 0, parameters < limit else { throw fail("\"parameters\" must be positive, got \(parameters)") }
        for (key, value) in [
            ("trainable_parameters", trainableParameters), ("output_classes", outputClasses),
            ("activation_bytes_per_sample", activationBytesPerSample), ("fixed_saved_bytes", fixedSavedBytes),
        ] {
            if let value, value < 0 || value >= limit { throw fail("\"\(key)\" must be zero or more, got \(value)") }
        }
        for (batch, bytes) in savedBytesAtBatch ?? [:] {
            guard let size = Int(batch), size > 0, bytes >= 0, bytes < limit else {
                throw fail("saved_bytes_at_batch entry \"\(batch)\": \(bytes) must map a positive batch size to zero or more bytes")
            }
        }
        for layer in layers {
            guard layer.parameters >= 0, layer.savedBytesPerSample >= 0, layer.parameters < limit,
                layer.savedBytesPerSample < limit
            else {
                throw fail("layer \"\(layer.name)\": parameters and saved_bytes_per_sample must be zero or more")
            }
            if let shape = layer.outputShape, shape.contains(where: { $0 < 0 }) {
                throw fail("layer \"\(layer.name)\": output_shape has a negative dimension")
            }
        }
        _ = try inputSize(name: name)
        _ = try modelFamily(name: name)
        if let task, TrainingTask(rawValue: task) == nil {
            throw fail("task \"\(task)\" is not one of \(TrainingTask.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let attention, AttentionImplementation(rawValue: attention) == nil {
            throw fail("attention \"\(attention)\" is not one of \(AttentionImplementation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// The input size the profile was measured at.
    public func inputSize(name: String) throws(CoreError) -> InputSize {
        let fix = "torch profile: \"input\" must be {\"kind\": \"image\", \"shape\": [3, 224, 224]} or {\"kind\": \"sequence\", \"length\": 128}"
        switch input.kind {
        case "image":
            guard let shape = input.shape, shape.count == 3, shape.allSatisfy({ $0 > 0 && $0 < 1 << 20 }) else {
                throw .invalidModel(model: name, problem: fix)
            }
            return .image(channels: shape[0], height: shape[1], width: shape[2])
        case "sequence":
            guard let length = input.length, length > 0, length < 1 << 24 else { throw .invalidModel(model: name, problem: fix) }
            return .sequence(length: length)
        default:
            throw .invalidModel(model: name, problem: fix)
        }
    }

    /// The profile's family (`custom` when it names none).
    public func modelFamily(name: String) throws(CoreError) -> ModelFamily {
        guard let family else { return .custom }
        guard let parsed = ModelFamily(rawValue: family) else {
            throw .invalidModel(
                model: name,
                problem: "torch profile: family \"\(family)\" is not one of \(ModelFamily.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return parsed
    }
}

/// Accounts `.torchProfile` definitions: the payload is the profile's JSON.
///
/// At the measured input size the accounting reproduces the profile. At another size every layer's saved bytes are
/// scaled by the ratio of input elements (exact for convolutional trunks whose feature maps scale with the image,
/// approximate where a layer's size is fixed, such as a classifier), and the notes say so.
struct TorchProfileAccountant: ModelAccountant {
    func family(of definition: ModelDefinition) throws(CoreError) -> ModelFamily {
        try TorchProfile(decoding: definition.payload, name: definition.name).modelFamily(name: definition.name)
    }

    func account(_ definition: ModelDefinition, options: AccountingOptions) throws(CoreError) -> ModelAccounting {
        let name = definition.name
        let profile = try TorchProfile(decoding: definition.payload, name: name)
        let measured = try profile.inputSize(name: name)
        let input = options.input ?? measured
        var notes = ["torch profile of \(profile.model)" + (profile.torchVersion.map { " (PyTorch \($0))" } ?? "")
            + " measured at \(measured)"]
        switch (measured, input) {
        case (.image, .image), (.sequence, .sequence): break
        default:
            throw .invalidValue(
                what: "input", value: input.description,
                fix: "the profile of \(profile.model) was measured at \(measured); give an input of the same kind")
        }
        let ratio = Double(input.elements) / Double(measured.elements)
        if input != measured {
            notes.append(String(format: "activations scaled ×%.4f from \(measured) to \(input) by input elements", ratio))
        }
        func scaled(_ bytes: Int) -> Int { Int((Double(bytes) * ratio).rounded()) }
        // Bytes become compute-dtype elements (4 bytes each at fp32); a remainder is kept as one-byte elements.
        func saved(_ bytes: Int) -> SavedTensors {
            let value = scaled(bytes)
            return SavedTensors(activation: value / 4, bool: value % 4)
        }
        let headIndex = profile.layers.lastIndex { $0.parameters > 0 && !$0.type.hasSuffix("Loss") }
        var layers: [LayerAccount] = profile.layers.enumerated().map { index, layer in
            LayerAccount(
                name: layer.name, type: layer.type, parameters: layer.parameters, outputShape: layer.outputShape ?? [],
                saved: saved(layer.savedBytesPerSample),
                role: layer.type.hasSuffix("Loss") ? .loss : index == headIndex ? .head : .body)
        }
        let layerParameters = profile.layers.reduce(0) { $0 + $1.parameters }
        if layerParameters != profile.parameters {
            notes.append("layer parameters sum to \(layerParameters), the model to \(profile.parameters); the difference is listed as \"(other parameters)\"")
            if profile.parameters > layerParameters {
                layers.append(LayerAccount(name: "(other parameters)", type: "Parameters", parameters: profile.parameters - layerParameters, outputShape: []))
            }
        }
        let layerBytes = profile.layers.reduce(0) { $0 + $1.savedBytesPerSample }
        if profile.activationBytesPerSample > layerBytes {
            layers.append(
                LayerAccount(
                    name: "(unattributed)", type: "Functional", outputShape: [],
                    saved: saved(profile.activationBytesPerSample - layerBytes)))
            notes.append("\(profile.activationBytesPerSample - layerBytes) saved bytes per sample were not attributed to a module (functional ops)")
        } else if layerBytes > profile.activationBytesPerSample {
            notes.append("the layers' saved bytes (\(layerBytes) per sample) exceed the measured total (\(profile.activationBytesPerSample)); the layers are used as listed")
        }
        notes.append("profile bytes are counted as compute-dtype activations (halved under mixed precision)")
        let elements = input.elements
        let inputBytes: Int
        switch input {
        case .sequence: inputBytes = elements * 16
        default: inputBytes = elements * 4 + 8
        }
        return ModelAccounting(
            name: name, family: try profile.modelFamily(name: name), input: input,
            task: options.task ?? profile.task.flatMap(TrainingTask.init(rawValue:)) ?? .classification,
            attention: options.attention, layers: layers, outputClasses: profile.outputClasses ?? 1,
            inputBytesPerSample: inputBytes, notes: notes)
    }
}
