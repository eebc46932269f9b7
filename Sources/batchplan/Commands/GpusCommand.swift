import ArgumentParser

extension BatchPlan {
    struct Gpus: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gpus",
            abstract: "List, show, add and remove accelerators in the catalog.",
            subcommands: [List.self, Show.self, Add.self, Remove.self]
        )
    }
}
