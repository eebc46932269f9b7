import ArgumentParser

extension BatchPlan {
    struct Runs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "runs",
            abstract: "Record, import, list, export and remove measured runs (peaks and OOMs) that calibrate the planner.",
            subcommands: [Record.self, Import.self, List.self, Export.self, Remove.self]
        )
    }
}
