import BatchPlanCore
import Foundation
import GRDB
import Testing

@testable import BatchPlanCatalog

@Suite("Calibration kept in the catalog")
struct CalibrationStampTests {
    static func rawModel(_ name: String) throws -> ModelDefinition {
        let counts = RawCountsModel(parameters: 1_000, activationsPerSample: 10, input: [10])
        let payload = String(decoding: try JSONEncoder().encode(counts), as: UTF8.self)
        return ModelDefinition(name: name, kind: .rawCounts, payload: payload, source: "test", origin: .user)
    }

    @Test("a stored fit is reused until what it read changes, then refitted once")
    func storedFitIsReused() throws {
        let catalog = try Catalog(path: ":memory:")
        #expect(try catalog.calibrationIsStale(), "a fresh catalog was never fitted")
        let first = try catalog.currentCalibration()
        #expect(try !catalog.calibrationIsStale(), "the fit is stored with its stamp")
        #expect(try catalog.storedCalibrationStamp() == catalog.calibrationStamp())
        #expect(try catalog.currentCalibration() == first, "the next plan reads the stored fit")

        try catalog.addModel(Self.rawModel("stamp-test"))
        #expect(try catalog.calibrationIsStale(), "a new model can make runs usable: the stamp changed")
        _ = try catalog.currentCalibration()
        #expect(try !catalog.calibrationIsStale())
    }

    @Test("a fit stamped by another calibration code version is stale")
    func otherCodeVersionIsStale() throws {
        let catalog = try Catalog(path: ":memory:")
        _ = try catalog.currentCalibration()
        let stamp = try #require(try catalog.storedCalibrationStamp())
        #expect(stamp.hasPrefix("code \(CalibrationFitter.codeVersion); runs "), "\(stamp)")
        let older = stamp.replacingOccurrences(
            of: "code \(CalibrationFitter.codeVersion);", with: "code \(CalibrationFitter.codeVersion - 1);")
        try catalog.write("test") { db in
            try db.execute(sql: "UPDATE catalog_meta SET value = ? WHERE key = 'calibration_stamp'", arguments: [older])
        }
        #expect(try catalog.calibrationIsStale())
        _ = try catalog.currentCalibration()
        #expect(try catalog.storedCalibrationStamp() == stamp)
    }
}
