import BatchPlanCore
import Foundation
import GRDB
import Testing

@testable import BatchPlanCatalog

/// A large catalog's runs are read in two halves on two connections (`runsWithUsability`): the result must be the
/// single scan's, run for run and in its order (built-in runs, then the user's, each by id).
@Suite("Reading runs in two halves")
struct RunReadInHalvesTests {
    static func rows(_ prefix: String, batches: [Int]) -> String {
        batches.map { batch in
            #"{"id": "\#(prefix)-\#(batch)", "kind": "mem_at_batch", "model": "classic", "gpu": "RTX 3090", "batch_size": \#(batch), "precision": "fp32", "optimizer": "sgd", "peak_allocated_bytes": \#(900_000_000 + batch * 1_000_000), "source": "lab"}"#
        }.joined(separator: "\n")
    }

    @Test("two halves give the single scan's runs in its order, with user runs on both sides of the built-in ones")
    func sameAsOneScan() throws {
        let catalog = try RunImportTests.catalogWithModel()
        _ = try catalog.importRuns(RunImportTests.parse(Self.rows("early", batches: [8, 16, 32])), file: "a.jsonl")
        // A refreshed seed numbers the built-in runs after the user's runs so far; later user runs come after them.
        try catalog.write("test") { db in
            try db.execute(sql: "UPDATE catalog_meta SET value = 'old' WHERE key = 'seed_version'")
        }
        try catalog.refreshBuiltins()
        _ = try catalog.importRuns(RunImportTests.parse(Self.rows("late", batches: [64, 128])), file: "b.jsonl")
        // The largest id SQLite allows is read too.
        try catalog.write("test") { db in
            try db.execute(sql: "UPDATE run SET id = 9223372036854775807 WHERE id = (SELECT max(id) FROM run)")
        }

        let halves = try catalog.runsWithUsability(model: nil, gpu: nil, halvesFrom: 2)
        let scan = try catalog.runsWithUsability(model: nil, gpu: nil, halvesFrom: .max)
        #expect(scan.count > 500)
        #expect(halves.map(\.stored) == scan.map(\.stored))
        #expect(halves.map(\.unusableReason) == scan.map(\.unusableReason))
        #expect(halves.map { $0.gpu?.name } == scan.map { $0.gpu?.name })
        #expect(halves.map { $0.model?.name } == scan.map { $0.model?.name })
        // The order is built-in first, then the user's by id: early ones (lower ids) before late ones.
        let users = scan.filter { $0.stored.run.origin == .user }.map(\.stored.run.batchSize)
        #expect(users == [8, 16, 32, 64, 128])
        #expect(scan.prefix(scan.count - 5).allSatisfy { $0.stored.run.origin == .builtin })
        // And the built-in runs now lie between the two groups of user runs by id, so each half holds some of both.
        let ids = try catalog.read("test") { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM run ORDER BY id")
        }
        let middle = ids[ids.count / 2]
        let userIDs = scan.filter { $0.stored.run.origin == .user }.map(\.stored.id)
        #expect(userIDs.contains { $0 < middle } && userIDs.contains { $0 >= middle })
    }

    @Test("an in-memory catalog is read in one scan, whatever its size")
    func inMemoryIsOneScan() throws {
        let catalog = try Catalog(path: ":memory:")
        let runs = try catalog.runsWithUsability(model: nil, gpu: nil, halvesFrom: 2)
        #expect(runs.map(\.stored) == (try catalog.runsWithUsability(model: nil, gpu: nil, halvesFrom: .max)).map(\.stored))
    }
}
