import BatchPlanCore
import Foundation
import GRDB

/// A row of the `run` table.
struct RunRecord: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
    static let databaseTableName = "run"

    var id: Int64?
    var runKey: String
    var kind: String
    var model: String
    var gpu: String?
    var gpuMemoryBytes: Int?
    var memoryCapBytes: Int?
    var framework: String
    var trainer: String?
    /// `TrainingStackOverrides` as JSON; `NULL` when the run states none.
    var trainingStack: String?
    var cudaVersion: String?
    var driverVersion: String?
    var precision: String?
    var optimizer: String?
    var checkpointing: String
    var trainingMode: String?
    var unmodelled: String?
    var loraRank: Int?
    var loraTargets: String?
    var loraDropout: Double?
    var attention: String?
    var task: String?
    var batchSize: Int?
    var bracketNext: Int?
    var gradAccumSteps: Int
    var seqLen: Int?
    var imageSize: Int?
    var gpus: Int
    var zeroStage: Int
    var outcome: String
    var peakAllocatedBytes: Int?
    var peakReservedBytes: Int?
    var deviceUsedBytes: Int?
    var peakUnspecifiedBytes: Int?
    var contextBytes: Int?
    var stepTimeMs: Double?
    var source: String
    var url: String?
    var notes: String?
    var origin: String
    var recordedAt: String
    var phase: String
    var weightFormat: String?
    var kvCacheDtype: String?
    var tensorParallel: Int?

    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    /// Reads a row by column name. GRDB's `Decodable` path with `convertFromSnakeCase` converted every key of
    /// every row and went through a keyed decoding container per column: reading 72,000 runs took 12 s; this is the
    /// same mapping, written out (a value of the wrong type still throws, as decoding did).
    init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        runKey = try row.decode(forColumn: "run_key")
        kind = try row.decode(forColumn: "kind")
        model = try row.decode(forColumn: "model")
        gpu = try row.decode(forColumn: "gpu")
        gpuMemoryBytes = try row.decode(forColumn: "gpu_memory_bytes")
        memoryCapBytes = try row.decode(forColumn: "memory_cap_bytes")
        framework = try row.decode(forColumn: "framework")
        trainer = try row.decode(forColumn: "trainer")
        trainingStack = try row.decode(forColumn: "training_stack")
        cudaVersion = try row.decode(forColumn: "cuda_version")
        driverVersion = try row.decode(forColumn: "driver_version")
        precision = try row.decode(forColumn: "precision")
        optimizer = try row.decode(forColumn: "optimizer")
        checkpointing = try row.decode(forColumn: "checkpointing")
        trainingMode = try row.decode(forColumn: "training_mode")
        unmodelled = try row.decode(forColumn: "unmodelled")
        loraRank = try row.decode(forColumn: "lora_rank")
        loraTargets = try row.decode(forColumn: "lora_targets")
        loraDropout = try row.decode(forColumn: "lora_dropout")
        attention = try row.decode(forColumn: "attention")
        task = try row.decode(forColumn: "task")
        batchSize = try row.decode(forColumn: "batch_size")
        bracketNext = try row.decode(forColumn: "bracket_next")
        gradAccumSteps = try row.decode(forColumn: "grad_accum_steps")
        seqLen = try row.decode(forColumn: "seq_len")
        imageSize = try row.decode(forColumn: "image_size")
        gpus = try row.decode(forColumn: "gpus")
        zeroStage = try row.decode(forColumn: "zero_stage")
        outcome = try row.decode(forColumn: "outcome")
        peakAllocatedBytes = try row.decode(forColumn: "peak_allocated_bytes")
        peakReservedBytes = try row.decode(forColumn: "peak_reserved_bytes")
        deviceUsedBytes = try row.decode(forColumn: "device_used_bytes")
        peakUnspecifiedBytes = try row.decode(forColumn: "peak_unspecified_bytes")
        contextBytes = try row.decode(forColumn: "context_bytes")
        stepTimeMs = try row.decode(forColumn: "step_time_ms")
        source = try row.decode(forColumn: "source")
        url = try row.decode(forColumn: "url")
        notes = try row.decode(forColumn: "notes")
        origin = try row.decode(forColumn: "origin")
        recordedAt = try row.decode(forColumn: "recorded_at")
        phase = try row.decode(forColumn: "phase")
        weightFormat = try row.decode(forColumn: "weight_format")
        kvCacheDtype = try row.decode(forColumn: "kv_cache_dtype")
        tensorParallel = try row.decode(forColumn: "tensor_parallel")
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    init(_ run: MeasuredRun) {
        runKey = run.key
        kind = run.kind.rawValue
        model = run.model
        gpu = run.gpu
        gpuMemoryBytes = run.gpuMemoryBytes
        memoryCapBytes = run.memoryCapBytes
        framework = run.framework
        trainer = run.trainer
        loraTargets = run.loraTargets.flatMap { $0.isEmpty ? nil : $0.joined(separator: ",") }
        loraDropout = run.loraDropout
        trainingStack = run.stack.flatMap { $0.isEmpty ? nil : stackJSON($0) }
        cudaVersion = run.cudaVersion
        driverVersion = run.driverVersion
        precision = run.precision?.rawValue
        optimizer = run.optimizer?.rawValue
        checkpointing = run.checkpointing.rawValue
        trainingMode = run.trainingMode?.rawValue
        unmodelled = run.unmodelled.isEmpty ? nil : Self.json(run.unmodelled)
        loraRank = run.loraRank
        attention = run.attention?.rawValue
        task = run.task?.rawValue
        batchSize = run.batchSize
        bracketNext = run.bracketNext
        gradAccumSteps = run.gradAccumSteps
        seqLen = run.seqLen
        imageSize = run.imageSize
        gpus = run.gpus
        zeroStage = run.zeroStage
        outcome = run.outcome.rawValue
        peakAllocatedBytes = run.peakAllocatedBytes
        peakReservedBytes = run.peakReservedBytes
        deviceUsedBytes = run.deviceUsedBytes
        peakUnspecifiedBytes = run.peakUnspecifiedBytes
        contextBytes = run.contextBytes
        stepTimeMs = run.stepTimeMs
        source = run.source
        url = run.url
        notes = run.notes
        origin = run.origin.rawValue
        recordedAt = run.recordedAt
        phase = (run.phase ?? .training).rawValue
        weightFormat = run.weightFormat?.rawValue
        kvCacheDtype = run.kvCacheDType?.rawValue
        tensorParallel = run.tensorParallel
    }

    var run: MeasuredRun {
        var run = MeasuredRun(
            key: runKey, kind: MeasuredRun.Kind(rawValue: kind) ?? .memAtBatch, model: model, gpu: gpu,
            gpuMemoryBytes: gpuMemoryBytes, memoryCapBytes: memoryCapBytes, framework: framework, trainer: trainer,
            stack: trainingStack.flatMap { try? JSONDecoder().decode(TrainingStackOverrides.self, from: Data($0.utf8)) },
            cudaVersion: cudaVersion, driverVersion: driverVersion, precision: precision.flatMap(Precision.init),
            optimizer: optimizer.flatMap(OptimizerKind.init), checkpointing: Checkpointing(rawValue: checkpointing) ?? .none,
            trainingMode: trainingMode.flatMap(TrainingMode.init), loraRank: loraRank,
            loraTargets: loraTargets.map { $0.split(separator: ",").map(String.init) }, loraDropout: loraDropout,
            attention: attention.flatMap(AttentionImplementation.init), task: task.flatMap(TrainingTask.init),
            batchSize: batchSize, bracketNext: bracketNext, gradAccumSteps: gradAccumSteps, seqLen: seqLen,
            imageSize: imageSize, gpus: gpus, zeroStage: zeroStage, outcome: MeasuredRun.Outcome(rawValue: outcome) ?? .ok,
            peakAllocatedBytes: peakAllocatedBytes, peakReservedBytes: peakReservedBytes, deviceUsedBytes: deviceUsedBytes,
            peakUnspecifiedBytes: peakUnspecifiedBytes, contextBytes: contextBytes, stepTimeMs: stepTimeMs, source: source,
            url: url, notes: notes,
            unmodelled: unmodelled.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:],
            origin: RowOrigin(rawValue: origin) ?? .user, recordedAt: recordedAt)
        run.phase = phase == RunPhase.inference.rawValue ? .inference : nil
        run.weightFormat = weightFormat.flatMap(WeightFormat.init)
        run.kvCacheDType = kvCacheDtype.flatMap(KVCacheDType.init)
        run.tensorParallel = tensorParallel
        return run
    }

    static func json(_ object: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(object)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// A stored run with its catalog id.
public struct StoredRun: Sendable, Hashable {
    public var id: Int64
    public var run: MeasuredRun
}

/// A run's stated training stack as the catalog stores it: JSON with sorted keys.
private func stackJSON(_ stack: TrainingStackOverrides) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return String(decoding: (try? encoder.encode(stack)) ?? Data(), as: UTF8.self)
}

