import ArgumentParser

extension BatchPlan.Models {
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove a model you added (built-in models cannot be removed).",
            discussion: "Example:\n  batchplan models remove captcha-cnn"
        )

        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "Model name.") var name: String

        func run() throws {
            try catalog.open().removeModel(named: name)
            Output.note("removed model \"\(name)\"")
        }
    }
}
