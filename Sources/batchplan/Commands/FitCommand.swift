import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

extension PlanPreference: ExpressibleByArgument {}

extension BatchPlan {
    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What fits on a card: for each card × model, the largest micro-batch and the best combination.",
            discussion: """
                Tries every precision the card supports × checkpointing × training mode × optimizer and ranks the \
                plans: full training before LoRA before QLoRA, then the largest micro-batch, ties to less \
                recomputation and higher precision (--prefer fidelity|memory changes it). Unless you pass them, \
                plans use --optimizer adamw and --mode full, lora and qlora (repeat a flag to compare several, \
                e.g. --optimizer adamw --optimizer sgd-momentum --optimizer adamw-8bit; --mode frozen trains only \
                the head). Without --model, every model in the catalog. Exits 2 when nothing fits anywhere, \
                saying by how much and what would make it fit.

                --trainer (hf-trainer, torchtune, litgpt, …, with an optional version) plans with that stack's structural defaults, which the assumptions list with their sources; --optimizer takes Hugging Face optim values and bitsandbytes class names too (paged_adamw_8bit, Adam8bit).

                Examples:
                  batchplan fit --memory 12GB
                  batchplan fit --gpu "RTX 3060" --model llama-3.2-1b --seq 1024
                  batchplan fit --gpu A100-80GB-SXM --model llama-2-7b --seq 4096 --optimizer adamw --gpus 8 --zero 3
                  batchplan fit --gpu 4090 --model resnet50 --precision bf16-amp --target-batch 256 --multiple-of 8
                  batchplan fit --gpu "RTX 3060" --model llama-3.2-1b --seq 1024 --save rtx3060-llama
                  batchplan fit --gpu A10G --model llama-3.2-3b --seq 1024 --mode lora --trainer litgpt
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var question: FitFlags
        @Option(help: "Alternatives shown per card × model in the table (JSON lists them all with --all).") var alternatives: Int = 3
        @Flag(help: "JSON: list every candidate, not only the best and the shown alternatives.") var all = false
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table
        @Option(help: ArgumentHelp("Save the plan in the catalog under this name (batchplan report --plan NAME).", valueName: "name"))
        var save: String?
        @Flag(help: "With --save: overwrite a saved plan of the same name.") var replace = false

        func run() throws {
            if replace && save == nil { throw Usage.error("--replace only applies with --save NAME") }
            if let save, save.trimmingCharacters(in: .whitespaces).isEmpty { throw Usage.error("--save needs a name, e.g. --save rtx3060-llama") }
            let opened = try catalog.open()
            let outcome = try FitRunner(catalog: opened).run(FitQuery(question))
            let results = outcome.results
            let gpus = outcome.gpus
            let memory = Dictionary(gpus.map { ($0.name, $0.memoryBytes) }, uniquingKeysWith: { a, _ in a })
            switch format {
            case .json:
                Output.data(try Output.json(FitFormatting.json(results, memory: memory, alternatives: all ? nil : alternatives)))
            case .csv:
                Output.data(FitFormatting.csv(results, memory: memory))
            case .table:
                Output.data(FitFormatting.table(results, gpus: gpus, headroom: outcome.solver.headroom,
                                                alternatives: outcome.models.count == 1 ? alternatives : 0))
            }
            if let save {
                try SavedPlans.save(outcome, name: save, replacing: replace, in: opened)
                Output.note("saved plan \"\(save)\" (batchplan report --plan \"\(save)\" --format html -o plan.html)")
            }
            if outcome.nothingFits { throw ExitCode(2) }
        }
    }
}

/// Solver options: headroom, rounding, target batch, ranking.
struct SolverFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Memory kept free: a share of the card (15%) or a size (1.5GiB). Default 10%.", valueName: "headroom"))
    var headroom: String?
    @Option(help: "Round the micro-batch down to a multiple of this.") var multipleOf: Int = 1
    @Flag(help: "Round the micro-batch down to a power of two.") var powerOfTwo = false
    @Option(help: "Samples per optimizer step to reach with micro-batch × accumulation × GPUs.") var targetBatch: Int?
    @Option(help: "Never plan a micro-batch above this.") var maxBatch: Int?
    @Option(help: "Ranking: batch (largest micro-batch), fidelity (highest precision), memory (most room left).")
    var prefer: PlanPreference = .batch

    func options() throws -> SolverOptions {
        let parsedHeadroom = try headroom.map { text in try Usage.parse { () throws(CoreError) in try Headroom(parsing: text) } } ?? .default
        return try Usage.parse { () throws(CoreError) in
            try SolverOptions(
                headroom: parsedHeadroom, multipleOf: multipleOf, powerOfTwo: powerOfTwo, targetBatch: targetBatch,
                maxBatch: maxBatch, preference: prefer
            ).validated()
        }
    }
}
