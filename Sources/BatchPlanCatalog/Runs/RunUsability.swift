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
            try Self.forEachStoredRun(db, model: model) { stored in
                checked.append(try Self.usability(of: stored, db, names: &names))
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
    }

    static func usability(of stored: StoredRun, _ db: Database) throws -> RunWithUsability {
        var names = NameResolutions()
        return try usability(of: stored, db, names: &names)
    }

    static func usability(
        of stored: consuming StoredRun, _ db: Database, names: inout NameResolutions
    ) throws -> RunWithUsability {
        let model: CatalogModel?
        if let known = names.models[stored.run.model] {
            model = known
        } else {
            model = try? resolveModel(stored.run.model, db)
            names.models[stored.run.model] = .some(model)
        }
        var gpu: GPU?
        if let name = stored.run.gpu {
            if let known = names.gpus[name] {
                gpu = known
            } else {
                gpu = try? resolveRunGPU(name, db)
                names.gpus[name] = .some(gpu)
            }
        }
        let frameworkParses = names.frameworks[stored.run.framework] ?? {
            let parses = (try? Framework(parsing: stored.run.framework)) != nil
            names.frameworks[stored.run.framework] = parses
            return parses
        }()
        let reason = reason(stored.run, model: model, gpu: gpu, frameworkParses: frameworkParses)
        return RunWithUsability(stored: stored, unusableReason: reason, gpu: gpu, model: model)
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
