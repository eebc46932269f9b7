import BatchPlanCore
import Foundation
import GRDB

extension Catalog {
    /// Refreshes the built-in rows when the embedded seed differs from the one this catalog was seeded with.
    func refreshBuiltins() throws(CatalogError) {
        let current = SeedVersion.current
        let stored = try read("reading the seed version") { db in
            try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'seed_version'")
        }
        guard stored != current else { return }
        try write("loading the built-in catalog") { db in
            // Another process may have refreshed while this one waited for the write lock.
            if try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'seed_version'") == current { return }
            try Self.refreshBuiltinGPUs(db)
            try Self.refreshBuiltinModels(db)
            try Self.refreshBuiltinRuns(db)
            try db.execute(
                sql: "INSERT INTO catalog_meta (key, value) VALUES ('seed_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [current])
        }
    }

    /// The fingerprint of the seed this catalog holds.
    public func seedVersion() throws(CatalogError) -> String? {
        try read("reading the seed version") { db in
            try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'seed_version'")
        }
    }

    /// Results of `PRAGMA integrity_check` and `PRAGMA foreign_key_check`, and the schema version.
    public struct HealthReport: Sendable, Codable {
        public var integrity: [String]
        public var foreignKeyViolations: Int
        public var appliedMigrations: [String]
        public var latestKnownMigration: String
        public var seedVersion: String?
        /// Accountings in the cache (`Catalog.accountings`), and those this build's code wrote (it reads no others).
        public var cachedAccountings = 0
        public var cachedAccountingsOfThisBuild = 0
        /// Bytes of the cached accountings' compact forms.
        public var cachedAccountingBytes = 0
        /// Runs whose calibration facts are kept (`Catalog.refitFacts`), whether they were kept under the stamp this
        /// build works out now (else the next refit predicts every run again), and their bytes.
        public var keptRunFacts = 0
        public var keptRunFactsCurrent = false
        public var keptRunFactBytes = 0
        public var ok: Bool { integrity == ["ok"] && foreignKeyViolations == 0 && appliedMigrations.last == latestKnownMigration }
    }

    public func check() throws(CatalogError) -> HealthReport {
        try read("checking the catalog") { db in
            var report = HealthReport(
                integrity: try String.fetchAll(db, sql: "PRAGMA integrity_check"),
                foreignKeyViolations: try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count,
                appliedMigrations: try Self.migrator().completedMigrations(db),
                latestKnownMigration: EmbeddedMigrations.latest,
                seedVersion: try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'seed_version'"))
            if let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*), coalesce(sum(code_fingerprint = ?), 0), coalesce(sum(length(payload)), 0)
                    FROM accounting_cache
                    """,
                arguments: [AccountingCacheKey.codeFingerprint])
            {
                (report.cachedAccountings, report.cachedAccountingsOfThisBuild, report.cachedAccountingBytes) = (row[0], row[1], row[2])
            }
            if let row = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(sum(length(payload)), 0) FROM run_evidence") {
                (report.keptRunFacts, report.keptRunFactBytes) = (row[0], row[1])
            }
            report.keptRunFactsCurrent =
                try String.fetchOne(db, sql: "SELECT value FROM catalog_meta WHERE key = 'evidence_stamp'")
                == Self.evidenceStamp(db)
            return report
        }
    }
}
