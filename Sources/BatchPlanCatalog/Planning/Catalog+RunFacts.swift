import BatchPlanCore
import Foundation
import GRDB
import GRDBSQLite

extension Catalog {
    /// Every run's calibration facts, in the order a fit reads the runs (the built-in ones, then the user's, each by
    /// id), with how many were predicted now and how many were kept from an earlier refit.
    public struct RefitFacts: Sendable {
        public init(facts: [RunEvidence.RunFacts], predicted: Int, kept: Int) {
            self.facts = facts
            self.predicted = predicted
            self.kept = kept
        }

        public var facts: [RunEvidence.RunFacts]
        /// Runs read and predicted by this refit (every run when nothing was kept, or the stamp changed).
        public var predicted: Int
        /// Runs whose facts (or whose having none) an earlier refit kept (`run_evidence`).
        public var kept: Int
    }

    /// The facts a refit fits from: kept ones for the runs an earlier refit saw under the same evidence stamp
    /// (`evidenceStamp`), the others read, predicted and kept now (best effort: a catalog that cannot be written to
    /// predicts them again next time).
    ///
    /// The same facts, in the same order, as predicting every run: a run's facts depend on the run, its model, its
    /// card and the code alone, and the stamp covers all but the run, whose row goes with it.
    public func refitFacts() throws(CatalogError) -> RefitFacts {
        try refitFacts(keptHalvesFrom: Self.keptReadInHalves)
    }

    /// `refitFacts()`, reading the kept facts in two halves from `keptHalvesFrom` kept rows (tests lower it).
    func refitFacts(keptHalvesFrom: Int) throws(CatalogError) -> RefitFacts {
        let (facts, keep) = try refitFactsKeepingLater(keptHalvesFrom: keptHalvesFrom)
        keep()
        return facts
    }

    /// The facts, and the keeping of the new ones (best effort) to run when the caller likes: a refit keeps them
    /// while it fits (after a new build, 100,000 runs' facts take half a second to write).
    func refitFactsKeepingLater(
        keptHalvesFrom: Int = Catalog.keptReadInHalves
    ) throws(CatalogError) -> (facts: RefitFacts, keep: @Sendable () -> Void) {
        var snapshot = try keptFacts(halvesFrom: keptHalvesFrom)
        let runs: [RunWithUsability]
        if let missing = snapshot.missing { runs = missing } else { runs = try runsWithUsability() }
        let (predictions, skipped) = RunEvidence.predictions(runs)
        let facts = RunEvidence.facts(predictions)
        let skippedIDs = Set(skipped.map(\.0.id))
        var made: [MadeFacts] = []
        made.reserveCapacity(runs.count)
        var next = 0
        for run in runs {
            var index: Int?
            if run.unusableReason == nil, run.gpu != nil, run.model != nil, !skippedIDs.contains(run.stored.id) {
                index = next
                next += 1
            }
            made.append(MadeFacts(id: run.stored.id, key: run.stored.run.key, builtin: run.stored.run.origin == .builtin, facts: index))
        }
        let stamp = snapshot.stamp
        let keep: @Sendable () -> Void = { [made, facts] in try? self.keep(made, facts, stamp: stamp) }
        // Into the fit's order: the kept facts are in it already; the new ones go after them in their group, which
        // is where runs recorded since the last refit belong (their ids are larger); else the group is sorted again.
        for entry in made {
            guard let index = entry.facts else { continue }
            snapshot.groups[entry.builtin ? 0 : 1].append(facts[index], id: entry.id)
        }
        var all: [RunEvidence.RunFacts] = []
        all.reserveCapacity(snapshot.groups[0].facts.count + snapshot.groups[1].facts.count)
        for group in snapshot.groups.indices {
            snapshot.groups[group].sortIfNeeded()
            all.append(contentsOf: snapshot.groups[group].facts)
            snapshot.groups[group] = FactsGroup()
        }
        return (RefitFacts(facts: all, predicted: runs.count, kept: snapshot.keptCount), keep)
    }

    /// Drops every run's kept facts: the next refit predicts every run again (what a refit costs after a new build,
    /// a new model or card; benchmarks time it).
    public func forgetRunFacts() throws(CatalogError) {
        try write("dropping the runs' kept calibration facts") { db in
            try db.execute(sql: "DELETE FROM run_evidence")
            try db.execute(sql: "DELETE FROM catalog_meta WHERE key = 'evidence_stamp'")
        }
    }

    /// A run read and predicted by a refit: its facts' index among those predicted, `nil` when it gives none.
    private struct MadeFacts {
        var id: Int64
        var key: String
        var builtin: Bool
        var facts: Int?
    }

