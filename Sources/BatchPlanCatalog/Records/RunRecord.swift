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

    /// The `run` table's columns in the order `init(row:)` reads them. Every request for run records selects exactly
    /// these (`databaseSelection`), so a row is read by column index.
    static let columnNames = [
        "id", "run_key", "kind", "model", "gpu", "gpu_memory_bytes", "memory_cap_bytes", "framework", "trainer",
        "training_stack", "cuda_version", "driver_version", "precision", "optimizer", "checkpointing",
        "training_mode", "unmodelled", "lora_rank", "lora_targets", "lora_dropout", "attention", "task", "batch_size",
        "bracket_next", "grad_accum_steps", "seq_len", "image_size", "gpus", "zero_stage", "outcome",
        "peak_allocated_bytes", "peak_reserved_bytes", "device_used_bytes", "peak_unspecified_bytes", "context_bytes",
        "step_time_ms", "source", "url", "notes", "origin", "recorded_at", "phase", "weight_format", "kv_cache_dtype",
        "tensor_parallel",
    ]

    static var databaseSelection: [any SQLSelectable] { columnNames.map { Column($0) } }

    /// Reads a row of `columnNames`, by index. Looking each column up by name hashed its name for every column of
    /// every row (a third of reading 100,000 runs); GRDB's `Decodable` path with `convertFromSnakeCase`, before that,
    /// took 12 s for 72,000 runs. A value of the wrong type still throws, as decoding did.
    init(row: Row) throws {
        assert(row.columnNames.elementsEqual(Self.columnNames), "a run row must select RunRecord.columnNames, in order")
        id = try row.decode(atIndex: 0)
        runKey = try row.decode(atIndex: 1)
        kind = try row.decode(atIndex: 2)
        model = try row.decode(atIndex: 3)
        gpu = try row.decode(atIndex: 4)
        gpuMemoryBytes = try row.decode(atIndex: 5)
        memoryCapBytes = try row.decode(atIndex: 6)
        framework = try row.decode(atIndex: 7)
        trainer = try row.decode(atIndex: 8)
        trainingStack = try row.decode(atIndex: 9)
        cudaVersion = try row.decode(atIndex: 10)
        driverVersion = try row.decode(atIndex: 11)
        precision = try row.decode(atIndex: 12)
        optimizer = try row.decode(atIndex: 13)
        checkpointing = try row.decode(atIndex: 14)
        trainingMode = try row.decode(atIndex: 15)
        unmodelled = try row.decode(atIndex: 16)
        loraRank = try row.decode(atIndex: 17)
        loraTargets = try row.decode(atIndex: 18)
        loraDropout = try row.decode(atIndex: 19)
        attention = try row.decode(atIndex: 20)
        task = try row.decode(atIndex: 21)
        batchSize = try row.decode(atIndex: 22)
        bracketNext = try row.decode(atIndex: 23)
        gradAccumSteps = try row.decode(atIndex: 24)
        seqLen = try row.decode(atIndex: 25)
        imageSize = try row.decode(atIndex: 26)
        gpus = try row.decode(atIndex: 27)
        zeroStage = try row.decode(atIndex: 28)
        outcome = try row.decode(atIndex: 29)
        peakAllocatedBytes = try row.decode(atIndex: 30)
        peakReservedBytes = try row.decode(atIndex: 31)
        deviceUsedBytes = try row.decode(atIndex: 32)
        peakUnspecifiedBytes = try row.decode(atIndex: 33)
        contextBytes = try row.decode(atIndex: 34)
        stepTimeMs = try row.decode(atIndex: 35)
        source = try row.decode(atIndex: 36)
        url = try row.decode(atIndex: 37)
        notes = try row.decode(atIndex: 38)
        origin = try row.decode(atIndex: 39)
        recordedAt = try row.decode(atIndex: 40)
        phase = try row.decode(atIndex: 41)
        weightFormat = try row.decode(atIndex: 42)
        kvCacheDtype = try row.decode(atIndex: 43)
        tensorParallel = try row.decode(atIndex: 44)
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

    /// The run this row stores.
    var run: MeasuredRun {
        var run = MeasuredRun(
            key: runKey, kind: Self.kinds[kind] ?? .memAtBatch, model: model, gpu: gpu,
            gpuMemoryBytes: gpuMemoryBytes, memoryCapBytes: memoryCapBytes, framework: framework, trainer: trainer,
            stack: trainingStack.flatMap(Self.stack(json:)), cudaVersion: cudaVersion, driverVersion: driverVersion,
            precision: precision.flatMap { Self.precisions[$0] }, optimizer: optimizer.flatMap { Self.optimizers[$0] },
            checkpointing: Self.checkpointings[checkpointing] ?? .none,
            trainingMode: trainingMode.flatMap { Self.trainingModes[$0] }, loraRank: loraRank,
            loraTargets: loraTargets.map(Self.targets(list:)), loraDropout: loraDropout,
            attention: attention.flatMap { Self.attentions[$0] }, task: task.flatMap { Self.tasks[$0] },
            batchSize: batchSize, bracketNext: bracketNext, gradAccumSteps: gradAccumSteps, seqLen: seqLen,
            imageSize: imageSize, gpus: gpus, zeroStage: zeroStage, outcome: Self.outcomes[outcome] ?? .ok,
            peakAllocatedBytes: peakAllocatedBytes, peakReservedBytes: peakReservedBytes, deviceUsedBytes: deviceUsedBytes,
            peakUnspecifiedBytes: peakUnspecifiedBytes, contextBytes: contextBytes, stepTimeMs: stepTimeMs, source: source,
            url: url, notes: notes, unmodelled: unmodelled.map(Self.unmodelled(json:)) ?? [:],
            origin: Self.origins[origin] ?? .user, recordedAt: recordedAt)
        run.phase = phase == RunPhase.inference.rawValue ? .inference : nil
        run.weightFormat = weightFormat.flatMap { Self.weightFormats[$0] }
        run.kvCacheDType = kvCacheDtype.flatMap { Self.kvCacheDTypes[$0] }
        run.tensorParallel = tensorParallel
        return run
    }

    /// A stated training stack; `nil` when the JSON does not decode (as written by an incompatible version).
    static func stack(json: String) -> TrainingStackOverrides? {
        try? JSONDecoder().decode(TrainingStackOverrides.self, from: Data(json.utf8))
    }

    /// Unmodelled settings; empty when the JSON does not decode.
    static func unmodelled(json: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))) ?? [:]
    }

    /// Adapter targets, comma-separated.
    static func targets(list: String) -> [String] {
        list.split(separator: ",").map(String.init)
    }

    // Raw values by text (`init(rawValue:)` compares the text with each case in turn, a fifth of converting a row).
    static let kinds = byRawValue(MeasuredRun.Kind.self)
    static let precisions = byRawValue(Precision.self)
    static let optimizers = byRawValue(OptimizerKind.self)
    static let checkpointings = byRawValue(Checkpointing.self)
    static let trainingModes = byRawValue(TrainingMode.self)
    static let attentions = byRawValue(AttentionImplementation.self)
    static let tasks = byRawValue(TrainingTask.self)
    static let outcomes = byRawValue(MeasuredRun.Outcome.self)
    static let origins = byRawValue(RowOrigin.self)
    static let weightFormats = byRawValue(WeightFormat.self)
    static let kvCacheDTypes = byRawValue(KVCacheDType.self)

    private static func byRawValue<Value: RawRepresentable & CaseIterable>(_: Value.Type) -> [String: Value]
    where Value.RawValue == String {
        Dictionary(uniqueKeysWithValues: Value.allCases.map { ($0.rawValue, $0) })
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

