import ArgumentParser
import BatchPlanCatalog
import Foundation

extension BatchPlan.Runs {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Export runs as CSV or JSON Lines in batchplan's own format (re-importable unchanged).",
            discussion: """
                Examples:
                  batchplan runs export --format jsonl > runs.jsonl
                  batchplan runs export --format csv --mine -o my-runs.csv
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Option(help: "jsonl or csv.") var format: String = "jsonl"
        @Option(help: "Only runs of this model.") var model: String?
        @Flag(help: "Only the runs you recorded or imported (not the built-in ones).") var mine = false
        @Option(name: .shortAndLong, help: "Write to this file (atomically) instead of stdout.") var output: String?

        func run() throws {
            guard let parsed = RunFile.Format(rawValue: format.lowercased()) else {
                throw Usage.error("unknown format \"\(format)\"; use jsonl or csv")
            }
            let runs = try catalog.open().runs(model: model).map(\.run).filter { !mine || $0.origin == .user }
            let text = RunFile.export(runs, format: parsed)
            if let output {
                do {
                    try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
                } catch {
                    throw CatalogError.invalidInput("cannot write \(output); check the folder exists and is writable")
                }
                Output.note("wrote \(runs.count) runs to \(output)")
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}
