import Foundation
import GRDB
import Testing

@testable import BatchPlanCatalog

/// A fresh catalog file in a temporary folder, removed by the caller.
func temporaryCatalogPath(_ name: String = "catalog.sqlite") -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("batchplan-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(name).path
}

@Suite("Migrations")
struct MigrationTests {
    @Test("the seed fingerprint the build plugin embedded is the one the embedded files give")
    func seedFingerprintMatchesTheFiles() {
        #expect(SeedVersion.current == SeedVersion.computed())
        #expect(SeedVersion.current.count >= 8)
    }

    @Test("a new catalog applies every embedded migration in order")
    func migratesFromEmpty() throws {
        let catalog = try Catalog(path: temporaryCatalogPath())
        let applied = try catalog.appliedMigrations()
        #expect(applied == EmbeddedMigrations.all.map(\.identifier))
        #expect(applied.first == "0001_catalog")
        #expect(applied == applied.sorted())
    }

    @Test("opening a migrated catalog again changes nothing")
    func reopenIsNoOp() throws {
        let path = temporaryCatalogPath()
        let first = try Catalog(path: path)
        let gpus = try first.gpus().count
        let seed = try first.seedVersion()
        let second = try Catalog(path: path)
        #expect(try second.appliedMigrations() == first.appliedMigrations())
        #expect(try second.gpus().count == gpus)
        #expect(try second.seedVersion() == seed)
    }

    @Test("a catalog written by a newer schema is refused and left byte-for-byte untouched")
    func refusesNewerSchema() throws {
        let path = temporaryCatalogPath()
        do {
            let catalog = try Catalog(path: path)
            try catalog.queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future')")
            }
            _ = try catalog.queue.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: CatalogError.newerSchema(path: path, unknown: ["9999_from_the_future"])) {
            _ = try Catalog(path: path)
        }
        let after = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(before == after)
    }

    @Test("a file that is not SQLite is refused with a clear error")
    func refusesNonSQLite() throws {
        let path = temporaryCatalogPath()
        try Data("these are not the bytes of a database, just some text long enough to look like a header".utf8)
            .write(to: URL(fileURLWithPath: path))
        #expect(throws: CatalogError.notACatalog(path: path)) { _ = try Catalog(path: path) }
    }

    @Test("a directory given as the catalog path is refused")
    func refusesDirectory() throws {
        let folder = (temporaryCatalogPath() as NSString).deletingLastPathComponent
        #expect(throws: CatalogError.self) { _ = try Catalog(path: folder) }
    }

    @Test("the embedded migrations are exactly the files in Migrations/")
    func embeddedMatchesFiles() throws {
        let folder = Self.packageRoot.appendingPathComponent("Migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.map { String($0.dropLast(4)) } == EmbeddedMigrations.all.map(\.identifier))
        for migration in EmbeddedMigrations.all {
            let text = try String(contentsOf: folder.appendingPathComponent(migration.identifier + ".sql"), encoding: .utf8)
            #expect(text == migration.sql)
        }
    }

    /// Released migrations are immutable: editing one breaks every catalog that already applied it.
    /// Add a line here when a new migration is released; never change an existing line.
    static let released: [String: String] = [
        "0001_catalog": "746959eb47ccdae6",
        "0002_runs": "19f008e503abc79f",
        "0003_plans": "12f1c9ee0a3fb3d6",
        "0004_training_stack": "c06d82e7c0fa182a",
        "0005_run_phase": "785d52305f990e82",
        "0006_accounting_cache": "17023c45274f76d6",
        "0007_run_evidence": "455e566976c78c4c",
    ]

    @Test("released migration files are never edited (checksums)")
    func releasedMigrationsUnchanged() throws {
        for migration in EmbeddedMigrations.all {
            let expected = try #require(Self.released[migration.identifier], "add \(migration.identifier) to the released list")
            #expect(Self.fnv1a(migration.sql) == expected, "\(migration.identifier) was edited after release: add a new migration instead")
        }
    }

    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
