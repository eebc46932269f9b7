import BatchPlanCore
import Foundation
import GRDB

extension Catalog {
    /// What an import did.
    public struct ImportSummary: Sendable {
        public var added: Int
        /// Rows already in the catalog (same id or same content): importing a file twice adds nothing.
        public var duplicates: Int
        /// Rows left out with `--skip-invalid`, as `FILE:LINE: problem`.
        public var rejected: [String]
        /// Why each added run that calibration cannot use is unusable (`runs list --unusable`), in file order:
        /// stored all the same, but worth saying at import (a typo such as precision "bf17" shows here).
        public var unusable: [String] = []
    }

    /// Stores parsed runs in one transaction: all of them, or (with errors and no `skipInvalid`) none.
    ///
    /// A run whose model or GPU the catalog does not know is an error naming its line, with the fix. A dry run
    /// does the same work and rolls it back.
    ///
    /// The summary names every added run calibration will not use: those the catalog cannot express
    /// (`runs list --unusable`), and those whose readings are more than 100× off their prediction (a unit left off,
    /// `RunEvidence.checkPlausible`), which are stored but left out of the fit.
    public func importRuns(_ parsed: RunFile.Parsed, file: String, skipInvalid: Bool = false, dryRun: Bool = false)
        throws(CatalogError) -> ImportSummary
    {
        var (summary, usable) = try storeRuns(parsed, file: file, skipInvalid: skipInvalid, dryRun: dryRun)
        summary.unusable += RunEvidence.predictions(usable).skipped.map(\.1)
        return summary
    }

    /// `importRuns` without the predictions: stores the runs, and returns with the summary the added runs that
    /// calibration can express (to be predicted after the transaction).
    private func storeRuns(_ parsed: RunFile.Parsed, file: String, skipInvalid: Bool, dryRun: Bool)
        throws(CatalogError) -> (ImportSummary, usable: [RunWithUsability])
    {
        do {
            return try queue.write { db in
                var errors = parsed.errors.map(\.description)
                var valid: [MeasuredRun] = []
                for (line, run) in parsed.runs {
                    if let problem = try Self.referenceProblem(run, db) {
                        errors.append("\(file):\(line): \(problem)")
                    } else {
                        valid.append(run)
                    }
                }
                if !errors.isEmpty && !skipInvalid { throw CatalogError.rejectedRows(errors) }
                var summary = ImportSummary(added: 0, duplicates: 0, rejected: errors)
                var added: [RunWithUsability] = []
                var names = NameResolutions()
                for run in valid {
                    if try RunRecord.filter(sql: "run_key = ?", arguments: [run.key]).fetchCount(db) > 0 {
                        summary.duplicates += 1
                        continue
                    }
                    var record = RunRecord(run)
                    try record.insert(db)
                    summary.added += 1
                    let checked = try Self.usability(of: StoredRun(id: record.id ?? 0, run: run), db, names: &names)
                    if let reason = checked.unusableReason {
                        summary.unusable.append(reason)
                    } else if checked.gpu != nil, checked.model != nil {
                        added.append(checked)
                    }
                }
                if summary.added > 0 { try Self.markCalibrationStale(db) }
                if dryRun { throw DryRun(summary: summary, usable: added) }
                return (summary, added)
            }
        } catch let dry as DryRun {
            return (dry.summary, dry.usable)
        } catch {
            throw Self.translate(error, path: path, operation: "importing runs")
        }
    }

    /// Thrown inside the transaction to roll a dry run back.
    private struct DryRun: Error {
        var summary: ImportSummary
        var usable: [RunWithUsability]
    }

    /// Why a user's run cannot be stored: a reading larger than its (known) card. A run whose model or GPU the
    /// catalog does not define is stored all the same and listed as "model not in catalog: not used for
    /// calibration"; it becomes usable when the model or card is added.
    static func referenceProblem(_ run: MeasuredRun, _ db: Database) throws -> String? {
        guard let gpu = run.gpu, let card = try? resolveRunGPU(gpu, db) else { return nil }
        if run.outcome == .ok, let reading = run.largestReading, reading > card.memoryBytes {
            return "a reading of \(ByteSize.format(reading)) is larger than the \(card.name)'s \(ByteSize.format(card.memoryBytes)); "
                + "mark the run as oom or fix the units"
        }
        return nil
    }

    /// Resolves a run's GPU; an ambiguous name whose candidates all have the same memory ("A100-80GB": PCIe or
    /// SXM) resolves to the first, since memory is all a run's GPU decides here.
    static func resolveRunGPU(_ name: String, _ db: Database) throws -> GPU {
        var directory: GPUDirectory?
        return try resolveRunGPU(name, db, directory: &directory)
    }

