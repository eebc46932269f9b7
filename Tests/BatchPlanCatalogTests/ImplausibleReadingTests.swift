import BatchPlanCore
import Foundation
import GRDB
import Testing

@testable import BatchPlanCatalog

/// A reading written without its unit ("--peak-reserved 9.8", read as 10 bytes) once made its scopes' spread a
/// factor of e^31 and every plan on that card crash: now validation refuses it, and one already stored is left out
/// of calibration with the reason.
@Suite("A memory reading with its unit left off")
struct ImplausibleReadingTests {
    /// A built-in usable run that reads the reserved peak.
    static func reservedRun(_ catalog: Catalog) throws -> MeasuredRun {
        let entry = try #require(try catalog.runsWithUsability().first {
            $0.unusableReason == nil && $0.stored.run.kind == .memAtBatch && $0.stored.run.peakReservedBytes != nil
        })
        return entry.stored.run
    }

    @Test("validation refuses readings below what any training step reads, and says to write the unit")
    func validationFloor() throws {
        let run = try Self.reservedRun(try Catalog(path: ":memory:"))
        try run.validate()
        for mistake: WritableKeyPath<MeasuredRun, Int?> in [\.peakReservedBytes, \.deviceUsedBytes, \.peakAllocatedBytes] {
            var bad = run
            bad[keyPath: mistake] = 10
            if mistake == \.peakReservedBytes || mistake == \.deviceUsedBytes { bad.peakAllocatedBytes = nil }
            do {
                try bad.validate()
                Issue.record("a reading of 10 bytes passed validation")
            } catch {
                #expect(error.description.contains("a size without a unit is bytes"), "\(error.description)")
            }
        }
    }

    @Test("a stored run 100× off its prediction is skipped with the reason, and the fit is the one without it")
    func storedMistakeIsSkipped() throws {
        let catalog = try Catalog(path: ":memory:")
        let clean = try catalog.fitCalibration()
        var bad = try Self.reservedRun(catalog)
        bad.key = "unit-left-off"
        bad.peakReservedBytes = 10
        bad.peakAllocatedBytes = nil
        bad.deviceUsedBytes = nil
        bad.origin = .user
        // As a build without the validation floor stored it.
        try catalog.write("storing a run as an older build did") { db in
            var record = RunRecord(bad)
            try record.insert(db)
            try Catalog.markCalibrationStale(db)
        }
        let fit = try catalog.fitCalibration()
        let skipped = try #require(fit.skipped.first { $0.0.run.key == "unit-left-off" })
        #expect(skipped.1.contains("more than 100× off"), "\(skipped.1)")
        #expect(!fit.observations.contains { $0.id.hasPrefix("unit-left-off") })
        #expect(fit.model.parameters == clean.model.parameters)
        // Every plan still works: the stored calibration is the one without the mistake.
        let calibration = try catalog.currentCalibration()
        #expect(calibration.parameters == clean.model.parameters)
    }

    @Test("an import says at once that a reading 100× off its prediction will not calibrate")
    func importNamesImplausibleReadings() throws {
        let catalog = try Catalog(path: ":memory:")
        var run = try Self.reservedRun(catalog)
        run.key = "mib-for-gib"
        run.origin = .user
        run.peakAllocatedBytes = nil
        run.deviceUsedBytes = nil
        run.peakReservedBytes = (run.peakReservedBytes ?? 0) / 1024
        var plausible = try Self.reservedRun(catalog)
        plausible.key = "as-measured"
        plausible.origin = .user
        let summary = try catalog.importRuns(RunFile.Parsed(runs: [(1, run), (2, plausible)], errors: []), file: "runs.jsonl")
        #expect(summary.added == 2)
        #expect(summary.unusable.count == 1)
        #expect(summary.unusable.first?.contains("mib-for-gib") == true, "\(summary.unusable)")
        #expect(summary.unusable.first?.contains("more than 100× off") == true, "\(summary.unusable)")
    }

    @Test("every built-in usable run is within 100× of its prediction")
    func builtInRunsArePlausible() throws {
        let fit = try Catalog(path: ":memory:").fitCalibration()
        #expect(!fit.skipped.contains { $0.1.contains("more than 100× off") })
    }
}
