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

    @Test("a compact form that no longer matches the stored JSON (a fit written by another build) is replaced from the JSON")
    func staleCompactReplaced() throws {
        let catalog = try Catalog(path: ":memory:")
        let fitted = try catalog.currentCalibrations()
        var other = fitted.memory
        other.minimumRuns += 1
        let json = String(decoding: try JSONEncoder().encode(other), as: UTF8.self)
        try catalog.write("writing a fit as another build would") { db in
            try db.execute(sql: "UPDATE catalog_meta SET value = ? WHERE key = 'calibration_model'", arguments: [json])
        }
        func compact() throws -> String? {
            try catalog.read("reading") { db in
                try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'calibration_compact'")
            }
        }
        let before = try compact()
        #expect(try catalog.currentCalibrations().memory == other, "the JSON wins over a compact form of another fit")
        #expect(try compact() != before, "and the compact form is rewritten from it")
        #expect(try catalog.currentCalibrations().memory == other)
        try catalog.write("dropping the compact form") { db in
            try db.execute(sql: "DELETE FROM catalog_meta WHERE key = 'calibration_compact'")
        }
        #expect(try catalog.currentCalibrations().memory == other)
        #expect(try compact() != nil, "a catalog without one gets it from the first plan")
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
