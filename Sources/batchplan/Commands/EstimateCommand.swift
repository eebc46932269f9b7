import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

extension BatchPlan {
    struct Estimate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Predict training memory component by component for one model, batch and configuration.",
            discussion: """
                Predicts three counters: peak allocated (torch.cuda.max_memory_allocated), peak reserved
                (max_memory_reserved) and device used (what nvidia-smi shows), and the components behind them.

                Examples:
                  batchplan estimate --model resnet50 --batch 64 --precision bf16-amp --gpu "RTX 3090"
                  batchplan estimate --model llama-3.2-1b --batch 4 --seq 2048 --mode lora --lora-rank 16 --gpu L4
                  batchplan estimate --params 19072984 --activations 532752 --input 180x50x1 --batch 128 \\
                    --optimizer sgd-momentum
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Option(help: "Model name in the catalog.") var model: String?
        @Option(help: "Raw parameter count (instead of --model).") var params: Int?
        @Option(help: "Raw forward activation values per sample (with --params; kept once for backward).") var activations: Int?
        @Option(help: "Micro-batch size per GPU.") var batch: Int
        @OptionGroup var accounting: AccountingFlags
        @Option(help: "Precision: \(Precision.allCases.map(\.rawValue).joined(separator: ", ")).") var precision: Precision = .fp32
        @Option(help: "Optimizer: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")).") var optimizer: OptimizerKind = .adamw
        @Option(help: "Activation checkpointing: none, selective, block.") var checkpointing: Checkpointing = .none
        @Option(help: "Training mode: full, frozen, lora, qlora.") var mode: TrainingMode = .full
        @Option(help: "Gradient accumulation steps.") var gradAccum: Int = 1
        @OptionGroup var training: TrainingFlags
        @Option(help: "Card to plan for (picks runtime defaults and checks the precision is supported).") var gpu: String?
        @Option(help: "Output format: table or json.") var format: OutputFormat = .table

        func run() throws {
            guard batch >= 1, batch <= 1 << 24 else { throw Usage.error("--batch must be a positive micro-batch size, got \(batch)") }
            guard gradAccum >= 1 else { throw Usage.error("--grad-accum must be at least 1") }
            let configuration = try training.base(
                precision: precision, optimizer: optimizer, checkpointing: checkpointing, mode: mode, batch: batch,
                gradAccum: gradAccum)
            let opened = try catalog.open()
            let card = try gpu.map { try opened.gpu(named: $0) }
            let options = try accounting.options()
            let catalogModel: CatalogModel
            switch (model, params, activations) {
            case let (name?, nil, nil):
                catalogModel = try opened.model(named: name)
            case let (nil, params?, activations?):
                guard let input = accounting.input else { throw Usage.error("--params needs --input, e.g. --input 180x50x1") }
                let definition = try Usage.parse { () throws(CoreError) in
                    try RawCountsModel.definition(
                        name: "raw counts", parameters: params, activationsPerSample: activations, input: input,
                        source: "command line")
                }
                catalogModel = CatalogModel(definition: definition, family: .custom, parameters: params, addedAt: "")
            default:
                throw Usage.error("give --model NAME, or --params N --activations N --input CxHxW")
            }
            let modelAccounting = try ModelLoading.account(catalogModel, options)
            var factors = CalibrationFactors.analytic
            if !training.noCalibration {
                let calibration = try opened.currentCalibration()
                factors = card.map { calibration.factors(for: catalogModel, gpu: $0, framework: configuration.framework) }
                    ?? calibration.globalFactors
            }
            let estimate: MemoryEstimate
            do {
                estimate = try Planner.estimate(model: modelAccounting, gpu: card, configuration: configuration, calibration: factors)
            } catch {
                throw CatalogError.core(error)
            }
            switch format {
            case .json:
                Output.data(try Output.json(PlanFormatting.estimateJSON(estimate, model: modelAccounting, gpu: card, calibration: factors)))
            case .table, .csv:
                Output.data(PlanFormatting.estimateTable(estimate, model: modelAccounting, gpu: card, calibration: factors))
            }
        }
    }
}
