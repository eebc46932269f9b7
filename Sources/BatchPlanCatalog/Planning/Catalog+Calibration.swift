import BatchPlanCore
import Foundation
import GRDB

extension Catalog {
    /// A fit over the catalog's usable runs.
    public struct CalibrationRun: Sendable {
        public var model: CalibrationModel
        public var observations: [CalibrationObservation]
        public var predictions: [RunEvidence.Prediction]
        /// Usable runs the planner could not predict, with the reason.
        public var skipped: [(StoredRun, String)]
        public var seconds: Double
    }

    /// Whether runs changed since the last fit, or what it read (`calibrationStamp`: code version, runs, models,
    /// GPUs, seed) differs now, or there never was one.
    public func calibrationIsStale() throws(CatalogError) -> Bool {
        try read("reading the calibration state") { db in
            let stale = try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'calibration_stale'")
            let stored = try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'calibration_model'")
            let stamp = try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'calibration_stamp'")
            return try stale != "0" || stored == nil || stamp != Self.calibrationStamp(db)
        }
    }

    /// The last fitted calibration, if any.
    public func storedCalibration() throws(CatalogError) -> CalibrationModel? {
        try read("reading the calibration") { db in
            guard let text = try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'calibration_model'")
            else { return nil }
            return try? JSONDecoder().decode(CalibrationModel.self, from: Data(text.utf8))
        }
    }

    /// Fits calibration from every usable run (no storing).
    public func fitCalibration(options: CalibrationFitter.Options = .init()) throws(CatalogError) -> CalibrationRun {
        let start = Date()
        let (predictions, skipped) = RunEvidence.predictions(try runsWithUsability())
        let observations = RunEvidence.observations(predictions)
        let model = CalibrationFitter.fit(observations, options: options)
        return CalibrationRun(
            model: model, observations: observations, predictions: predictions, skipped: skipped,
            seconds: Date().timeIntervalSince(start))
    }

    /// Stores a fit: the whole model (for resolving), one row per scope (for inspection) and the stamp of what it
    /// was fitted from, and clears the stale flag — all in one transaction.
    ///
    /// - Parameter stamp: `calibrationStamp()` read before the fit; `nil` reads it now (right when nothing can have
    ///   changed in between).
    public func saveCalibration(_ model: CalibrationModel, stamp: String? = nil) throws(CatalogError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: (try? encoder.encode(model)) ?? Data(), as: UTF8.self)
        let fittedAt = Self.timestamp(model.fittedAt ?? Date())
        try write("storing the calibration") { db in
            try db.execute(sql: "DELETE FROM calibration_factor")
            for (scope, factors) in model.factors.sorted(by: { ($0.key.level, $0.key.key) < ($1.key.level, $1.key.key) }) {
                try db.execute(
                    sql: """
                        INSERT INTO calibration_factor (scope_level, scope_key, activation_scale, model_state_scale,
                            allocator_reserve_ratio, runtime_context_bytes, log_spread, runs_used, fitted_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [scope.level.rawValue, scope.key, factors.activationScale, factors.modelStateScale,
                                factors.allocatorReserveRatio, factors.runtimeContextBytes, factors.logSpread,
                                factors.runsUsed, fittedAt])
            }
            let stamp = try stamp ?? Self.calibrationStamp(db)
            for (key, value) in [("calibration_model", json), ("calibration_stale", "0"), ("calibration_stamp", stamp)] {
                try db.execute(
                    sql: "INSERT INTO catalog_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    arguments: [key, value])
            }
        }
    }

    /// The calibration plans use: the stored fit, refitted (and stored) first only when it is stale.
    public func currentCalibration() throws(CatalogError) -> CalibrationModel {
        if try !calibrationIsStale(), let stored = try storedCalibration() { return stored }
        let stamp = try calibrationStamp()
        let fitted = try fitCalibration().model
        try saveCalibration(fitted, stamp: stamp)
        return fitted
    }
}

extension CalibrationModel {
    /// Factors for a model on a card under a framework and trainer, with the card's runtime defaults filled in.
    ///
    /// The activation scale per checkpointing mode is in the result (`activationScale(for:)`), so one resolve serves
    /// every checkpointing a fit tries.
    public func factors(for model: CatalogModel, gpu: GPU, framework: Framework, trainer: Trainer? = nil) -> CalibrationFactors {
        let defaults = RuntimeDefaults.resolve(gpu: gpu, framework: framework)
        return resolve(
            RunEvidence.scopePath(gpu: gpu, model: model, framework: framework, trainer: trainer),
            defaultReserveRatio: defaults.allocatorReserveRatio, defaultContextBytes: Double(defaults.runtimeContextBytes))
    }
}