    /// Facts of runs of one origin, with their runs' ids, in id order once `sortIfNeeded` ran.
    private struct FactsGroup {
        var facts: [RunEvidence.RunFacts] = []
        var ids: [Int64] = []

        mutating func append(_ value: RunEvidence.RunFacts, id: Int64) {
            facts.append(value)
            ids.append(id)
        }

        mutating func sortIfNeeded() {
            guard zip(ids, ids.dropFirst()).contains(where: { $0 >= $1 }) else { return }
            let order = ids.indices.sorted { ids[$0] < ids[$1] }
            facts = order.map { facts[$0] }
            ids = order.map { ids[$0] }
        }
    }

    /// What one read transaction finds: the stamp; the kept facts (none when the stamp differs) of the built-in runs
    /// and of the user's (`groups`, in that order), each in id order; and the runs without kept facts, read and
    /// checked (`nil` when those are most runs: then the two-halves read takes them all).
    private struct KeptSnapshot {
        var stamp: String
        var groups = [FactsGroup(), FactsGroup()]
        /// Runs whose facts, or whose having none, were kept.
        var keptCount = 0
        /// The ids of the kept rows read.
        var keptIDs: [Int64] = []
        var missing: [RunWithUsability]?
    }

    /// The kept facts and the runs without any, read on one connection, or (from `keptReadInHalves` kept rows) the
    /// kept facts of two halves of the id range decoded on two cores, each half on a read-only connection of its
    /// own, and the runs without kept facts read on this one meanwhile.
    private func keptFacts(halvesFrom threshold: Int) throws(CatalogError) -> KeptSnapshot {
        let single = { () throws(CatalogError) -> KeptSnapshot in
            try self.read("reading the runs' kept calibration facts") { db in
                let stamp = try Self.evidenceStamp(db)
                guard try Self.storedEvidenceStamp(db) == stamp else { return KeptSnapshot(stamp: stamp) }
                var snapshot = try Self.decodeKept(db, ids: nil, stamp: stamp)
                try Self.readMissing(db, into: &snapshot)
                return snapshot
            }
        }
        guard path != ":memory:", ParallelMap.defaultConcurrency > 1 else { return try single() }
        let plan = try read("reading the runs' kept calibration facts") {
            db -> (stamp: String, runs: RunsState, middle: Int64?) in
            let stamp = try Self.evidenceStamp(db)
            // The runs' count (the kept rows are at most as many, and usually as many: counting them would read
            // every row) and the kept rows' id range (their first and last): the halves split the range in the middle.
            let runs = try RunsState(db)
            let row = try Row.fetchOne(db, sql: "SELECT min(run_id), max(run_id) FROM run_evidence")
            let (low, high): (Int64?, Int64?) = (row?[0], row?[1])
            guard try Self.storedEvidenceStamp(db) == stamp, runs.table.count >= threshold, let low, let high, low < high
            else { return (stamp, runs, nil) }
            return (stamp, runs, low / 2 + high / 2 + (low % 2 + high % 2) / 2 + 1)
        }
        guard let middle = plan.middle, middle > Int64.min else { return try single() }
        // The halves and the last read are separate snapshots: unless each sees the stamp and the runs as the plan
        // did (no run recorded or removed in between), one read does it all.
        @Sendable func asPlanned(_ db: Database) throws -> Bool {
            try Self.storedEvidenceStamp(db) == plan.stamp && Self.evidenceStamp(db) == plan.stamp
                && RunsState(db) == plan.runs
        }
        let path = self.path
        let halves = ParallelMap.map(2, concurrency: 2) { half -> KeptSnapshot? in
            guard let queue = try? Self.halfQueue(path) else { return nil }
            return try? queue.read { db -> KeptSnapshot? in
                guard try asPlanned(db) else { return nil }
                return try Self.decodeKept(db, ids: half == 0 ? Int64.min...(middle - 1) : middle...Int64.max, stamp: plan.stamp)
            }
        }
        guard let lower = halves[0], let upper = halves[1] else { return try single() }
        var snapshot = KeptSnapshot(stamp: plan.stamp)
        for group in snapshot.groups.indices {
            snapshot.groups[group] = lower.groups[group]
            snapshot.groups[group].facts += upper.groups[group].facts
            snapshot.groups[group].ids += upper.groups[group].ids
        }
        snapshot.keptIDs = lower.keptIDs + upper.keptIDs
        let read = try self.read("reading the runs' kept calibration facts") { db -> KeptSnapshot? in
            guard try asPlanned(db) else { return nil }
            try Self.readMissing(db, into: &snapshot)
            return snapshot
        }
        if let read { return read }
        return try single()
    }

