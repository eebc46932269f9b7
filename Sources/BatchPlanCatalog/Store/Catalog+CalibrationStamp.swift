import BatchPlanCore
import GRDB

extension Catalog {
    /// What a calibration is fitted from, as one comparable string: the two fitters' code versions, the runs (count
    /// and newest row, and how many were removed or edited: a run removed and another recorded can leave both as
    /// they were), the models and GPUs the runs are predicted with (count and newest row, and the count of
    /// changes to them and their aliases that migration 0007's triggers keep: a replaced newest model takes the id of
    /// the one removed) and the embedded seed.
    ///
    /// Stored beside the fitted calibration (`catalog_meta.calibration_stamp`); a stored calibration whose stamp
    /// differs from the catalog's is stale, so a plan refits only when what the fit reads changed (or the code
    /// that fits did) and never otherwise. Cheap: a few aggregate queries over indexed rowids, no run is read.
    static func calibrationStamp(_ db: Database) throws -> String {
        func rows(_ table: String) throws -> String {
            let state = try TableState(db, table)
            return "\(state.count)/\(state.largest)"
        }
        let seed = try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'seed_version'") ?? "-"
        return "code \(CalibrationFitter.codeVersion); step-time code \(ThroughputFitter.codeVersion); runs \(try rows("run")); models \(try rows("model")); "
            + "gpus \(try rows("gpu")); definitions changed \(try definitionChanges(db)); runs changed \(try runChanges(db)); "
            + "seed \(seed)"
    }

    /// A table's row count and largest id in one snapshot: equal states, no row added, removed or renumbered in
    /// between (ids are never reused while a larger one exists).
    struct TableState: Equatable, Sendable {
        var count: Int
        var largest: Int64

        init(_ db: Database, _ table: String) throws {
            let row = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(max(id), 0) FROM \(table)")
            count = row?[0] ?? 0
            largest = row?[1] ?? 0
        }
    }

    /// The stamp of what a calibration fitted now would read.
    public func calibrationStamp() throws(CatalogError) -> String {
        try read("reading the calibration state") { db in try Self.calibrationStamp(db) }
    }

    /// The stamp stored with the last fitted calibration, if any.
    public func storedCalibrationStamp() throws(CatalogError) -> String? {
        try read("reading the calibration state") { db in
            try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'calibration_stamp'")
        }
    }
}
