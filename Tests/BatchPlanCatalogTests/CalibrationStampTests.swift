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
        #expect(
            stamp.hasPrefix("code \(CalibrationFitter.codeVersion); step-time code \(ThroughputFitter.codeVersion); runs "),
            "\(stamp)")
        let older = stamp.replacingOccurrences(
            of: "code \(CalibrationFitter.codeVersion);", with: "code \(CalibrationFitter.codeVersion - 1);")
        try catalog.write("test") { db in
            try db.execute(sql: "UPDATE catalog_meta SET value = ? WHERE key = 'calibration_stamp'", arguments: [older])
        }
        #expect(try catalog.calibrationIsStale())
        _ = try catalog.currentCalibration()
        #expect(try catalog.storedCalibrationStamp() == stamp)
    }

    @Test("the step-time calibration is stored with the memory calibration and refitted with it")
    func throughputIsStoredWithTheStamp() throws {
        let catalog = try Catalog(path: ":memory:")
        #expect(try catalog.storedThroughputCalibration() == nil)
        let (_, throughput) = try catalog.currentCalibrations()
        #expect(!throughput.scopes.isEmpty, "the built-in runs have step times")
        #expect(try catalog.storedThroughputCalibration() == throughput)
        #expect(throughput == (try catalog.throughputCalibration()), "the stored fit is the fit of the same runs")
        #expect(try catalog.currentThroughputCalibration() == throughput)

        // A stamp from older step-time code makes both stale; the refit stores the current stamp again.
        let stamp = try #require(try catalog.storedCalibrationStamp())
        let older = stamp.replacingOccurrences(
            of: "step-time code \(ThroughputFitter.codeVersion);", with: "step-time code \(ThroughputFitter.codeVersion - 1);")
        try catalog.write("test") { db in
            try db.execute(sql: "UPDATE catalog_meta SET value = ? WHERE key = 'calibration_stamp'", arguments: [older])
        }
        #expect(try catalog.calibrationIsStale())
        _ = try catalog.currentCalibrations()
        #expect(try catalog.storedCalibrationStamp() == stamp)

        // A catalog whose step-time calibration is missing (stored by a version before it was kept) refits.
        try catalog.write("test") { db in try db.execute(sql: "DELETE FROM catalog_meta WHERE key = 'throughput_calibration'") }
        #expect(try catalog.calibrationIsStale())
        #expect(try catalog.currentThroughputCalibration() == throughput)
    }

    @Test("the held-out accuracy a report prints is computed once per stamp")
    func accuracyIsStoredPerStamp() throws {
        let catalog = try Catalog(path: ":memory:")
        let first = try catalog.calibrationAccuracy()
        #expect(first.runsUsed > 0)
        #expect(first.medianRelativeError != nil, "the built-in runs come from several sources")
        #expect(first.stamp == (try catalog.calibrationStamp()))
        // Mark the stored value so a second call shows whether it recomputed.
        var marked = first
        marked.runsUsed = -1
        let json = String(decoding: try JSONEncoder().encode(marked), as: UTF8.self)
        try catalog.write("test") { db in
            try db.execute(sql: "UPDATE catalog_meta SET value = ? WHERE key = 'calibration_accuracy'", arguments: [json])
        }
        #expect(try catalog.calibrationAccuracy().runsUsed == -1, "same stamp: the stored value is read")
        try catalog.addModel(Self.rawModel("accuracy-stamp-test"))
        #expect(try catalog.calibrationAccuracy().runsUsed == first.runsUsed, "new stamp: cross-validated again")
    }
}
