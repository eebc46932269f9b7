import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

extension BatchPlan.Models {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a model from raw counts: parameters and forward activation values per sample.",
            discussion: """
                --activations is a count of forward values per sample (the sum of every layer's output sizes). \
                batchplan keeps each of them once for backward in the compute dtype: 4 bytes at fp32, 2 under \
                AMP or pure half precision. The input sample is fp32 and its label one int64. For exact per-layer \
                accounting, profile the model with tools/profile_torch.py and use `models import --profile`.

                Example (the classic question):
                  batchplan models add captcha-cnn --params 19072984 --activations 532752 --input 180x50x1
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "Name for the model.") var name: String
        @Option(help: "Parameter count.") var params: Int
        @Option(help: "Forward activation values per sample.") var activations: Int
        @Option(help: ArgumentHelp("Input shape per sample, e.g. 180x50x1.", valueName: "shape")) var input: String
        @Option(help: "Output classes (the logits width the loss reads).") var classes: Int = 10
        @Flag(help: "Replace a model of yours with the same name.") var replace = false

        func run() throws {
            let definition = try Usage.parse { () throws(CoreError) in
                try RawCountsModel.definition(
                    name: name, parameters: params, activationsPerSample: activations, input: input, classes: classes,
                    source: "batchplan models add")
            }
            let model = try catalog.open().addModel(definition, replacing: replace)
            Output.note("added model \"\(model.name)\" (\(ModelFormatting.count(model.parameters)) parameters)")
        }
    }
}
