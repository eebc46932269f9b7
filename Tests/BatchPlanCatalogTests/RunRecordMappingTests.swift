import BatchPlanCore
import Foundation
import GRDB
import Testing

@testable import BatchPlanCatalog

/// Run rows are read by column index (`RunRecord.columnNames`) and in one scan per origin; both must read what a read
/// by column name in `ORDER BY origin, id` reads.
@Suite("Reading run rows")
struct RunRecordMappingTests {
    /// Built-in runs plus user runs that set every optional column (trainer, stack, adapters, unmodelled settings,
    /// an inference run's columns).
    static func catalog() throws -> Catalog {
        let catalog = try Catalog(path: temporaryCatalogPath())
        let rows = """
            {"id": "m1", "kind": "mem_at_batch", "model": "llama-3.2-1b", "gpu": "RTX 4090", "gpu_memory_bytes": 25757220864, "memory_cap_bytes": 20000000000, "batch_size": 2, "seq_len": 1024, "precision": "bf16", "optimizer": "adamw_torch_fused", "trainer": "hf-trainer-4.31", "training_mode": "lora", "lora_rank": 16, "lora_targets": "q_proj,v_proj", "lora_dropout": 0.05, "task": "causal-lm", "attention": "eager", "grad_accum_steps": 4, "checkpointing": "block", "cuda_version": "12.1", "driver_version": "535.1", "peak_allocated_bytes": 9000000000, "peak_reserved_bytes": 9500000000, "device_used_bytes": 10000000000, "context_bytes": 500000000, "step_time_ms": 812.5, "url": "https://example.com/run", "notes": "LoRA r=16 on q,v", "source": "lab"}
            {"id": "m2", "kind": "max_batch", "model": "resnet50d", "gpu": "RTX 3090", "batch_size": 300, "bracket_next": 320, "image_size": 224, "precision": "fp16-amp", "optimizer": "sgd-momentum", "gpus": 2, "zero_stage": 2, "source": "lab"}
            {"id": "m3", "kind": "mem_at_batch", "model": "resnet50", "gpu": "RTX 3090", "batch_size": 8, "precision": "fp32", "optimizer": "lamb", "peak_bytes": 5000000000, "source": "lab"}
            {"id": "m4", "kind": "mem_at_batch", "phase": "inference", "model": "llama-3.2-1b", "gpu": "L4", "batch_size": 8, "seq_len": 2048, "precision": "bf16", "weight_format": "int4", "kv_cache_dtype": "fp8", "tensor_parallel": 1, "peak_allocated_bytes": 6000000000, "source": "lab"}
            """
        let summary = try catalog.importRuns(
            RunFile.parse(data: Data(rows.utf8), file: "runs.jsonl", now: "2026-12-05T00:00:00Z"), file: "runs.jsonl")
        #expect(summary.added == 4)
        return catalog
    }

