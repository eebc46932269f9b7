import BatchPlanCore
import GRDB

extension Catalog {
    /// A stored run and, when the planner cannot express it, why.
    public struct RunWithUsability: Sendable {
        public var stored: StoredRun
        /// `nil` when the run can be predicted and used for calibration.
        public var unusableReason: String?
        /// The catalog GPU the run's GPU name resolved to.
        public var gpu: GPU?
        /// The catalog model the run's model name resolved to.
        public var model: CatalogModel?
    }

    /// Every run (optionally filtered), each with the reason it cannot be used, if any.
    ///
    /// Without a GPU filter the runs are checked as they are read, in one transaction, with no list of stored runs in
    /// between.
    public func runsWithUsability(model: String? = nil, gpu: String? = nil) throws(CatalogError) -> [RunWithUsability] {
        if gpu != nil {
            let stored = try runs(model: model, gpu: gpu)
            return try read("checking runs") { db in
                var names = NameResolutions()
                return try stored.map { stored in try Self.usability(of: stored, db, names: &names) }
            }
        }
        return try read("checking runs") { db in
            var names = NameResolutions()
            var checked: [RunWithUsability] = []
            // Room for every run at once: growing by doubling copied each of them (904 bytes) twice on average.
            if model == nil { checked.reserveCapacity(try Int.fetchOne(db, sql: "SELECT count(*) FROM run") ?? 0) }
            try Self.forEachStoredRun(db, model: model) { stored, numbers in
                checked.append(try Self.usability(of: stored, db, names: &names, numbers: numbers))
            }
            return checked
        }
    }

    /// Model and GPU names already resolved while checking many runs: runs repeat a few names, and resolving one
    /// reads the GPU table (it was 56% of a refit, once per run).
    struct NameResolutions {
        var models: [String: CatalogModel?] = [:]
        var gpus: [String: GPU?] = [:]
        /// Whether each framework string parses (`Framework(parsing:)` trims and lowercases: a fifth of reading a run).
        var frameworks: [String: Bool] = [:]
        /// The same, by the bulk reader's number for the text (`RunRowReader.NameNumbers`): found without hashing it.
        var modelsByNumber: [CatalogModel??] = []
        var gpusByNumber: [GPU??] = []
        var frameworksByNumber: [Bool?] = []
        /// Every GPU for partial matches, read once (`GPUDirectory`).
        var gpuDirectory: GPUDirectory?
    }

    static func usability(of stored: StoredRun, _ db: Database) throws -> RunWithUsability {
        var names = NameResolutions()
        return try usability(of: stored, db, names: &names)
    }

    static func usability(
        of stored: consuming StoredRun, _ db: Database, names: inout NameResolutions,
        numbers: RunRowReader.NameNumbers = RunRowReader.NameNumbers()
    ) throws -> RunWithUsability {
        // The errors are dropped: no suggestions are worked out for them.
        let model = try Self.resolution(stored.run.model, number: numbers.model, &names.modelsByNumber, &names.models) {
            try? resolveModel($0, db, suggest: false)
        }
        var directory = names.gpuDirectory
        let gpu = try stored.run.gpu.flatMap { name in
            try Self.resolution(name, number: numbers.gpu, &names.gpusByNumber, &names.gpus) {
                try? resolveRunGPU($0, db, directory: &directory, suggest: false)
            }
        }
        names.gpuDirectory = directory
        let frameworkParses = try Self.resolution(
            stored.run.framework, number: numbers.framework, &names.frameworksByNumber, &names.frameworks
        ) { (try? Framework(parsing: $0)) != nil }
        let reason = reason(stored.run, model: model, gpu: gpu, frameworkParses: frameworkParses)
        return RunWithUsability(stored: stored, unusableReason: reason, gpu: gpu, model: model)
    }

    /// What `resolve` gives for `name`, worked out once per distinct name: found by the name's number when the
    /// reader gave one, else by the name.
    private static func resolution<Value>(
        _ name: String, number: Int?, _ byNumber: inout [Value?], _ byName: inout [String: Value],
        _ resolve: (String) throws -> Value
    ) throws -> Value {
        if let number, number < byNumber.count, let known = byNumber[number] { return known }
        let value: Value
        if let known = byName[name] {
            value = known
        } else {
            value = try resolve(name)
            byName[name] = value
        }
        if let number {
            if number >= byNumber.count { byNumber += Array(repeating: nil, count: number + 1 - byNumber.count) }
            byNumber[number] = value
        }
        return value
    }

    private static func reason(_ run: MeasuredRun, model: CatalogModel?, gpu: GPU?, frameworkParses: Bool) -> String? {
        if run.notes?.hasPrefix("NOT TRAINING") == true { return "not a training run (the source says so)" }
        if run.isInference { return "an inference run: it calibrates batchplan serve, not training plans" }
        if let problem = run.unmodelled["problem"] { return "incomplete: \(problem)" }
        if let (key, value) = run.unmodelled.sorted(by: { $0.key < $1.key }).first {
            return "batchplan does not model \(key.replacingOccurrences(of: "_", with: " ")) \"\(value)\""
        }
        guard let name = run.gpu else { return "the source names no GPU" }
        guard gpu != nil else {
            return "GPU not in catalog: not used for calibration (add \"\(name)\" with batchplan gpus add)"
        }
        guard let model else {
            return "model not in catalog: not used for calibration (add \"\(run.model)\" with batchplan models add or import)"
        }
        guard frameworkParses else {
            return "framework \"\(run.framework)\" is not modelled (pytorch, tensorflow, jax)"
        }
        guard run.precision != nil else { return "the source does not state the precision" }
        guard run.optimizer != nil || run.trainingMode == .frozen else { return "the source does not state the optimizer" }
        if model.family != .cnn && model.family != .custom && run.seqLen == nil && run.imageSize == nil {
            return "the source does not state the sequence length"
        }
        return nil
    }
}
