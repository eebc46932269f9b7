import BatchPlanCore
import Foundation
import Testing

@testable import BatchPlanCatalog

@Suite("Inference runs in the catalog")
struct InferenceRunTests {
    static let rows = """
        {"id": "i1", "kind": "mem_at_batch", "phase": "inference", "model": "llama-3.2-1b", "gpu": "L4", "batch_size": 8, "seq_len": 2048, "precision": "bf16", "weight_format": "int4", "kv_cache_dtype": "fp8", "tensor_parallel": 1, "peak_allocated_bytes": 6000000000, "peak_reserved_bytes": 6400000000, "device_used_bytes": 7000000000, "source": "lab"}
        {"id": "i2", "kind": "mem_at_batch", "phase": "inference", "model": "llama-3.2-1b", "gpu": "L4", "batch_size": 16, "seq_len": 2048, "precision": "bf16", "peak_reserved_bytes": 8000000000, "device_used_bytes": 8800000000, "source": "lab"}
        {"id": "t1", "kind": "mem_at_batch", "model": "llama-3.2-1b", "gpu": "L4", "batch_size": 4, "seq_len": 512, "precision": "bf16-amp", "optimizer": "adamw", "peak_reserved_bytes": 12000000000, "device_used_bytes": 14000000000, "source": "lab"}
        """

    static func catalog() throws -> Catalog {
        let catalog = try Catalog(path: temporaryCatalogPath())
        _ = try catalog.importRuns(RunFile.parse(data: Data(rows.utf8), file: "runs.jsonl", now: "2026-12-04T00:00:00Z"), file: "runs.jsonl")
        return catalog
    }

    @Test("inference runs keep their phase and serving settings through export and import", arguments: RunFile.Format.allCases)
    func roundTrip(format: RunFile.Format) throws {
        let catalog = try Self.catalog()
        let runs = try catalog.runs().map(\.run).filter { $0.origin == .user }.sorted { $0.key < $1.key }
        let first = try #require(runs.first)
        #expect(first.phase == .inference && first.weightFormat == .int4 && first.kvCacheDType == .fp8 && first.tensorParallel == 1)
        #expect(first.trainingMode == nil && first.optimizer == nil)
        #expect(runs.last?.phase == nil, "a row without a phase is a training run")
        let text = RunFile.export(runs, format: format)
        let reread = try RunFile.parse(data: Data(text.utf8), file: "again", now: "2026-12-04T00:00:00Z").runs.map(\.1)
        #expect(reread.map(\.key) == runs.map(\.key))
        #expect(reread.map(\.phase) == runs.map(\.phase))
        #expect(reread.map(\.weightFormat) == runs.map(\.weightFormat))
    }

    @Test("training calibration never uses an inference run, and says why")
    func trainingIgnoresInference() throws {
        let catalog = try Self.catalog()
        let user = try catalog.runsWithUsability().filter { $0.stored.run.origin == .user }
        let inference = user.filter { $0.stored.run.isInference }
        #expect(inference.count == 2)
        #expect(inference.allSatisfy { $0.unusableReason?.contains("inference run") == true })
        #expect(user.filter { !$0.stored.run.isInference }.allSatisfy { $0.unusableReason == nil })
    }

    @Test("serve's calibration takes the card's median runtime context from inference runs only")
    func inferenceCalibration() throws {
        let catalog = try Self.catalog()
        let l4 = try catalog.gpu(named: "L4")
        let fitted = try catalog.inferenceCalibration(gpu: l4)
        // Contexts 600 MB and 800 MB (the training run's 2 GB is not counted): median 700 MB.
        #expect(fitted.runtimeContextBytes == 700_000_000)
        #expect(fitted.runsUsed == 2 && fitted.scope == "inference gpu L4")
        #expect(try catalog.inferenceCalibration(gpu: catalog.gpu(named: "T4")) == .analytic)
    }

    @Test("a serving setting on a training row, or an unknown phase, is refused with the fix")
    func badRows() throws {
        for row in [
            #"{"kind": "fits", "model": "gpt2", "gpu": "T4", "batch_size": 1, "precision": "fp16", "weight_format": "int4", "source": "x"}"#,
            #"{"kind": "fits", "phase": "serving", "model": "gpt2", "gpu": "T4", "batch_size": 1, "precision": "fp16", "source": "x"}"#,
            #"{"kind": "fits", "phase": "inference", "model": "gpt2", "gpu": "T4", "batch_size": 1, "precision": "fp16-amp", "source": "x"}"#,
        ] {
            let parsed = try RunFile.parse(data: Data(row.utf8), file: "bad.jsonl", now: "2026-12-04T00:00:00Z")
            #expect(parsed.runs.isEmpty && parsed.errors.count == 1, "\(row)")
        }
    }
}