    /// A row read column by column, by name: the mapping `init(row:)` had before it read by index.
    static func byName(_ row: Row) throws -> RunRecord {
        var record = RunRecord(MeasuredRun(key: "", kind: .fits, model: "", gpu: nil, source: "", recordedAt: ""))
        record.id = try row.decode(forColumn: "id")
        record.runKey = try row.decode(forColumn: "run_key")
        record.kind = try row.decode(forColumn: "kind")
        record.model = try row.decode(forColumn: "model")
        record.gpu = try row.decode(forColumn: "gpu")
        record.gpuMemoryBytes = try row.decode(forColumn: "gpu_memory_bytes")
        record.memoryCapBytes = try row.decode(forColumn: "memory_cap_bytes")
        record.framework = try row.decode(forColumn: "framework")
        record.trainer = try row.decode(forColumn: "trainer")
        record.trainingStack = try row.decode(forColumn: "training_stack")
        record.cudaVersion = try row.decode(forColumn: "cuda_version")
        record.driverVersion = try row.decode(forColumn: "driver_version")
        record.precision = try row.decode(forColumn: "precision")
        record.optimizer = try row.decode(forColumn: "optimizer")
        record.checkpointing = try row.decode(forColumn: "checkpointing")
        record.trainingMode = try row.decode(forColumn: "training_mode")
        record.unmodelled = try row.decode(forColumn: "unmodelled")
        record.loraRank = try row.decode(forColumn: "lora_rank")
        record.loraTargets = try row.decode(forColumn: "lora_targets")
        record.loraDropout = try row.decode(forColumn: "lora_dropout")
        record.attention = try row.decode(forColumn: "attention")
        record.task = try row.decode(forColumn: "task")
        record.batchSize = try row.decode(forColumn: "batch_size")
        record.bracketNext = try row.decode(forColumn: "bracket_next")
        record.gradAccumSteps = try row.decode(forColumn: "grad_accum_steps")
        record.seqLen = try row.decode(forColumn: "seq_len")
        record.imageSize = try row.decode(forColumn: "image_size")
        record.gpus = try row.decode(forColumn: "gpus")
        record.zeroStage = try row.decode(forColumn: "zero_stage")
        record.outcome = try row.decode(forColumn: "outcome")
        record.peakAllocatedBytes = try row.decode(forColumn: "peak_allocated_bytes")
        record.peakReservedBytes = try row.decode(forColumn: "peak_reserved_bytes")
        record.deviceUsedBytes = try row.decode(forColumn: "device_used_bytes")
        record.peakUnspecifiedBytes = try row.decode(forColumn: "peak_unspecified_bytes")
        record.contextBytes = try row.decode(forColumn: "context_bytes")
        record.stepTimeMs = try row.decode(forColumn: "step_time_ms")
        record.source = try row.decode(forColumn: "source")
        record.url = try row.decode(forColumn: "url")
        record.notes = try row.decode(forColumn: "notes")
        record.origin = try row.decode(forColumn: "origin")
        record.recordedAt = try row.decode(forColumn: "recorded_at")
        record.phase = try row.decode(forColumn: "phase")
        record.weightFormat = try row.decode(forColumn: "weight_format")
        record.kvCacheDtype = try row.decode(forColumn: "kv_cache_dtype")
        record.tensorParallel = try row.decode(forColumn: "tensor_parallel")
        return record
    }

    /// Every stored value of a record, as text.
    static func columns(_ record: RunRecord) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var text = String(decoding: try encoder.encode(record), as: UTF8.self)
        text += " id \(record.id ?? -1)"
        return text
    }

    @Test("the run table's columns are exactly the ones a run record reads, in its order")
    func everyColumnIsRead() throws {
        let catalog = try Self.catalog()
        let columns = try catalog.queue.read { db in try db.columns(in: "run").map(\.name) }
        #expect(columns == RunRecord.columnNames)
    }

    @Test("the bulk reader's column indexes name the run record's columns, in order")
    func readerColumnsMatch() {
        let snakeCased = RunRowReader.Column.allCases.map { column in
            String(describing: column).reduce(into: "") { name, character in
                name += character.isUppercase ? "_" + character.lowercased() : String(character)
            }
        }
        #expect(snakeCased == RunRecord.columnNames)
    }

    @Test("a run row read by column index holds what reading it by column name gives, on every stored run")
    func byIndexMatchesByName() throws {
        let catalog = try Self.catalog()
        let (byIndex, byName) = try catalog.queue.read { db in
            (try RunRecord.order(Column("id")).fetchAll(db),
             try Row.fetchAll(db, sql: "SELECT * FROM run ORDER BY id").map(Self.byName))
        }
        #expect(byIndex.count > 500)
        #expect(byIndex.contains { $0.trainingStack != nil && $0.loraTargets != nil && $0.unmodelled == nil })
        #expect(byIndex.contains { $0.unmodelled != nil })
        #expect(byIndex.contains { $0.weightFormat != nil && $0.kvCacheDtype != nil && $0.tensorParallel != nil })
        #expect(try byIndex.map(Self.columns) == byName.map(Self.columns))
    }

    @Test("runs read in bulk are listed built-in first, then the user's, each in id order, as run records convert them")
    func orderAndConversion() throws {
        let catalog = try Self.catalog()
        let expected = try catalog.queue.read { db in
            try RunRecord.order(sql: "origin, id").fetchAll(db).map { StoredRun(id: $0.id!, run: $0.run) }
        }
        #expect(expected.contains { $0.run.origin == .user } && expected.contains { $0.run.origin == .builtin })
        #expect(try catalog.runs() == expected)
        #expect(try catalog.runsWithUsability().map(\.stored) == expected)
        let llama = try catalog.runs(model: "LLAMA-3.2-1B")
        #expect(llama == expected.filter { $0.run.model == "llama-3.2-1b" })
    }
}
