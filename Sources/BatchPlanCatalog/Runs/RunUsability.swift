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
        try runsWithUsability(model: model, gpu: gpu, halvesFrom: Self.runsReadInHalves)
    }

    /// `runsWithUsability(model:gpu:)`, reading every run in two halves from `halvesFrom` runs (tests lower it).
    func runsWithUsability(model: String?, gpu: String?, halvesFrom: Int) throws(CatalogError) -> [RunWithUsability] {
        if gpu != nil {
            let stored = try runs(model: model, gpu: gpu)
            return try read("checking runs") { db in
                var names = NameResolutions()
                return try stored.map { stored in try Self.usability(of: stored, db, names: &names) }
            }
        }
        if model == nil, let halves = try runsWithUsabilityInHalves(from: halvesFrom) { return halves }
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

    /// Runs from which every run is read in two halves at once (a refit's first stage, `runs list`).
    static let runsReadInHalves = 20_000

    /// Every run with its usability, read as two halves of the id range on two cores, each on a read-only
    /// connection of its own (SQLite reads a table on one thread per connection; the catalog is in WAL mode, so
    /// readers do not wait for each other). `nil` for an in-memory catalog, one with fewer than `threshold` runs, or
    /// a single core: then one scan reads them.
    ///
    /// The order is the single scan's: the built-in runs of both halves, then the user's of both, each by id. The
    /// halves are read in snapshots of their own, so each notes the table's count and largest id in its snapshot:
    /// unless both saw the table as it was when the halves were chosen, a write came in between (a run recorded, or
    /// the built-in runs replaced by another build, which renumbers them) and one scan reads it all again.
    private func runsWithUsabilityInHalves(from threshold: Int) throws(CatalogError) -> [RunWithUsability]? {
        guard path != ":memory:", ParallelMap.defaultConcurrency > 1 else { return nil }
        let bounds = try read("checking runs") { db -> (table: TableState, middle: Int64?) in
            let table = try TableState(db, "run")
            guard table.count >= threshold else { return (table, nil) }
            return (
                table,
                try Int64.fetchOne(db, sql: "SELECT id FROM run ORDER BY id LIMIT 1 OFFSET ?", arguments: [table.count / 2])
            )
        }
        guard let middle = bounds.middle, middle > Int64.min else { return nil }
        let path = self.path
        let halves = ParallelMap.map(2, concurrency: 2) { half -> Result<Half, CatalogError> in
            do {
                let queue = try Self.halfQueue(path)
                let ids = half == 0 ? Int64.min...(middle - 1) : middle...Int64.max
                return .success(try queue.read { db in
                    var names = NameResolutions()
                    var part = Half(table: try TableState(db, "run"))
                    part.runs.reserveCapacity(bounds.table.count / 2 + 1)
                    try Self.forEachStoredRun(db, model: nil, ids: ids) { stored, numbers in
                        let checked = try Self.usability(of: stored, db, names: &names, numbers: numbers)
                        if checked.stored.run.origin == .builtin { part.builtin += 1 }
                        part.runs.append(checked)
                    }
                    return part
                })
            } catch {
                return .failure(Self.translate(error, path: path, operation: "checking runs"))
            }
        }
        // A half that could not be read (a second connection refused) leaves it to the single scan, which reports
        // an error that is really there.
        guard case .success(let first) = halves[0], case .success(let second) = halves[1],
            first.table == bounds.table && second.table == bounds.table
        else { return nil }
        var all: [RunWithUsability] = []
        all.reserveCapacity(first.runs.count + second.runs.count)
        all += first.runs[..<first.builtin]
        all += second.runs[..<second.builtin]
        all += first.runs[first.builtin...]
        all += second.runs[second.builtin...]
        return all
    }

    /// A read-only connection of its own to the catalog at `path`, for one half of a read on two cores (WAL readers
    /// do not wait for each other).
    static func halfQueue(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(15)
        configuration.label = "batchplan.catalog.half"
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// One half's runs in the scan's order (its built-in runs first), how many are built in, and the table it read.
    private struct Half: Sendable {
        var table: TableState
        var runs: [RunWithUsability] = []
        var builtin = 0
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

        /// Drops the resolutions by number: another reader numbers the names it meets from 0 again.
        mutating func forgetNumbers() {
            modelsByNumber = []
            gpusByNumber = []
            frameworksByNumber = []
        }
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
