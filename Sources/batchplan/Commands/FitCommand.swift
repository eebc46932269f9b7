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
                Tries every precision the card supports × checkpointing × training mode × optimizer and ranks the
                plans: full training before LoRA before QLoRA, then the largest micro-batch, ties to less
                recomputation and higher precision (--prefer fidelity|memory changes it). Unless you pass them,
                plans use --optimizer adamw and --mode full, lora and qlora (repeat a flag to compare several,
                e.g. --optimizer adamw --optimizer sgd-momentum --optimizer adamw-8bit; --mode frozen trains only
                the head). Without --model, every model in the catalog. Exits 2 when nothing fits anywhere,
                saying by how much and what would make it fit.

                Examples:
                  batchplan fit --memory 12GB
                  batchplan fit --gpu "RTX 3060" --model llama-3.2-1b --seq 1024
                  batchplan fit --gpu A100-80GB-SXM --model llama-2-7b --seq 4096 --optimizer adamw --gpus 8 --zero 3
                  batchplan fit --gpu 4090 --model resnet50 --precision bf16-amp --target-batch 256 --multiple-of 8
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var cards: CardFlags
        @Option(name: .customLong("model"), help: "Model to plan (repeatable; default: every model in the catalog).")
        var models: [String] = []
        @OptionGroup var accounting: AccountingFlags
        @Option(name: .customLong("precision"), help: "Only these precisions (repeatable).") var precisions: [Precision] = []
        @Option(name: .customLong("optimizer"), help: "Only these optimizers (repeatable).") var optimizers: [OptimizerKind] = []
        @Option(name: .customLong("checkpointing"), help: "Only these checkpointing modes (repeatable).") var checkpointings: [Checkpointing] = []
        @Option(name: .customLong("mode"), help: "Only these training modes (repeatable).") var modes: [TrainingMode] = []
        @OptionGroup var solver: SolverFlags
        @OptionGroup var training: TrainingFlags
        @Option(help: "Alternatives shown per card × model in the table (JSON lists them all with --all).") var alternatives: Int = 3
        @Flag(help: "JSON: list every candidate, not only the best and the shown alternatives.") var all = false
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

        func run() throws {
            let opened = try catalog.open()
            let gpus = try cards.cards(in: opened)
            let options = try accounting.options()
            let selected = models.isEmpty ? try opened.models() : try models.map { try opened.model(named: $0) }
            let base = try training.base()
            // The optimizer and the training mode are what the user trains, not knobs to trade for batch size: unless
            // asked, plans use AdamW and compare full training with LoRA and QLoRA (frozen only on request).
            let filters = FitFilters(
                precisions: precisions.isEmpty ? nil : precisions, optimizers: optimizers.isEmpty ? [.adamw] : optimizers,
                checkpointing: checkpointings.isEmpty ? nil : checkpointings,
                modes: modes.isEmpty ? [.full, .lora, .qlora] : modes, base: base)
            let solverOptions = try solver.options()
            var accounted: [(CatalogModel, ModelAccounting)] = []
            for model in selected {
                do {
                    accounted.append((model, try ModelLoading.account(model, ModelLoading.options(options, for: model))))
                } catch let error as CatalogError where models.isEmpty {
                    Output.warning("skipped \(model.name): \(error.description)")
                }
            }
            let calibration = training.noCalibration ? CalibrationModel.analytic : try opened.currentCalibration()
            let byName = Dictionary(accounted.map { ($0.1.name, $0.0) }, uniquingKeysWith: { a, _ in a })
            let results: [FitResult]
            do {
                results = try Planner.fit(
                    models: accounted.map(\.1), gpus: gpus, filters: filters, options: solverOptions,
                    calibration: { model, gpu in
                        guard let catalogModel = byName[model.name] else { return .analytic }
                        return calibration.factors(for: catalogModel, gpu: gpu, framework: base.framework)
                    })
            } catch {
                throw CatalogError.core(error)
            }
            let memory = Dictionary(gpus.map { ($0.name, $0.memoryBytes) }, uniquingKeysWith: { a, _ in a })
            switch format {
            case .json:
                Output.data(try Output.json(FitFormatting.json(results, memory: memory, alternatives: all ? nil : alternatives)))
            case .csv:
                Output.data(FitFormatting.csv(results, memory: memory))
            case .table:
                Output.data(FitFormatting.table(results, gpus: gpus, headroom: solverOptions.headroom,
                                                alternatives: selected.count == 1 ? alternatives : 0))
            }
            if !results.isEmpty && results.allSatisfy({ $0.best == nil }) { throw ExitCode(2) }
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
