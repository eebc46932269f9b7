import Foundation

/// A model given only by its parameter count and its forward activation count, as in the classic question
/// ("19,072,984 parameters and 532,752 activations with 180×50×1 inputs").
///
/// The activations are a count of forward values per sample. batchplan assumes each is kept for backward once, in
/// the compute dtype (4 bytes at fp32, 2 under AMP): the cs231n accounting. The input sample is fp32 and the label
/// one int64.
public struct RawCountsModel: Codable, Hashable, Sendable {
    public var parameters: Int
    public var activationsPerSample: Int
    public var input: [Int]
    public var classes: Int

    public init(parameters: Int, activationsPerSample: Int, input: [Int], classes: Int = 10) {
        self.parameters = parameters
        self.activationsPerSample = activationsPerSample
        self.input = input
        self.classes = classes
    }

    /// Checks the counts are positive and small enough to compute with.
    public func validated(name: String) throws(CoreError) -> RawCountsModel {
        let limit = 1 << 44  // 17.6 trillion: far above any model, far below overflow when multiplied by bytes
        guard parameters > 0, parameters < limit else {
            throw .invalidModel(model: name, problem: "parameters must be between 1 and \(limit), got \(parameters)")
        }
        guard activationsPerSample > 0, activationsPerSample < limit else {
            throw .invalidModel(model: name, problem: "activations must be between 1 and \(limit), got \(activationsPerSample)")
        }
        guard !input.isEmpty, input.allSatisfy({ $0 > 0 && $0 < 1 << 20 }),
            input.reduce(1, { $0.multipliedReportingOverflow(by: $1).partialValue }) < limit
        else {
            throw .invalidModel(model: name, problem: "input dimensions must be positive, e.g. 180x50x1")
        }
        guard classes > 0, classes < limit else {
            throw .invalidModel(model: name, problem: "classes must be positive")
        }
        return self
    }

    /// A validated raw-count model as a catalog definition (JSON payload).
    public static func definition(
        name: String, parameters: Int, activationsPerSample: Int, input: String, classes: Int = 10, source: String
    ) throws(CoreError) -> ModelDefinition {
        let model = try RawCountsModel(
            parameters: parameters, activationsPerSample: activationsPerSample, input: parseShape(input), classes: classes
        ).validated(name: name)
        let payload = String(decoding: (try? JSONEncoder().encode(model)) ?? Data(), as: UTF8.self)
        return ModelDefinition(name: name, kind: .rawCounts, payload: payload, source: source, origin: .user)
    }

    /// Parses `180x50x1` (also `180×50×1`, `3,224,224`).
    public static func parseShape(_ text: String) throws(CoreError) -> [Int] {
        let parts = text.lowercased().replacingOccurrences(of: "×", with: "x")
            .split(whereSeparator: { $0 == "x" || $0 == "," }).map { $0.trimmingSpaces() }
        let dims = parts.compactMap { Int($0) }
        guard !parts.isEmpty, dims.count == parts.count, dims.allSatisfy({ $0 > 0 && $0 < 1 << 20 }) else {
            throw .invalidValue(what: "input shape", value: text, fix: "write positive dimensions such as 180x50x1 or 3x224x224")
        }
        return dims
    }
}

struct RawCountsAccountant: ModelAccountant {
    func decode(_ definition: ModelDefinition) throws(CoreError) -> RawCountsModel {
        do {
            return try JSONDecoder().decode(RawCountsModel.self, from: Data(definition.payload.utf8))
                .validated(name: definition.name)
        } catch let error as CoreError {
            throw error
        } catch {
            throw .invalidModel(model: definition.name, problem: "raw-count definition is not valid JSON")
        }
    }

    func family(of definition: ModelDefinition) throws(CoreError) -> ModelFamily { .custom }

    func account(_ definition: ModelDefinition, options: AccountingOptions) throws(CoreError) -> ModelAccounting {
        let model = try decode(definition)
        let input: [Int]
        switch options.input {
        case nil: input = model.input
        case let .tensor(dims): input = dims
        case let .image(c, h, w): input = [c, h, w]  // as typed: --input 180x50x1 arrives as (180, 50, 1)
        case .sequence:
            throw .invalidValue(what: "input", value: "--seq", fix: "a raw-count model takes --input (e.g. 180x50x1)")
        }
        // Activations scale with the input's number of values when the user asks for another size.
        let defaultElements = model.input.reduce(1, *)
        let elements = input.reduce(1, *)
        let activations = Int((Double(model.activationsPerSample) * Double(elements) / Double(defaultElements)).rounded())
        let layers = [
            LayerAccount(
                name: "model", type: "RawCounts", parameters: model.parameters, outputShape: [activations],
                saved: SavedTensors(activation: activations), flops: 2 * model.parameters, role: .body),
            LayerAccount(
                name: "loss", type: "CrossEntropyLoss", outputShape: [1],
                saved: SavedTensors(fp32: model.classes, int64: 1), role: .loss),
        ]
        return ModelAccounting(
            name: definition.name, family: .custom, input: .tensor(input), task: options.task ?? .classification,
            attention: options.attention, layers: layers, outputClasses: model.classes,
            inputBytesPerSample: elements * 4 + 8,
            notes: ["raw counts: each forward activation value kept once for backward in the compute dtype"])
    }
}
