import ArgumentParser

extension BatchPlan.Plans {
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove a saved plan.",
            discussion: """
                Example:
                  batchplan plans remove rtx3060-llama
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "Name of the saved plan (any letter case).") var name: String

        func run() throws {
            try catalog.open().removeSavedPlan(named: name)
            Output.note("removed saved plan \"\(name)\"")
        }
    }
}
