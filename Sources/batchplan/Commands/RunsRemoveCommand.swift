import ArgumentParser

extension BatchPlan.Runs {
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove a run you recorded or imported (by the ID that runs list shows).",
            discussion: "Example:\n  batchplan runs remove 513    # an id runs list shows for a run you recorded or imported"
        )

        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "Run ID from batchplan runs list.") var id: Int64

        func run() throws {
            try catalog.open().removeRun(id: id)
            Output.note("removed run \(id); calibration will refit on the next plan")
        }
    }
}
