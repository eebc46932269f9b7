import ArgumentParser
import BatchPlanCatalog
import Foundation

extension BatchPlan.Plans {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List saved plans, oldest first.",
            discussion: """
                Examples:
                  batchplan plans list
                  batchplan plans list --format json
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

        func run() throws {
            let plans = try catalog.open().savedPlans()
            let rows = plans.map { plan -> (plan: SavedPlan, question: String) in
                let result = try? plan.decode(SavedPlanResult.self, from: plan.resultJSON, what: "result")
                return (plan, result?.input.question ?? "(saved by batchplan \(plan.batchplanVersion) in a shape this one cannot read)")
            }
            switch format {
            case .json:
                Output.data(try Output.json(["plans": rows.map { row -> [String: Any] in
                    ["name": row.plan.name, "created_at": row.plan.createdAt, "batchplan_version": row.plan.batchplanVersion,
                     "question": row.question,
                     "query": (try? JSONSerialization.jsonObject(with: Data(row.plan.queryJSON.utf8))) ?? NSNull()]
                }]))
            case .csv:
                Output.data((["name,created_at,batchplan_version,question"] + rows.map { row in
                    [row.plan.name, row.plan.createdAt, row.plan.batchplanVersion, row.question].map(CSV.escape).joined(separator: ",")
                }).joined(separator: "\n"))
            case .table:
                var table = TextTable(headers: ["NAME", "SAVED", "VERSION", "QUESTION"])
                table.rows = rows.map { [$0.plan.name, $0.plan.createdAt, $0.plan.batchplanVersion, $0.question] }
                Output.data(table.render())
                Output.note(plans.isEmpty ? "no saved plans; save one with batchplan fit … --save NAME" : plans.count == 1 ? "1 saved plan" : "\(plans.count) saved plans")
            }
        }
    }
}
