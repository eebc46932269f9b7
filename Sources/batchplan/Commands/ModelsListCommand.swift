import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore

extension BatchPlan.Models {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the models in the catalog.",
            discussion: """
                Examples:
                  batchplan models list
                  batchplan models list --family decoder --format json
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Option(help: "Only this family: cnn, encoder, decoder, encoder-decoder, custom.") var family: ModelFamily?
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

        func run() throws {
            let models = try catalog.open().models().filter { family == nil || $0.family == family }
            switch format {
            case .json:
                Output.data(try Output.json(["models": models.map { model -> [String: Any] in
                    ["name": model.name, "family": model.family.rawValue, "parameters": model.parameters,
                     "kind": model.definition.kind.rawValue, "source": model.definition.source,
                     "origin": model.definition.origin.rawValue]
                }]))
            case .csv:
                Output.data((["name,family,parameters,kind,source,origin"] + models.map { model in
                    [model.name, model.family.rawValue, String(model.parameters), model.definition.kind.rawValue,
                     model.definition.source, model.definition.origin.rawValue].map(CSV.escape).joined(separator: ",")
                }).joined(separator: "\n"))
            case .table:
                var table = TextTable(headers: ["NAME", "FAMILY", "PARAMETERS", "DEFINITION", "ORIGIN"], rightAligned: [2])
                table.rows = models.map { model in
                    [model.name, model.family.rawValue, ModelFormatting.count(model.parameters), model.definition.kind.rawValue,
                     model.definition.origin == .user ? "user" : "built-in"]
                }
                Output.data(table.render())
                Output.note("\(models.count) model\(models.count == 1 ? "" : "s")")
            }
        }
    }
}
