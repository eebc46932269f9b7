import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore

/// The `batchplan` command: plans GPU training memory and the largest batch that fits.
@main
struct BatchPlan: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "batchplan",
        abstract: "Plan GPU training memory: what fits on which card, at which batch size, precision and optimizer.",
        discussion: """
            Memory sizes are binary as card vendors mean them: a "12GB" card has 12 GiB (12 × 2^30 bytes).

            The catalog lives at --db PATH (before or after the subcommand), else $BATCHPLAN_DB, else \
            $XDG_DATA_HOME/batchplan/catalog.sqlite (default ~/.local/share/batchplan/catalog.sqlite); the first \
            command creates it.

            Shell completions: batchplan --generate-completion-script bash (or zsh, fish); see the README for where \
            to put the script and for the man page.

            Examples:
              batchplan gpus list --min-memory 12GB
              batchplan --db ./team.sqlite fit --memory 24GB
              batchplan fit --gpu "RTX 3060" --model llama-3.2-1b --seq 1024 --save rtx3060-llama
              batchplan report --plan rtx3060-llama --format html -o plan.html
              batchplan --generate-completion-script bash > ~/.local/share/bash-completion/completions/batchplan
              batchplan db path
            """,
        version: version,
        subcommands: [Estimate.self, Fit.self, Serve.self, Report.self, Plans.self, Gpus.self, Models.self, Runs.self, Calibrate.self, Db.self]
    )

    /// Shown in the root's help only: `main` moves a `--db` given here behind the subcommand (`GlobalOptions`).
    @OptionGroup var catalog: CatalogOptions
}

/// Options every catalog command shares.
struct CatalogOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Catalog file (overrides $BATCHPLAN_DB and the default location).", valueName: "path"))
    var db: String?

    func location() throws -> CatalogLocation { try CatalogLocation.resolve(flag: db) }

    /// Opens the catalog, creating and seeding it on first use. A catalog created at a `--db` path says so on
    /// stderr, so a mistyped file name in an existing directory shows up as a new catalog instead of passing
    /// unnoticed; `BATCHPLAN_DB` and the default location, set once, create theirs quietly.
    func open() throws -> Catalog {
        let location = try location()
        let catalog = try Catalog(location: location)
        if catalog.isNew && location.origin == .flag { Output.note("created a new catalog at \(catalog.path)") }
        return catalog
    }
}

/// Output formats of list and show commands; JSON is the stable contract.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
    case csv
}

/// Output formats of commands whose answer is one document, not rows (`estimate`, `calibrate`, `plans show`,
/// `db check`): a CSV of it would only be the table again, so `--format csv` is refused at parsing with the values
/// that exist, and the help lists only these.
enum TableOrJSON: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}
