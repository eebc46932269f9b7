import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import BatchPlanReports
import Foundation

extension BatchPlan.Plans {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a saved plan: its question, the command that asks it again, and the answer per card × model.",
            discussion: """
                Examples:
                  batchplan plans show rtx3060-llama
                  batchplan plans show rtx3060-llama --format json
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "Name of the saved plan (any letter case).") var name: String
        @Option(help: "Output format: table or json.") var format: TableOrJSON = .table

        func run() throws {
            let loaded = try SavedPlans.load(name, from: catalog.open())
            let input = loaded.result.input
            let command = (["batchplan", "fit"] + loaded.query.arguments).map(Self.shellQuoted).joined(separator: " ")
            switch format {
            case .json:
                Output.data(try Output.json([
                    "name": loaded.plan.name, "created_at": loaded.plan.createdAt,
                    "batchplan_version": loaded.plan.batchplanVersion, "question": input.question, "command": command,
                    "query": (try? JSONSerialization.jsonObject(with: Data(loaded.plan.queryJSON.utf8))) ?? NSNull(),
                    "calibration": ["scope": input.calibration.scope, "runs_used": input.calibration.runsUsed],
                    "results": input.results.map { result -> [String: Any] in
                        ["gpu": result.gpu, "model": result.model, "fits": result.best != nil,
                         "plan": result.best.map { PlanComparison.label($0) } ?? NSNull(),
                         "max_batch_size": result.best?.maxBatchSize ?? 0,
                         "device_used_bytes": result.best?.deviceUsedBytes ?? NSNull()]
                    },
                ]))
            case .table:
                var table = TextTable(headers: ["CARD", "MODEL", "PLAN", "MAX BATCH", "DEVICE USED"], rightAligned: [3, 4])
                table.rows = input.results.map { result in
                    [result.gpu, result.model, PlanComparison.label(result.best), String(result.best?.maxBatchSize ?? 0),
                     result.best.map { ByteSize.format($0.deviceUsedBytes) } ?? "–"]
                }
                Output.data([
                    "plan:        \(loaded.plan.name)", "saved:       \(loaded.plan.createdAt) by batchplan \(loaded.plan.batchplanVersion)",
                    "question:    \(input.question)", "command:     \(command)",
                    "calibration: \(ReportWording.calibration(SavedPlans.calibrationSummary(loaded)))", "", table.render(),
                ].joined(separator: "\n"))
            }
        }

        /// A word as a POSIX shell reads it back: bare when safe, else in single quotes.
        static func shellQuoted(_ word: String) -> String {
            let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:+,@%".contains($0) }
            return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
    }
}