    /// `resolveRunGPU(_:_:)` through `resolveGPU(_:_:directory:suggest:)`.
    static func resolveRunGPU(
        _ name: String, _ db: Database, directory: inout GPUDirectory?, suggest: Bool = true
    ) throws -> GPU {
        do {
            return try resolveGPU(name, db, directory: &directory, suggest: suggest)
        } catch let CatalogError.ambiguousGPU(_, candidates) {
            let gpus = try candidates.map { try resolveGPU($0, db, directory: &directory, suggest: suggest) }
            guard let first = gpus.first, gpus.allSatisfy({ $0.memoryBytes == first.memoryBytes }) else {
                throw CatalogError.ambiguousGPU(name: name, candidates: candidates)
            }
            return first
        }
    }

    static func markCalibrationStale(_ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO catalog_meta (key, value) VALUES ('calibration_stale', '1')
            ON CONFLICT(key) DO UPDATE SET value = '1'
            """)
    }

    /// Stored runs, optionally for one model and/or GPU (matched as written, case-insensitive).
    public func runs(model: String? = nil, gpu: String? = nil) throws(CatalogError) -> [StoredRun] {
        try read("listing runs") { db in
            var runs: [StoredRun] = []
            try Self.forEachStoredRun(db, model: model) { stored, _ in runs.append(stored) }
            if let gpu {
                let wanted = try? Self.resolveRunGPU(gpu, db)
                runs = runs.filter { stored in
                    guard let name = stored.run.gpu else { return false }
                    if let wanted, let resolved = try? Self.resolveRunGPU(name, db) { return resolved.name == wanted.name }
                    return name.caseInsensitiveCompare(gpu) == .orderedSame
                }
            }
            return runs
        }
    }

    /// Calls `body` with every stored run, optionally for one model (matched as written, case-insensitive), in the
    /// catalog's order: by origin (built-in, then the user's), then by id.
    ///
    /// That is `ORDER BY origin, id`, read in one scan in id order with no sort: the built-in runs are handed over
    /// as they are read and the user's kept until the scan ends (the `origin` column's check allows only those two).
    /// Sorting every run by origin was a fifth of reading them, and a scan per origin read the table twice. Rows are
    /// read straight from the statement (`RunRowReader`).
    ///
    /// `body` also gets the run's model, GPU and framework texts by number (`RunRowReader.NameNumbers`).
    ///
    /// `ids` limits the scan to the runs whose ids it holds (all models): the built-in ones among them, then the user's.
    static func forEachStoredRun(
        _ db: Database, model: String?, ids: ClosedRange<Int64>? = nil,
        _ body: (StoredRun, RunRowReader.NameNumbers) throws -> Void
    ) throws {
        let columns = RunRecord.columnNames.map { "\"\($0)\"" }.joined(separator: ", ")
        let statement = try db.cachedStatement(sql: ids != nil
            ? "SELECT \(columns) FROM run WHERE id >= ? AND id <= ? ORDER BY id"
            : model == nil
            ? "SELECT \(columns) FROM run ORDER BY id"
            : "SELECT \(columns) FROM run WHERE model = ? COLLATE NOCASE ORDER BY id")
        var reader = RunRowReader()
        var users: [(StoredRun, RunRowReader.NameNumbers)] = []
        let arguments: StatementArguments =
            if let ids { [ids.lowerBound, ids.upperBound] } else { StatementArguments(model.map { [$0] } ?? []) }
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while try rows.next() != nil {
            let stored = try reader.storedRun(statement.sqliteStatement)
            if reader.readBuiltinRow {
                try body(stored, reader.lastNames)
            } else {
                users.append((stored, reader.lastNames))
            }
        }
        for (stored, names) in users { try body(stored, names) }
    }

    /// Removes a run the user recorded or imported.
    public func removeRun(id: Int64) throws(CatalogError) {
        try write("removing a run") { db in
            guard let record = try RunRecord.fetchOne(db, key: id) else {
                throw CatalogError.invalidInput("there is no run \(id); see batchplan runs list")
            }
            guard record.origin == RowOrigin.user.rawValue else {
                throw CatalogError.notUserRow(what: "run", name: String(id))
            }
            try record.delete(db)
            try Self.markCalibrationStale(db)
        }
    }

    /// Replaces the built-in runs with the embedded `data/runs/*.jsonl`; the user's runs stay.
    static func refreshBuiltinRuns(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM run WHERE origin = 'builtin'")
        for path in EmbeddedData.paths(under: "data/runs/") where path.hasSuffix(".jsonl") {
            let parsed = try RunFile.parse(
                data: Data(EmbeddedData.text(path)!.utf8), file: path, format: .jsonl, origin: .builtin,
                now: timestamp())
            if let error = parsed.errors.first { throw CatalogError.invalidInput("built-in runs: \(error)") }
            for (_, run) in parsed.runs {
                var record = RunRecord(run)
                try record.insert(db)
            }
        }
        try markCalibrationStale(db)
    }
}
