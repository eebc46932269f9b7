import Foundation
import Testing

@testable import BatchPlanCore

/// A transformer row of `Fixtures/torch_reference.json` (written by `tools/profile_torch.py`) or
/// `Fixtures/hf-zoo-extrapolated.json` (written by `tools/measure_hf_zoo.py`): PyTorch 2.15 / transformers 5.24,
/// fp32, use_cache=False, CPU with CUDA's dropout and fused-SDPA kernels, large models extrapolated from depth 1 and 2.
struct TorchReferenceRow: Sendable, CustomStringConvertible {
    var name: String
    var sequence: Int
    var attention: AttentionImplementation
    var task: TrainingTask
    var parameters: Int
    var activationBytes: Int

    var source: String
    var description: String { "\(name)@\(sequence) \(attention.rawValue) (\(source))" }

    static func load(_ resource: String) -> [TorchReferenceRow] {
        guard let url = Bundle.module.url(forResource: resource, withExtension: "json", subdirectory: "Fixtures"),
            let data = try? Data(contentsOf: url),
            let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let models = root["models"] as? [[String: Any]]
        else { return [] }
        return models.compactMap { row in
            guard let input = row["input"] as? [String: Any], input["kind"] as? String == "sequence",
                let length = input["length"] as? Int, let rawName = row["name"] as? String,
                let attention = AttentionImplementation(rawValue: row["attention"] as? String ?? "sdpa"),
                let task = TrainingTask(rawValue: row["task"] as? String ?? ""),
                let parameters = row["parameters"] as? Int, let bytes = row["activation_bytes_per_sample"] as? Int
            else { return nil }
            let name = String(rawName.split(separator: "@").first ?? "")
            guard HFZoo.parameters[name] != nil else { return nil }
            return TorchReferenceRow(
                name: name, sequence: length, attention: attention, task: task, parameters: parameters,
                activationBytes: bytes, source: resource)
        }
    }
}

@Suite("Transformer accounting against PyTorch's measured zoo")
struct TransformerTorchReferenceTests {
    static let rows = TorchReferenceRow.load("torch_reference") + TorchReferenceRow.load("hf-zoo-extrapolated")

    @Test("parameters and activation bytes per sample are within 5% of PyTorch's", arguments: rows)
    func matchesReference(row: TorchReferenceRow) throws {
        let accounting = try HFZoo.definition(row.name).account(
            AccountingOptions(input: .sequence(length: row.sequence), task: row.task, attention: row.attention))
        #expect(accounting.parameters == row.parameters)
        let predicted = accounting.activationBytesPerSample
        let error = abs(Double(predicted - row.activationBytes)) / Double(row.activationBytes)
        if Self.cpuDiffers(accounting) {
            // CUDA keeps more than the CPU measurement shows (see `cpuAsMeasured`); the H100 rows below cover it.
            #expect(predicted > row.activationBytes)
        } else {
            #expect(error < 0.05, "predicted \(predicted), measured \(row.activationBytes)")
        }
    }

    /// Where the CPU measurement cannot stand for CUDA: Falcon's multi-query SDPA runs on CUDA's math path (no fused
    /// kernel takes one KV head with a mask), but on the CPU's fused kernel.
    static func cpuDiffers(_ accounting: ModelAccounting) -> Bool {
        accounting.notes.contains { $0.hasPrefix("SDPA for Falcon") }
    }

    @Test("with the CPU's kernels, models whose CUDA kernels differ are within 5% of the CPU measurement", arguments: rows)
    func cpuAsMeasured(row: TorchReferenceRow) throws {
        var accountant = HuggingFaceAccountant()
        accountant.cpuFusedMultiQuery = true
        let options = AccountingOptions(input: .sequence(length: row.sequence), task: row.task, attention: row.attention)
        let accounting = try accountant.account(HFZoo.definition(row.name), options: options)
        let predicted = accounting.activationBytesPerSample
        let error = abs(Double(predicted - row.activationBytes)) / Double(row.activationBytes)
        #expect(error < 0.05, "predicted \(predicted), measured \(row.activationBytes)")
    }

    /// Measured on an H100 (torch 2.11, transformers 5.17, fp32, use_cache=False; the h-torch helper's
    /// `cuda_check_h100.json`): activation bytes per sample. llama-3.2-1b's SDPA runs on the math path there (fp32
    /// grouped-query attention), so it is accounted with `groupedQueryMathPath`.
    static let h100: [(String, Int, AttentionImplementation, Int)] = [
        ("gpt2", 128, .sdpa, 161_197_560), ("gpt2", 512, .sdpa, 644_790_264),
        ("bert-base-uncased", 128, .sdpa, 78_848_784), ("bert-base-uncased", 512, .sdpa, 315_374_352),
        ("bert-base-uncased", 128, .eager, 100_008_720), ("t5-small", 128, .sdpa, 105_228_288),
        ("t5-small", 512, .sdpa, 590_782_464), ("llama-3.2-1b", 128, .sdpa, 538_593_784),
        ("llama-3.2-1b", 512, .sdpa, 2_557_028_344),
    ]

    @Test("activation bytes per sample match an H100's saved tensors within 0.1%", arguments: 0..<h100.count)
    func matchesH100(index: Int) throws {
        let (name, sequence, attention, measured) = Self.h100[index]
        var accountant = HuggingFaceAccountant()
        accountant.groupedQueryMathPath = true
        let accounting = try accountant.account(
            HFZoo.definition(name), options: AccountingOptions(input: .sequence(length: sequence), attention: attention))
        let error = abs(Double(accounting.activationBytesPerSample - measured)) / Double(measured)
        #expect(error < 0.001, "predicted \(accounting.activationBytesPerSample), measured \(measured)")
    }

    /// A tiny Falcon measured on an H100 (torch 2.11, transformers 5.17, fp32 and bf16 autocast alike: the math path),
    /// batch 3 minus batch 2 at 128 tokens: 2,548,736 bytes per sample, SDPA and eager the same.
    @Test("Falcon's multi-query SDPA keeps what the H100 kept on its math path", arguments: AttentionImplementation.allCases)
    func falconOnH100(attention: AttentionImplementation) throws {
        let config = """
            {"model_type": "falcon", "multi_query": true, "bias": false, "hidden_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 8, "vocab_size": 1000}
            """
        let model = ModelDefinition(name: "tiny-falcon", kind: .huggingFace, payload: config, source: "test", origin: .user)
        let accounting = try model.account(AccountingOptions(input: .sequence(length: 128), attention: attention))
        let error = abs(Double(accounting.activationBytesPerSample - 2_548_736)) / 2_548_736
        #expect(error < 0.001, "predicted \(accounting.activationBytesPerSample)")
    }
}
