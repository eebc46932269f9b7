import ArgumentParser

extension BatchPlan {
    struct Plans: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plans",
            abstract: "List, show and remove plans saved with fit --save NAME.",
            discussion: """
                Examples:
                  batchplan fit --gpu "RTX 3060" --model llama-3.2-1b --seq 1024 --save rtx3060-llama
                  batchplan plans list
                  batchplan plans show rtx3060-llama
                  batchplan report --plan rtx3060-llama --compare
                  batchplan plans remove rtx3060-llama
                """,
            subcommands: [List.self, Show.self, Remove.self]
        )
    }
}
