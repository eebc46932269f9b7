import ArgumentParser

extension BatchPlan.Gpus {
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove an accelerator you added (built-in cards cannot be removed).",
            discussion: """
                Example:
                  batchplan gpus remove "A10G 24GB (AWS g5)"
                """
        )

        @OptionGroup var catalog: CatalogOptions

        @Argument(help: "Name of the card you added.")
        var name: String

        func run() throws {
            try catalog.open().removeGPU(named: name)
            Output.note("removed GPU \"\(name)\"")
        }
    }
}
