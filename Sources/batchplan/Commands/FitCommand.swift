import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

extension PlanPreference: ExpressibleByArgument {}

extension BatchPlan {
    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fit",
            abstract: "What fits on a card: for each card × model, the largest micro-batch and the best combination.",
            discussion: """
                Tries the precisions a trusted recipe uses × checkpointing × training mode × optimizer, solves each for \
                its largest micro-batch, estimates its step time and ranks the plans: full training before LoRA before \
                QLoRA, then recommended precisions before trade-offs, then the highest estimated throughput (samples/s \
                at the solved micro-batch and accumulation; within 2% ties go to less recomputation and higher \
                precision). --prefer batch ranks by the largest micro-batch instead, --prefer fidelity by precision, \
                --prefer memory by the room left.

                Precision policy: full training uses mixed precision (bf16-amp where the card has bf16, else fp16-amp \
                with loss scaling), fp32 or tf32; pure bf16 (no fp32 master weights) and Transformer Engine-style fp8 \
                (only on cards with FP8 tensor cores) are offered only when nothing recommended fits, flagged as \
                trade-offs; pure fp16 is never planned unless you ask with --precision fp16 (and then with a warning). LoRA \
                and QLoRA use their usual recipe: a bf16 (or NF4) frozen base with fp32 adapters under autocast.

                Step time: a per-layer roofline over the card's catalog TFLOPS at the precision and its memory \
                bandwidth, plus launch overhead per layer and the optimizer step's memory traffic, calibrated from runs' \
                step_time_ms (batchplan runs list). The alternatives say what each would cost per sample. Unless you \
                pass them, plans use --optimizer adamw and --mode full, lora and qlora (repeat a flag to compare \
                several, e.g. --optimizer adamw --optimizer sgd-momentum --optimizer adamw-8bit; --mode frozen trains \
                only the head). Without --model, every model in the catalog. Exits 2 when nothing fits anywhere, saying \
                by how much and what would make it fit.

                --trainer (hf-trainer, torchtune, litgpt, …, with an optional version) plans with that stack's structural defaults, which the assumptions list with their sources; --optimizer takes Hugging Face optim values and bitsandbytes class names too (paged_adamw_8bit, Adam8bit).

                Examples:
                  batchplan fit --memory 12GB
                  batchplan fit --gpu "RTX 3060" --model llama-3.2-1b --seq 1024
                  batchplan fit --gpu A100-80GB-SXM --model llama-2-7b --seq 4096 --optimizer adamw --gpus 8 --zero 3
                  batchplan fit --gpu 4090 --model resnet50 --precision bf16-amp --target-batch 256 --multiple-of 8
                  batchplan fit --gpu A100-80GB-SXM --model resnet50 --dataset-size 1281167
                  batchplan fit --memory 12GB --model resnet50 --prefer batch
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
            if let save, save.trimmingSpaces().isEmpty { throw Usage.error("--save needs a name, e.g. --save rtx3060-llama") }
            let opened = try catalog.open()
            if let save, !replace { try opened.requirePlanNameFree(save) }
            let outcome = try FitRunner(catalog: opened).run(FitQuery(question), flags: question)
            let results = outcome.results
            let gpus = outcome.gpus
            let memory = Dictionary(gpus.map { ($0.name, $0.memoryBytes) }, uniquingKeysWith: { a, _ in a })
            let context = FitFormatting.Context(prefer: outcome.solver.preference, datasetSize: question.solver.datasetSize)
            let planned = question.selection.modes.isEmpty ? [TrainingMode.full] : question.selection.modes
            if let gpu = gpus.first, let mode = planned.first(where: { $0 == .full || $0 == .frozen }),
                let warning = PrecisionPolicy(gpu: gpu, requested: question.selection.precisions).warning(for: mode)
            {
                Output.warning(warning)
            }
            switch format {
            case .json:
                Output.data(try Output.json(FitFormatting.json(
                    results, memory: memory, alternatives: all ? nil : alternatives, context: context)))
            case .csv:
                Output.data(FitFormatting.csv(results, memory: memory, context: context))
            case .table:
                Output.data(FitFormatting.table(results, gpus: gpus, headroom: outcome.solver.headroom,
                                                alternatives: outcome.models.count == 1 ? alternatives : 0, context: context))
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
    @Option(
        help: "Ranking: speed (highest estimated throughput, the default), batch (largest micro-batch), fidelity (highest precision), memory (most room left).")
    var prefer: PlanPreference = .speed
    @Option(help: ArgumentHelp("Samples in one epoch: adds the estimated time per epoch.", valueName: "samples"))
    var datasetSize: Int?

    func options() throws -> SolverOptions {
        if let datasetSize, datasetSize < 1 {
            throw Usage.error("--dataset-size \(datasetSize) must be a positive number of samples, e.g. --dataset-size 1281167")
        }
        let parsedHeadroom = try headroom.map { text in try Usage.parse { () throws(CoreError) in try Headroom(parsing: text) } } ?? .default
        return try Usage.parse { () throws(CoreError) in
            try SolverOptions(
                headroom: parsedHeadroom, multipleOf: multipleOf, powerOfTwo: powerOfTwo, targetBatch: targetBatch,
                maxBatch: maxBatch, preference: prefer
            ).validated()
        }
    }
}
