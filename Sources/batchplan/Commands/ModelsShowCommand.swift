import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

extension BatchPlan.Models {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a model's parameters, activations kept for backward and FLOPs, optionally layer by layer.",
            discussion: """
                Activation bytes are per sample, at fp32, as autograd saves them for backward (loss included).

                Examples:
                  batchplan models show resnet50 --image 160 --layers
                  batchplan models show gpt2 --seq 1024 --attention eager --format json
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "Model name.") var name: String
        @OptionGroup var accounting: AccountingFlags
        @Flag(help: "Show the per-layer table (shape, parameters, activation values, saved bytes).") var layers = false
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

        func run() throws {
            let model = try catalog.open().model(named: name)
            let result = try ModelLoading.account(model, try accounting.options())
            switch format {
            case .json: Output.data(try Output.json(ModelFormatting.json(result, includeLayers: true)))
            case .csv: Output.data(ModelFormatting.layersCSV(result))
            case .table: Output.data(ModelFormatting.table(result, layers: layers))
            }
        }
    }
}
