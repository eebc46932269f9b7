import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore

extension BatchPlan {
    struct Db: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "db",
            abstract: "Where the catalog is, and whether it is sound.",
            subcommands: [Path.self, Check.self]
        )
    }
}

extension BatchPlan.Db {
    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "path",
            abstract: "Print the catalog's path (from --db, $BATCHPLAN_DB or the default) without opening it.",
            discussion: "Example:\n  BATCHPLAN_DB=/tmp/c.sqlite batchplan db path"
        )

        @OptionGroup var catalog: CatalogOptions

        func run() throws {
            let location = try catalog.location()
            Output.data(location.path)
            Output.note("(from \(location.origin.rawValue))")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check the catalog: integrity_check, foreign_key_check, the schema version, the accounting cache and the kept run facts.",
            discussion: "Example:\n  batchplan db check --format json"
        )

        @OptionGroup var catalog: CatalogOptions

        @Option(help: "Output format: table or json.")
        var format: TableOrJSON = .table

        func run() throws {
            let opened = try catalog.open()
            let report = try opened.check()
            switch format {
            case .json:
                Output.data(try Output.json([
                    "path": opened.path, "ok": report.ok, "integrity": report.integrity,
                    "foreign_key_violations": report.foreignKeyViolations, "applied_migrations": report.appliedMigrations,
                    "latest_known_migration": report.latestKnownMigration, "seed_version": report.seedVersion ?? "",
                    "cached_accountings": report.cachedAccountings,
                    "cached_accountings_of_this_build": report.cachedAccountingsOfThisBuild,
                    "cached_accounting_bytes": report.cachedAccountingBytes,
                    "kept_run_facts": report.keptRunFacts, "kept_run_facts_current": report.keptRunFactsCurrent,
                    "kept_run_fact_bytes": report.keptRunFactBytes,
                ]))
            case .table:
                Output.data("""
                    catalog          \(opened.path)
                    integrity        \(report.integrity.joined(separator: "; "))
                    foreign keys     \(report.foreignKeyViolations == 0 ? "ok" : "\(report.foreignKeyViolations) violations")
                    schema           \(report.appliedMigrations.last ?? "none") (this batchplan knows up to \(report.latestKnownMigration))
                    seed             \(report.seedVersion ?? "not loaded")
                    accountings      \(report.cachedAccountings) cached (\(ByteSize.format(report.cachedAccountingBytes))), \(report.cachedAccountingsOfThisBuild) by this build
                    run facts        \(report.keptRunFacts) runs' kept (\(ByteSize.format(report.keptRunFactBytes))), \(report.keptRunFacts == 0 ? "none yet" : report.keptRunFactsCurrent ? "current" : "of another build or catalog state: the next refit predicts every run again")
                    """)
            }
            if !report.ok { throw ExitCode.failure }
        }
    }
}
