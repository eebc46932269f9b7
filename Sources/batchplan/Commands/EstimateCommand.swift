import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

extension BatchPlan {
    struct Estimate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "estimate",
            abstract: "Predict training memory component by component for one model, batch and configuration.",
            discussion: """
                Predicts three counters: peak allocated (torch.cuda.max_memory_allocated), peak reserved \
                (max_memory_reserved) and device used (what nvidia-smi shows), and the components behind them. With \
                --gpu it also estimates the step time and samples/s (tokens/s for sequences) on that card, as fit does.

                --trainer names what runs the loop (plain PyTorch by default, hf-trainer, accelerate, lightning, torchtune, litgpt, deepspeed, timm, each with an optional version such as hf-trainer-4.31). It sets the structural defaults that decide the peak: the optimizer step's implementation and its temporaries, whether the step runs inside backward, how gradients are zeroed, DDP's bucket copy, the loss dtype, the autocast weight cache and paged optimizer state. The assumptions list each one with its source; each has its own flag to override it.

                Components are the analytic model's: weights, gradients, optimizer state and master weights are exact. What calibration adds is its own line, calibration adjustment, with the scope it came from.

                Examples:
                  batchplan estimate --model resnet50 --batch 64 --precision bf16-amp --gpu "RTX 3090"
                  batchplan estimate --model llama-3.2-1b --batch 2 --seq 2048 --mode lora --lora-rank 16 --gpu L4
                  batchplan estimate --params 19072984 --activations 532752 --input 180x50x1 --batch 128 --optimizer sgd-momentum
                  batchplan estimate --model llama-3.2-1b --batch 2 --seq 2048 --precision bf16 --trainer torchtune --optimizer PagedAdamW --gpu "RTX 4090"
                  batchplan estimate --model bert-base-uncased --batch 32 --seq 128 --precision fp16-amp --optimizer adamw_hf --trainer hf-trainer-4.31 --gpu V100-16GB
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Option(help: "Model name in the catalog.") var model: String?
        @Option(help: "Raw parameter count (instead of --model).") var params: Int?
        @Option(help: "Raw forward activation values per sample (with --params; kept once for backward).") var activations: Int?
        @Option(help: "Micro-batch size per GPU.") var batch: Int
        @OptionGroup var setup: ConfigurationFlags
        @OptionGroup var calibrationFlags: CalibrationFlags
        @Option(help: "Card to plan for (picks runtime defaults and checks the precision is supported).") var gpu: String?
        @Option(help: "Output format: table or json.") var format: TableOrJSON = .table

        func run() throws {
            try checkModelSource()
            // The flags are checked before the catalog opens; the card then settles LoRA's default precision.
            _ = try setup.configuration(batch: batch)
            let accounting = setup.accounting
            let opened = try catalog.open()
            let card = try gpu.map { try opened.gpu(named: $0) }
            let configuration = try setup.configuration(batch: batch, card: card)
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
                throw Usage.error("give --model NAME, or --params N --activations N --input CxHxW")  // checkModelSource said which
            }
            let modelAccounting = try ModelLoading.account(catalogModel, options).asTrained(by: configuration)
            var factors = CalibrationFactors.analytic
            if !calibrationFlags.noCalibration {
                let calibration = try opened.currentCalibration()
                factors = card.map { calibration.factors(for: catalogModel, gpu: $0, framework: configuration.framework, trainer: configuration.trainer) }
                    ?? calibration.globalFactors
            }
            var estimate: MemoryEstimate
            do {
                estimate = try Planner.estimate(
                    model: modelAccounting, gpu: card, configuration: configuration, calibration: factors,
                    withComponentMaxima: true)
            } catch {
                throw CatalogError.core(error)
            }
            if let note = setup.precisionNote(card: card) { estimate.assumptions.insert(note, at: 0) }
            // A precision fit never recommends says what it trades, as fit does; pure fp16 also warns.
            if let note = PrecisionPolicy.note(configuration.precision, mode: configuration.mode) {
                estimate.assumptions.insert(note, at: 0)
                if configuration.precision == .fp16 { Output.warning(note) }
            }
            // Step time needs the card's rates; calibrated from runs' step times like `fit`.
            var stepTime: Result<StepTimeEstimate, MissingRate>?
            if let card {
                let throughput = calibrationFlags.noCalibration
                    ? ThroughputFactors.defaults : try opened.currentThroughputCalibration().factors(for: catalogModel, gpu: card)
                stepTime = Planner.stepTime(model: modelAccounting, gpu: card, configuration: configuration, factors: throughput)
            }
            switch format {
            case .json:
                var json = PlanFormatting.estimateJSON(estimate, model: modelAccounting, gpu: card, calibration: factors)
                json.merge(StepTimeFormatting.json(try? stepTime?.get(), datasetSize: nil)) { _, new in new }
                json.removeValue(forKey: "epoch_seconds")
                Output.data(try Output.json(json))
            case .table:
                var text = PlanFormatting.estimateTable(estimate, model: modelAccounting, gpu: card, calibration: factors)
                switch stepTime {
                case let .success(t)?:
                    let fits = card.map { estimate.deviceUsedBytes <= $0.memoryBytes } ?? true
                    text += "\n" + StepTimeFormatting.estimateLine(t, fits: fits, batch: configuration.batchSize)
                case let .failure(missing)?: text += "\n\(missing.description)"
                case nil: break
                }
                Output.data(text)
            }
        }

        /// One source of the model, and all of it: --model, or --params with --activations. Checked before the catalog
        /// opens, so a wrong combination says which flags clash or are missing and touches nothing.
        private func checkModelSource() throws {
            let raw = [params.map { _ in "--params" }, activations.map { _ in "--activations" }].compactMap { $0 }
            if model != nil, !raw.isEmpty {
                throw Usage.error(
                    "--model conflicts with \(raw.joined(separator: " and ")): give --model NAME for a catalog model, or "
                        + "--params N --activations N --input CxHxW for raw counts, not both")
            }
            switch (model, params, activations) {
            case (nil, nil, nil):
                throw Usage.error("give --model NAME, or --params N --activations N --input CxHxW")
            case (nil, _?, nil):
                throw Usage.error("--params needs --activations N (forward activation values per sample) and --input CxHxW")
            case (nil, nil, _?):
                throw Usage.error("--activations needs --params N (the parameter count) and --input CxHxW")
            case (nil, _?, _?) where setup.accounting.input == nil:
                throw Usage.error("--params needs --input, e.g. --input 180x50x1")
            default:
                break
            }
        }
    }
}
