import BatchPlanCore
import Foundation
import Testing

@testable import BatchPlanCatalog

/// `runs export` → `runs import` loses nothing: the same catalog gains nothing and hears nothing wrong, a fresh one
/// gets every run back field for field, and runs of models the catalog lacks wait until the model is added.
@Suite("Runs round-trip losslessly")
struct RunRoundTripTests {
    /// A run as a comparison sees it: where it came from (built-in or user) is the catalog's, not the file's.
    static func comparable(_ run: MeasuredRun) -> MeasuredRun {
        var copy = run
        copy.origin = .user
        return copy
    }

    @Test("every built-in run exported as JSON Lines and as CSV parses back field for field", arguments: RunFile.Format.allCases)
    func builtinRunsRoundTrip(format: RunFile.Format) throws {
        let catalog = try Catalog(path: ":memory:")
        let stored = try catalog.runs().map(\.run)
        #expect(stored.count >= 500)
        let text = RunFile.export(stored, format: format)
        let parsed = try RunFile.parse(data: Data(text.utf8), file: "export", format: format, now: "2099-01-01T00:00:00Z")
        #expect(parsed.errors.isEmpty, "\(parsed.errors.prefix(3))")
        #expect(parsed.runs.count == stored.count)
        for (original, (_, back)) in zip(stored, parsed.runs) {
            #expect(Self.comparable(back) == Self.comparable(original), "run \(original.key) changed on the way")
        }
    }

    @Test("importing a catalog's export into the same catalog adds nothing and reports nothing wrong")
    func sameCatalogImportsNothing() throws {
        let catalog = try Catalog(path: ":memory:")
        let text = RunFile.export(try catalog.runs().map(\.run), format: .jsonl)
        let summary = try catalog.importRuns(
            RunFile.parse(data: Data(text.utf8), file: "export.jsonl", now: "2099-01-01T00:00:00Z"), file: "export.jsonl")
        let count = try catalog.runs().count
        #expect(summary.added == 0 && summary.rejected.isEmpty && summary.duplicates == count)
    }

    @Test("user runs with a trainer, a training stack and adapter settings come back field for field in a fresh catalog")
    func userRunsIntoFreshCatalog() throws {
        let rows = """
            {"id": "u1", "kind": "mem_at_batch", "model": "llama-3.2-1b", "gpu": "RTX 4090", "batch_size": 2, "seq_len": 1024, "precision": "bf16", "optimizer": "adamw_torch_fused", "trainer": "hf-trainer-4.31", "training_mode": "lora", "lora_rank": 16, "lora_targets": "q_proj,v_proj", "lora_dropout": 0.05, "task": "causal-lm", "peak_allocated_bytes": 9000000000, "source": "lab"}
            {"id": "u2", "kind": "oom", "model": "llama-3.2-1b", "gpu": "RTX 4090", "batch_size": 64, "seq_len": 2048, "precision": "bf16", "optimizer": "PagedAdamW", "trainer": "torchtune", "optimizer_in_backward": true, "loss_dtype": "compute", "paged_state": "evictable", "source": "lab"}
            {"id": "u3", "kind": "max_batch", "model": "resnet50d", "gpu": "RTX 3090", "batch_size": 300, "bracket_next": 320, "image_size": 224, "precision": "fp16-amp", "optimizer": "sgd-momentum", "source": "lab"}
            """
        let first = try Catalog(path: temporaryCatalogPath("first.sqlite"))
        let summary = try first.importRuns(
            RunFile.parse(data: Data(rows.utf8), file: "runs.jsonl", now: "2026-12-04T00:00:00Z"), file: "runs.jsonl")
        #expect(summary.added == 3)
        let mine = try first.runs().map(\.run).filter { $0.origin == .user }
        #expect(mine.first { $0.key == "lab:u1" }?.stack?.optimizerImplementation == .fused)
        #expect(mine.first { $0.key == "lab:u1" }?.loraTargets == ["q_proj", "v_proj"])
        #expect(mine.first { $0.key == "lab:u2" }?.stack?.optimizerInBackward == true)
        for format in RunFile.Format.allCases {
            let fresh = try Catalog(path: temporaryCatalogPath("fresh-\(format).sqlite"))
            let text = RunFile.export(mine, format: format)
            _ = try fresh.importRuns(
                RunFile.parse(data: Data(text.utf8), file: "export", format: format, now: "2099-01-01T00:00:00Z"), file: "export")
            let back = try fresh.runs().map(\.run).filter { $0.origin == .user }
            #expect(back == mine, "\(format)")
        }
    }

    @Test("a run of a model the catalog lacks is stored, listed as not used for calibration, and usable once added")
    func unknownModelWaits() throws {
        let catalog = try Catalog(path: temporaryCatalogPath())
        let row = #"{"id": "w1", "kind": "mem_at_batch", "model": "tiny-net", "gpu": "RTX 3090", "batch_size": 32, "precision": "fp32", "optimizer": "sgd", "peak_allocated_bytes": 900000000, "source": "lab"}"#
        _ = try catalog.importRuns(RunFile.parse(data: Data(row.utf8), file: "w.jsonl", now: "2026-12-04T00:00:00Z"), file: "w.jsonl")
        let before = try catalog.runsWithUsability().first { $0.stored.run.key == "lab:w1" }
        #expect(before?.unusableReason?.hasPrefix("model not in catalog: not used for calibration") == true)
        let payload = #"{"parameters": 1000000, "activationsPerSample": 100000, "input": [3, 32, 32], "classes": 10}"#
        try catalog.addModel(ModelDefinition(name: "tiny-net", kind: .rawCounts, payload: payload, source: "test", origin: .user))
        let after = try catalog.runsWithUsability().first { $0.stored.run.key == "lab:w1" }
        #expect(after?.unusableReason == nil)
    }
}
