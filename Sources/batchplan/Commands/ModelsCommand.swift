import ArgumentParser

extension BatchPlan {
    struct Models: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "models",
            abstract: "List, show, add, import and remove model definitions.",
            subcommands: [List.self, Show.self, Add.self, Import.self, Remove.self]
        )
    }
}
