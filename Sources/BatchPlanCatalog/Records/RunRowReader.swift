import BatchPlanCore
import Foundation
import GRDB
import GRDBSQLite

/// Reads many stored runs straight from a statement that selects `RunRecord.columnNames`, in that order.
///
/// `RunRecord(row:).run` reads each column through GRDB's row, makes a new string of every text column and converts
/// it again (enums, JSON). Runs read together repeat a few values in most text columns: a few models and cards, a
/// few sources, notes of a few hundred bytes, timestamps. Here each column's distinct texts are decoded once and
/// found again by their bytes, so a repeated value costs a comparison of its bytes, and equal values share one
/// string (which later makes comparing them cheap). The runs are those `RunRecord(row:).run` gives
/// (`RunRecordMappingTests`); a NULL where the table allows none throws, as GRDB's decoding did.
struct RunRowReader {
    /// Column indexes, in `RunRecord.columnNames` order.
    enum Column: Int32, CaseIterable {
        case id, runKey, kind, model, gpu, gpuMemoryBytes, memoryCapBytes, framework, trainer, trainingStack
        case cudaVersion, driverVersion, precision, optimizer, checkpointing, trainingMode, unmodelled, loraRank
        case loraTargets, loraDropout, attention, task, batchSize, bracketNext, gradAccumSteps, seqLen, imageSize
        case gpus, zeroStage, outcome, peakAllocatedBytes, peakReservedBytes, deviceUsedBytes, peakUnspecifiedBytes
        case contextBytes, stepTimeMs, source, url, notes, origin, recordedAt, phase, weightFormat, kvCacheDtype
        case tensorParallel
    }

    /// A NULL in a column the table declares NOT NULL (a catalog not written by batchplan).
    struct MissingValue: Error, CustomStringConvertible {
        var column: String
        var description: String { "a run has no \(column)" }
    }

    /// Whether the last row read has the origin `builtin` as written (what `ORDER BY origin` sorts by).
    private(set) var readBuiltinRow = false

    /// The last row's model, GPU and framework texts by number (`DistinctTexts.lastNumber`): equal numbers, equal
    /// texts, so what was worked out for one text can be found again without hashing it.
    struct NameNumbers {
        var model: Int?
        var gpu: Int?
        var framework: Int?
    }

    private(set) var lastNames = NameNumbers()

    private var texts = Array(repeating: DistinctTexts<String>(), count: Column.allCases.count)
    private var kinds = DistinctTexts<MeasuredRun.Kind?>()
    private var precisions = DistinctTexts<Precision?>()
    private var optimizers = DistinctTexts<OptimizerKind?>()
    private var checkpointings = DistinctTexts<Checkpointing?>()
    private var trainingModes = DistinctTexts<TrainingMode?>()
    private var attentions = DistinctTexts<AttentionImplementation?>()
    private var tasks = DistinctTexts<TrainingTask?>()
    private var outcomes = DistinctTexts<MeasuredRun.Outcome?>()
    private var origins = DistinctTexts<RowOrigin?>()
    private var phases = DistinctTexts<RunPhase?>()
    private var weightFormats = DistinctTexts<WeightFormat?>()
    private var kvCacheDTypes = DistinctTexts<KVCacheDType?>()
    private var stacks = DistinctTexts<TrainingStackOverrides?>()
    private var settings = DistinctTexts<[String: String]>()
    private var targetLists = DistinctTexts<[String]>()

