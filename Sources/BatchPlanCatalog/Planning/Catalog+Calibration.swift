import BatchPlanCore
import Foundation
import GRDB

extension Catalog {
    /// A fit over the catalog's usable runs.
    public struct CalibrationRun: Sendable {
        public var model: CalibrationModel
        /// The step-time calibration fitted from the same predictions (the runs with a step time).
        public var throughput: ThroughputCalibration
        public var observations: [CalibrationObservation]
        public var predictions: [RunEvidence.Prediction]
        /// Usable runs the planner could not predict, with the reason.
        public var skipped: [(StoredRun, String)]
        public var seconds: Double
    }

    /// Whether runs changed since the last fit, or what it read (`calibrationStamp`: code versions, runs, models,
    /// GPUs, seed) differs now, or there never was one (of either calibration).
    public func calibrationIsStale() throws(CatalogError) -> Bool {
        try read("reading the calibration state") { db in
            let stale = try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'calibration_stale'")
            let stored = try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'calibration_model'")
            let throughput = try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'throughput_calibration'")
            let stamp = try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'calibration_stamp'")
            return try stale != "0" || stored == nil || throughput == nil || stamp != Self.calibrationStamp(db)
        }
    }

    /// The last fitted calibration, if any.
    public func storedCalibration() throws(CatalogError) -> CalibrationModel? {
        try storedJSON("calibration_model")
    }

    /// The last fitted step-time calibration, if any.
    public func storedThroughputCalibration() throws(CatalogError) -> ThroughputCalibration? {
        try storedJSON("throughput_calibration")
    }