    /// Kept rows from which `keptFacts` reads them in two halves (of the id range, which is about one of the rows:
    /// ids are given in order).
    static let keptReadInHalves = 20_000

    /// How many times a model, GPU or alias row was inserted, updated or removed (migration 0007's triggers).
    static func definitionChanges(_ db: Database) throws -> String {
        try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'definitions_changed'") ?? "0"
    }

    /// How many times a run was removed or edited (migration 0007's triggers).
    static func runChanges(_ db: Database) throws -> String {
        try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'runs_changed'") ?? "0"
    }

    /// The runs as a snapshot sees them: count, largest id, and removals and edits.
    struct RunsState: Equatable {
        var table: TableState
        var changes: String

        init(_ db: Database) throws {
            table = try TableState(db, "run")
            changes = try runChanges(db)
        }
    }

    private static func storedEvidenceStamp(_ db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'evidence_stamp'")
    }

    /// The facts kept for the runs with ids in `ids` (all without), each decoded into its place in the fit's order.
    private static func decodeKept(_ db: Database, ids: ClosedRange<Int64>?, stamp: String) throws -> KeptSnapshot {
        var snapshot = KeptSnapshot(stamp: stamp)
        // By id, each run's facts decoded into its origin's group: the groups are then in the fit's order.
        let statement = try db.cachedStatement(
            sql: "SELECT run_id, builtin, payload FROM run_evidence WHERE run_id BETWEEN ? AND ? ORDER BY run_id")
        var shared = RunEvidence.RunFacts.SharedTexts()
        let range = ids ?? Int64.min...Int64.max
        let rows = try Row.fetchCursor(statement, arguments: [range.lowerBound, range.upperBound])
        let sqlite = statement.sqliteStatement
        while try rows.next() != nil {
            let id = sqlite3_column_int64(sqlite, 0)
            let builtin = sqlite3_column_int64(sqlite, 1) == 1
            let count = Int(sqlite3_column_bytes(sqlite, 2))
            if count > 0 {
                // Bytes this code did not write: the run is predicted again, and its row replaced.
                guard let start = sqlite3_column_blob(sqlite, 2),
                    let facts = RunEvidence.RunFacts.decode(
                        UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count),
                        shared: &shared)
                else { continue }
                snapshot.groups[builtin ? 0 : 1].append(facts, id: id)
            }
            snapshot.keptIDs.append(id)
        }
        return snapshot
    }

    /// Reads the runs without kept facts into `snapshot.missing` (`nil` when those are most runs: then the two-halves
    /// read takes them all).
    ///
    /// Every kept row is a run's (`run_evidence_follows_run` removes it with its run), so when there are as many runs
    /// as kept rows, none is missing, and when the runs after the newest kept one make up the difference, they are
    /// the missing ones (runs recorded since the last refit). Otherwise every run's id is read to find them.
    private static func readMissing(_ db: Database, into snapshot: inout KeptSnapshot) throws {
        let runs = try TableState(db, "run")
        let keptCount = snapshot.keptIDs.count
        snapshot.keptCount = keptCount
        var stretches: [ClosedRange<Int64>] = []
        var missingCount = runs.count - keptCount
        let newest = snapshot.keptIDs.max() ?? Int64.min
        let tail = missingCount > 0 && newest < Int64.max
            ? try Int64.fetchAll(db, sql: "SELECT id FROM run WHERE id > ? ORDER BY id", arguments: [newest]) : []
        if missingCount == 0 {
            // Nothing to read.
        } else if tail.count == missingCount, let first = tail.first, let last = tail.last {
            stretches = [first...last]
        } else {
            // The runs without kept facts, by their positions among all runs' ids.
            var keptIDs = snapshot.keptIDs
            keptIDs.sort()
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM run ORDER BY id")
            var missing: [Int] = []
            var keptIndex = 0
            for (position, id) in ids.enumerated() {
                while keptIndex < keptIDs.count, keptIDs[keptIndex] < id { keptIndex += 1 }
                if keptIndex < keptIDs.count, keptIDs[keptIndex] == id {
                    keptIndex += 1
                } else {
                    missing.append(position)
                }
            }
            missingCount = missing.count
            var start = 0
            while start < missing.count {
                var end = start
                while end + 1 < missing.count, missing[end + 1] == missing[end] + 1 { end += 1 }
                stretches.append(ids[missing[start]]...ids[missing[end]])
                start = end + 1
            }
        }
        guard missingCount <= runs.count / 2 else {
            snapshot = KeptSnapshot(stamp: snapshot.stamp)
            return
        }
        // Read by stretches of consecutive runs; each stretch's reader numbers the names it meets from 0 again, so
        // the resolutions by number start afresh with each (those by name stay).
        var checked: [RunWithUsability] = []
        checked.reserveCapacity(missingCount)
        var names = NameResolutions()
        for stretch in stretches {
            names.forgetNumbers()
            try forEachStoredRun(db, model: nil, ids: stretch) { stored, numbers in
                checked.append(try usability(of: stored, db, names: &names, numbers: numbers))
            }
        }
        snapshot.missing = checked
    }

    /// Keeps runs' facts under `stamp`, unless what the stamp covers changed since they were worked out (then they
    /// may be facts of another model or card); a stamp other than the kept rows' drops those first. A run removed
    /// meanwhile, or whose id another run took, gets no row.
    private func keep(_ made: [MadeFacts], _ facts: [RunEvidence.RunFacts], stamp: String) throws(CatalogError) {
        guard !made.isEmpty else { return }
        // Encoded on every core before the write transaction.
        let parts = max(1, min(ParallelMap.defaultConcurrency, made.count / 1024))
        let payloads = ParallelMap.map(parts) { part in
            (made.count * part / parts..<made.count * (part + 1) / parts).map { index in
                made[index].facts.map { facts[$0].encoded() } ?? []
            }
        }.flatMap { $0 }
        try write("keeping the runs' calibration facts") { db in
            guard try Self.evidenceStamp(db) == stamp else { return }
            let stored = try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'evidence_stamp'")
            if stored != stamp {
                try db.execute(sql: "DELETE FROM run_evidence")
                try db.execute(
                    sql: """
                        INSERT INTO catalog_meta (key, value) VALUES ('evidence_stamp', ?)
                        ON CONFLICT(key) DO UPDATE SET value = excluded.value
                        """,
                    arguments: [stamp])
            }
            // Bound and stepped through SQLite's own calls: through GRDB's arguments, each row's five values were
            // boxed, and the write of 100,000 rows took a second.
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO run_evidence (run_id, builtin, payload)
                    SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM run WHERE id = ?1 AND run_key = ?4)
                    """)
            let sqlite = statement.sqliteStatement
            let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
            func check(_ code: Int32, _ done: Int32 = SQLITE_OK) throws {
                guard code == done else {
                    let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
                    sqlite3_reset(sqlite)
                    sqlite3_clear_bindings(sqlite)
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
                }
            }
            for (entry, payload) in zip(made, payloads) {
                sqlite3_reset(sqlite)
                sqlite3_clear_bindings(sqlite)
                try check(sqlite3_bind_int64(sqlite, 1, entry.id))
                try check(sqlite3_bind_int64(sqlite, 2, entry.builtin ? 1 : 0))
                // An empty blob, not NULL, for a run that gives nothing (the column is NOT NULL).
                try payload.withUnsafeBytes { bytes in
                    try check(sqlite3_bind_blob(
                        sqlite, 3, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), transient))
                }
                // By its bytes and length: a key holding a NUL is bound whole.
                let key = Array(entry.key.utf8)
                try key.withUnsafeBytes { bytes in
                    try check(sqlite3_bind_text(
                        sqlite, 4, (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self),
                        Int32(bytes.count), transient))
                }
                try check(sqlite3_step(sqlite), SQLITE_DONE)
            }
            sqlite3_reset(sqlite)
            sqlite3_clear_bindings(sqlite)
        }
    }

    /// What every run's facts depend on besides the run: the facts' format, the code that reads and predicts runs
    /// (fingerprints of BatchPlanCore's and BatchPlanCatalog's sources, and how Foundation writes a configuration
    /// as JSON), the models and GPUs runs resolve to and their aliases (counts, newest rows, and the count of changes
    /// to them that migration 0007's triggers keep: a replaced newest row takes the id of the one removed) and the
    /// embedded seed.
    static func evidenceStamp(_ db: Database) throws -> String {
        func rows(_ table: String) throws -> String {
            let state = try TableState(db, table)
            return "\(state.count)/\(state.largest)"
        }
        func count(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
        let seed = try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'seed_version'") ?? "-"
        return "facts \(RunEvidence.RunFacts.format); core \(EmbeddedResources.coreFingerprint); "
            + "catalog \(EmbeddedResources.catalogFingerprint); json \(RunEvidence.Questions.encoderProbe); "
            + "models \(try rows("model")); gpus \(try rows("gpu")); aliases \(try count("model_alias"))/\(try count("gpu_alias")); "
            + "definitions changed \(try definitionChanges(db)); seed \(seed)"
    }
}
