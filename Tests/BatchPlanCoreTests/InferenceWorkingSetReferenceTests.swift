import Foundation
import Testing

@testable import BatchPlanCore

/// The working-set model against live tensor bytes measured on CPU by `tools/inference_working_set.py` (a
/// TorchDispatchMode that tracks every op's output storage until its last tensor dies), one forward pass under
/// `torch.inference_mode()` with random weights; versions in the fixture.
@Suite("Inference working set against PyTorch")
struct InferenceWorkingSetReferenceTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        var model: String
        var batch: Int
        var seq: Int?
        var image: Int?
        var attention: String?
        var dtype: String
        var peak_live_bytes: Int
        var peak_module: String
        var testDescription: String { "\(model) batch \(batch) \(seq.map { "seq \($0)" } ?? "image \(image ?? 0)") \(attention ?? "") \(dtype)" }
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static let cases: [Case] = {
        guard let url = Bundle.module.url(forResource: "inference_working_set", withExtension: "jsonl", subdirectory: "Fixtures"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Case.self, from: Data($0.utf8)) }
    }()

    /// The prediction for one measured case, and the model it was made with.
    static func predicted(_ c: Case) throws -> Int {
        let dtype: ComputeDType = c.dtype == "bfloat16" ? .bf16 : c.dtype == "float16" ? .fp16 : .fp32
        if c.model.hasPrefix("hf:") {
            let folder = packageRoot.appendingPathComponent(String(c.model.dropFirst(3)))
            let text = try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8)
            let definition = ModelDefinition(name: folder.lastPathComponent, kind: .huggingFace, payload: text, source: "test", origin: .user)
            let seq = try #require(c.seq)
            let model = try InferenceModel(definition: definition, accounting: definition.account(AccountingOptions(input: .sequence(length: seq))))
            let set = model.workingSet(InferenceConfiguration(dtype: dtype, attention: c.attention == "eager" ? .eager : .sdpa))
            return set.peak(sequences: c.batch, tokens: seq, attended: seq, logitRows: model.producesLogits ? c.batch : 0).bytes
        }
        let name = String(c.model.split(separator: ":").last ?? "")
        let image = try #require(c.image)
        let definition = ModelDefinition(name: name, kind: .builder, payload: name, source: "test", origin: .builtin)
        let accounting = try definition.account(AccountingOptions(input: .image(channels: 3, height: image, width: image)))
        let model = try InferenceModel(definition: definition, accounting: accounting)
        return model.workingSet(InferenceConfiguration(dtype: dtype)).peak(sequences: c.batch, tokens: 1, attended: 1, logitRows: 0).bytes
    }

    @Test("the fixture holds the measured cases") func fixture() { #expect(Self.cases.count >= 9) }

    @Test("the predicted peak working set is within 3% of the live bytes PyTorch measured", arguments: cases)
    func withinThreePercent(_ c: Case) throws {
        let predicted = try Self.predicted(c)
        let error = Double(predicted - c.peak_live_bytes) / Double(c.peak_live_bytes)
        #expect(abs(error) <= 0.03, "predicted \(predicted), measured \(c.peak_live_bytes) (\(String(format: "%+.1f", error * 100))%) at \(c.peak_module)")
    }
}
