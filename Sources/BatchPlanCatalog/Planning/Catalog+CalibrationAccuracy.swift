import BatchPlanCore
import Foundation
import GRDB

extension Catalog {
    /// How well the stored calibration predicts runs it did not see: what a report prints beside its plans.
    public struct CalibrationAccuracy: Hashable, Codable, Sendable {
        /// Measured runs the fit used.
        public var runsUsed: Int
        /// Median and 90th percentile of |predicted − measured| / measured over every measured counter under
        /// leave-one-source-out cross-validation, as fractions; `nil` with fewer than two sources.
        public var medianRelativeError: Double?
        public var p90RelativeError: Double?
        /// `calibrationStamp()` of the fit these describe.
        public var stamp: String
    }

    /// The held-out accuracy of the calibration plans use, cross-validated once per calibration stamp and stored
    /// beside it (`catalog_meta.calibration_accuracy`), so a report pays for the cross-validation (one refit per
    /// source) only the first time after the runs, models, cards or fitting code changed.
    public func calibrationAccuracy() throws(CatalogError) -> CalibrationAccuracy {
        let stamp = try calibrationStamp()
        let stored: String? = try read("reading the calibration accuracy") { db in
            try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'calibration_accuracy'")
        }
        if let stored, let accuracy = try? JSONDecoder().decode(CalibrationAccuracy.self, from: Data(stored.utf8)),
            accuracy.stamp == stamp, try !calibrationIsStale()
        {
            return accuracy
        }
        let fit = try fitCalibration()
        let report = CrossValidation.leaveOneSourceOut(fit.observations)
        let all = report.rows.first { $0.dimension == .all }?.measuredAfter
        let tested = (all?.count ?? 0) > 0 && report.folds.count > 1
        let accuracy = CalibrationAccuracy(
            runsUsed: Set(fit.predictions.map(\.run.key)).count,
            medianRelativeError: tested ? all?.medianRelativeError : nil,
            p90RelativeError: tested ? all?.p90RelativeError : nil, stamp: stamp)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: (try? encoder.encode(accuracy)) ?? Data(), as: UTF8.self)
        // The fit just made is the current one: store it too, then its accuracy under the same stamp.
        try saveCalibration(fit.model, throughput: fit.throughput, stamp: stamp)
        try write("storing the calibration accuracy") { db in
            try db.execute(
                sql: "INSERT INTO catalog_meta (key, value) VALUES ('calibration_accuracy', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [json])
        }
        return accuracy
    }
}
