import BatchPlanCore
import Foundation
import GRDB
import Testing

@testable import BatchPlanCatalog

@Suite("The calibration's compact form")
struct CompactCalibrationTests {
    @Test("the fit of the built-in runs reads back equal from its compact bytes, and the same fit gives the same bytes")
    func roundTrip() throws {
        let catalog = try Catalog(path: ":memory:")
        let fitted = try catalog.fitCalibration()
        let bytes = CompactCalibration.encode(fitted.model, fitted.throughput)
        let decoded = try #require(CompactCalibration.decode(bytes))
        #expect(decoded.memory == fitted.model)
        #expect(decoded.throughput == fitted.throughput)
        #expect(fitted.model.factors.count > 20 && fitted.throughput.scopes.count > 3, "the fit has scopes to carry")
        #expect(CompactCalibration.encode(decoded.memory, decoded.throughput) == bytes)
    }

    @Test("plans read the compact form, which equals the JSON documents stored beside it")
    func plansReadCompact() throws {
        let catalog = try Catalog(path: ":memory:")
        let current = try catalog.currentCalibrations()
        let compact = try #require(try catalog.storedCompactCalibrations())
        #expect(compact.memory == current.memory && compact.throughput == current.throughput)
        #expect(try catalog.storedCalibration() == compact.memory)
        #expect(try catalog.storedThroughputCalibration() == compact.throughput)
    }

    @Test("a compact form that no longer matches the stored JSON (a fit written by another build) is not used")
    func staleCompactIgnored() throws {
        let catalog = try Catalog(path: ":memory:")
        _ = try catalog.currentCalibrations()
        try catalog.write("editing") { db in
            try db.execute(sql: "UPDATE catalog_meta SET value = value || ' ' WHERE key = 'calibration_model'")
        }
        #expect(try catalog.storedCompactCalibrations() == nil)
        #expect(try catalog.currentCalibrations().memory == catalog.storedCalibration())
    }

    @Test("cut or damaged bytes are refused or read as some calibration, never a crash")
    func damagedBytes() throws {
        let catalog = try Catalog(path: ":memory:")
        let fitted = try catalog.fitCalibration()
        let bytes = CompactCalibration.encode(fitted.model, fitted.throughput)
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 400)) {
            #expect(CompactCalibration.decode(Array(bytes.prefix(length))) == nil, "cut at \(length)")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            var damaged = bytes
            damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            _ = CompactCalibration.decode(damaged)
        }
    }
}