    /// Both stored fits from their compact form (`CompactCalibration`), if there is one this code can read for the
    /// JSON stored now: reading it costs a plan a fraction of decoding the two JSON documents, which stay for
    /// inspection and for builds without it.
    ///
    /// A catalog whose fits were stored by such a build gets its compact form from the first plan that reads them
    /// (best effort: a catalog that cannot be written to is read from the JSON each time).
    func storedCompactCalibrations() throws(CatalogError) -> (memory: CalibrationModel, throughput: ThroughputCalibration)? {
        let (memoryJSON, throughputJSON, compact) = try read("reading the calibration") { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT key, value FROM catalog_meta
                    WHERE key IN ('calibration_compact', 'calibration_model', 'throughput_calibration')
                    """)
            var values: [String: String] = [:]
            for row in rows { values[row[0]] = row[1] }
            return (values["calibration_model"], values["throughput_calibration"], values["calibration_compact"])
        }
        guard let memoryJSON, let throughputJSON else { return nil }
        let fingerprint = Self.jsonFingerprint(memoryJSON, throughputJSON)
        if let compact, let colon = compact.firstIndex(of: ":"), compact[..<colon] == fingerprint,
            let data = Data(base64Encoded: String(compact[compact.index(after: colon)...])),
            let decoded = CompactCalibration.decode([UInt8](data))
        {
            return decoded
        }
        guard let memory = try? JSONDecoder().decode(CalibrationModel.self, from: Data(memoryJSON.utf8)),
            let throughput = try? JSONDecoder().decode(ThroughputCalibration.self, from: Data(throughputJSON.utf8))
        else { return nil }
        let written = fingerprint + ":" + Data(CompactCalibration.encode(memory, throughput)).base64EncodedString()
        try? write("storing the calibration's compact form") { db in
            try db.execute(
                sql: """
                    INSERT INTO catalog_meta (key, value) VALUES ('calibration_compact', ?)
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value
                    """,
                arguments: [written])
        }
        return (memory, throughput)
    }

    /// FNV-1a 64 over the two stored JSON documents (hexadecimal).
    static func jsonFingerprint(_ memory: String, _ throughput: String) -> String {
        var hash = FNV1a()
        hash.combine(memory)
        hash.combine(0)
        hash.combine(throughput)
        return hash.hex
    }

    /// A value stored as JSON under `key` in `catalog_meta`; `nil` when absent or written by an incompatible
    /// version (which the stamp then also marks stale).
    private func storedJSON<T: Decodable>(_ key: String) throws(CatalogError) -> T? {
        try read("reading the calibration") { db in
            guard let text = try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = ?", arguments: [key])
            else { return nil }
            return try? JSONDecoder().decode(T.self, from: Data(text.utf8))
        }
    }

    /// Fits both calibrations from every usable run (no storing): the memory calibration from every run's
    /// counters and outcomes, the step-time calibration from the runs with a step time, both from one prediction
    /// of each run.
    ///
    /// The step-time fit needs nothing of the memory fit: it runs on a thread of its own meanwhile (a tenth of the
    /// memory fit's time, which otherwise came after it). Not through `ParallelMap`: the memory fit's own
    /// `ParallelMap` inside one of its workers would run on that worker alone (GCD runs a nested concurrentPerform
    /// serially), which made the whole refit 0.7 s slower.
    public func fitCalibration(options: CalibrationFitter.Options = .init()) throws(CatalogError) -> CalibrationRun {
        let start = Date()
        let (predictions, skipped) = RunEvidence.predictions(try runsWithUsability())
        let (model, throughput, observations) = Self.fit(RunEvidence.facts(predictions), options: options)
        return CalibrationRun(
            model: model, throughput: throughput, observations: observations, predictions: predictions,
            skipped: skipped, seconds: Date().timeIntervalSince(start))
    }

    /// Both calibrations from runs' facts, in run order.
    static func fit(
        _ facts: [RunEvidence.RunFacts], options: CalibrationFitter.Options = .init()
    ) -> (memory: CalibrationModel, throughput: ThroughputCalibration, observations: [CalibrationObservation]) {
        let fitted = StepTimeFit()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            fitted.store(ThroughputFitter().fit(RunEvidence.throughputObservations(facts)))
        }
        let observations = RunEvidence.observations(facts)
        let model = CalibrationFitter.fit(observations, options: options)
        group.wait()
        return (model, fitted.value!, observations)
    }

    /// The step-time fit, handed from the thread that fits it (read after that thread is waited for).
    private final class StepTimeFit: @unchecked Sendable {
        private let lock = NSLock()
        private var fitted: ThroughputCalibration?

        func store(_ value: ThroughputCalibration) {
            lock.lock()
            fitted = value
            lock.unlock()
        }

        var value: ThroughputCalibration? {
            lock.lock()
            defer { lock.unlock() }
            return fitted
        }
    }

    /// Stores a fit: the whole memory model (for resolving), one row per scope (for inspection), the step-time
    /// calibration and the stamp of what they were fitted from, and clears the stale flag — all in one transaction.
    ///
    /// - Parameter stamp: `calibrationStamp()` read before the fit; `nil` reads it now (right when nothing can have
    ///   changed in between).
    public func saveCalibration(
        _ model: CalibrationModel, throughput: ThroughputCalibration, stamp: String? = nil
    ) throws(CatalogError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: (try? encoder.encode(model)) ?? Data(), as: UTF8.self)
        let throughputJSON = String(decoding: (try? encoder.encode(throughput)) ?? Data(), as: UTF8.self)
        let fittedAt = Self.timestamp(model.fittedAt ?? Date())
        // What plans read: the same fits in compact form (base64, the table holds text), after a fingerprint of the
        // JSON it stands for, so that a fit written by a build without it is never shadowed by an older compact one.
        let compact = Self.jsonFingerprint(json, throughputJSON) + ":"
            + Data(CompactCalibration.encode(model, throughput)).base64EncodedString()
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
            let values = [
                ("calibration_model", json), ("throughput_calibration", throughputJSON), ("calibration_stale", "0"),
                ("calibration_stamp", stamp), ("calibration_compact", compact),
            ]
            for (key, value) in values {
                try db.execute(
                    sql: "INSERT INTO catalog_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    arguments: [key, value])
            }
        }
    }

    /// The memory calibration plans use: the stored fit, refitted (and stored) first only when it is stale.
    public func currentCalibration() throws(CatalogError) -> CalibrationModel {
        try currentCalibrations().memory
    }

    /// The step-time calibration plans use: stored with the memory calibration, under the same stamp.
    public func currentThroughputCalibration() throws(CatalogError) -> ThroughputCalibration {
        try currentCalibrations().throughput
    }

    /// Both calibrations plans use: the stored fits, refitted together and stored first only when they are stale,
    /// so no plan pays for fitting unless the runs, the models, the cards, the seed or the fitting code changed. A
    /// refit predicts only the runs no earlier refit kept the facts of (`refitFacts`).
    public func currentCalibrations() throws(CatalogError) -> (memory: CalibrationModel, throughput: ThroughputCalibration) {
        if try !calibrationIsStale(), let stored = try storedCompactCalibrations() {
            return stored
        }
        let stamp = try calibrationStamp()
        let (facts, keep) = try refitFactsKeepingLater()
        // The new runs' facts are kept while the calibrations are fitted (writing them needs nothing of the fit).
        let keeping = DispatchGroup()
        DispatchQueue.global().async(group: keeping, execute: keep)
        let fitted = Self.fit(facts.facts)
        keeping.wait()
        try saveCalibration(fitted.memory, throughput: fitted.throughput, stamp: stamp)
        return (fitted.memory, fitted.throughput)
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