    /// The run at the statement's current row.
    mutating func storedRun(_ statement: SQLiteStatement) throws -> StoredRun {
        func missing(_ column: Column) -> MissingValue { MissingValue(column: RunRecord.columnNames[Int(column.rawValue)]) }
        func int(_ column: Column) -> Int? {
            sqlite3_column_type(statement, column.rawValue) == SQLITE_NULL
                ? nil : Int(sqlite3_column_int64(statement, column.rawValue))
        }
        func requiredInt(_ column: Column) throws(MissingValue) -> Int {
            guard let value = int(column) else { throw missing(column) }
            return value
        }
        func double(_ column: Column) -> Double? {
            sqlite3_column_type(statement, column.rawValue) == SQLITE_NULL
                ? nil : sqlite3_column_double(statement, column.rawValue)
        }
        /// A column's value decoded through `values` from its text; `nil` for NULL.
        func decoded<Value>(_ column: Column, _ values: inout DistinctTexts<Value>, _ decode: (String) -> Value) -> Value? {
            Self.bytes(statement, column).map { values.value(of: $0, decode: decode) }
        }
        func requiredValue<Value>(
            _ column: Column, _ values: inout DistinctTexts<Value>, _ decode: (String) -> Value
        ) throws(MissingValue) -> Value {
            guard let value = decoded(column, &values, decode) else { throw missing(column) }
            return value
        }
        func text(_ column: Column) -> String? { decoded(column, &texts[Int(column.rawValue)]) { $0 } }
        func requiredText(_ column: Column) throws(MissingValue) -> String {
            try requiredValue(column, &texts[Int(column.rawValue)]) { $0 }
        }

        guard let id = int(.id) else { throw missing(.id) }
        // Every run's key differs: decoded, not kept.
        guard let key = Self.bytes(statement, .runKey).map(DistinctTexts<String>.string) else { throw missing(.runKey) }
        let kind = try requiredValue(.kind, &kinds) { RunRecord.kinds[$0] } ?? .memAtBatch
        let model = try requiredText(.model)
        let framework = try requiredText(.framework)
        let gpu = text(.gpu)
        lastNames = NameNumbers(
            model: texts[Int(Column.model.rawValue)].lastNumber,
            gpu: gpu == nil ? nil : texts[Int(Column.gpu.rawValue)].lastNumber,
            framework: texts[Int(Column.framework.rawValue)].lastNumber)
        let precision = decoded(.precision, &precisions) { RunRecord.precisions[$0] } ?? nil
        let optimizer = decoded(.optimizer, &optimizers) { RunRecord.optimizers[$0] } ?? nil
        let checkpointing = try requiredValue(.checkpointing, &checkpointings) { RunRecord.checkpointings[$0] } ?? .none
        let trainingMode = decoded(.trainingMode, &trainingModes) { RunRecord.trainingModes[$0] } ?? nil
        let attention = decoded(.attention, &attentions) { RunRecord.attentions[$0] } ?? nil
        let task = decoded(.task, &tasks) { RunRecord.tasks[$0] } ?? nil
        let outcome = try requiredValue(.outcome, &outcomes) { RunRecord.outcomes[$0] } ?? .ok
        let writtenOrigin = try requiredValue(.origin, &origins) { RunRecord.origins[$0] }
        readBuiltinRow = writtenOrigin == .builtin
        let origin = writtenOrigin ?? .user
        let phase = try requiredValue(.phase, &phases) { $0 == RunPhase.inference.rawValue ? .inference : nil }
        var run = MeasuredRun(
            key: key, kind: kind, model: model, gpu: gpu, gpuMemoryBytes: int(.gpuMemoryBytes),
            memoryCapBytes: int(.memoryCapBytes), framework: framework, trainer: text(.trainer),
            stack: decoded(.trainingStack, &stacks, RunRecord.stack(json:)) ?? nil, cudaVersion: text(.cudaVersion),
            driverVersion: text(.driverVersion), precision: precision, optimizer: optimizer, checkpointing: checkpointing,
            trainingMode: trainingMode, loraRank: int(.loraRank),
            loraTargets: decoded(.loraTargets, &targetLists, RunRecord.targets(list:)), loraDropout: double(.loraDropout),
            attention: attention, task: task, batchSize: int(.batchSize), bracketNext: int(.bracketNext),
            gradAccumSteps: try requiredInt(.gradAccumSteps), seqLen: int(.seqLen), imageSize: int(.imageSize),
            gpus: try requiredInt(.gpus), zeroStage: try requiredInt(.zeroStage), outcome: outcome,
            peakAllocatedBytes: int(.peakAllocatedBytes), peakReservedBytes: int(.peakReservedBytes),
            deviceUsedBytes: int(.deviceUsedBytes), peakUnspecifiedBytes: int(.peakUnspecifiedBytes),
            contextBytes: int(.contextBytes), stepTimeMs: double(.stepTimeMs), source: try requiredText(.source),
            url: text(.url), notes: text(.notes),
            unmodelled: decoded(.unmodelled, &settings, RunRecord.unmodelled(json:)) ?? [:],
            origin: origin, recordedAt: try requiredText(.recordedAt))
        run.phase = phase
        run.weightFormat = decoded(.weightFormat, &weightFormats) { RunRecord.weightFormats[$0] } ?? nil
        run.kvCacheDType = decoded(.kvCacheDtype, &kvCacheDTypes) { RunRecord.kvCacheDTypes[$0] } ?? nil
        run.tensorParallel = int(.tensorParallel)
        return StoredRun(id: Int64(id), run: run)
    }

    /// A text column's bytes up to its first NUL (what GRDB's `String(cString:)` reads), or `nil` for NULL.
    private static func bytes(_ statement: SQLiteStatement, _ column: Column) -> UnsafeBufferPointer<UInt8>? {
        guard let text = sqlite3_column_text(statement, column.rawValue) else { return nil }
        return UnsafeBufferPointer(start: text, count: strlen(text))
    }
}
