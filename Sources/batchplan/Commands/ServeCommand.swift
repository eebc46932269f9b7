import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import BatchPlanReports
import Foundation

extension BatchPlan {
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Inference memory: the largest batch, longest context or most concurrent sequences that fit a card.",
            discussion: """
                Plans prediction, not training: weights in the serving format (fp16/bf16, fp8, int8, group-wise int4 as GPTQ/AWQ store it with its scales and zeros, NF4), the peak live activations of one forward pass under torch.inference_mode() (the widest layer's working set, not a sum), the KV cache of decoders (layers × 2 × KV heads × head dim × bytes × tokens, with grouped-query and multi-query attention, sliding windows, Gemma 2's alternating layers and DeepSeek's latent attention), workspace, CUDA context and allocator reserve.

                Say what to solve for: --context N gives the largest batch of sequences at N tokens each (prompt included), --batch N the longest context for N sequences, --prompt P --generate O the most concurrent requests of P + O tokens with a paged cache in blocks of --block-size tokens, as vLLM serves them. Both --batch and --context check one configuration. Vision models and encoders get their largest inference batch. --memory-utilization 0.9 plans the way vLLM's gpu_memory_utilization does: that share of the card holds weights, activations and cache, and the cache gets what is left. The output says which of weights, KV cache and activations takes the most and which changes would raise the answer (a smaller cache dtype, int4 weights, tensor parallelism). Exits 2 when nothing fits.

                --format md, html or csv (and json with -o) write an inference report: per card the answer, what limits it, the changes that would raise it, the memory breakdown, and memory against the number of sequences (or the context, for --batch) split into weights, KV cache, activations and the rest, up to the answer and one step past it (an SVG chart in html, one row per point in csv). With -o the file is written atomically.

                Examples:
                  batchplan serve --model llama-3.1-8b --gpu "RTX 4090" --weights int4 --prompt 7168 --generate 1024 --memory-utilization 0.9
                  batchplan serve --model llama-3.1-8b --gpu L4 --context 8192
                  batchplan serve --model mistral-7b-v0.1 --gpu A100-80GB-SXM --batch 16 --kv-cache-dtype fp8
                  batchplan serve --model resnet50 --gpu T4 --dtype fp16
                  batchplan serve --model llama-2-13b --gpu "RTX 3090" --context 4096 --tensor-parallel 2 --format json
                  batchplan serve --model mistral-7b-v0.1 --gpu L4 --gpu A10G --context 8192 --format html -o serve.html
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var question: ServeFlags
        @Option(help: "Output format: table, json, or a report: md, html, csv.") var format: ServeOutputFormat = .table
        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file (atomically) instead of stdout.", valueName: "file"))
        var output: String?

        func run() throws {
            let opened = try catalog.open()
            let budget = try question.budget()
            let model = try question.inferenceModel(in: opened)
            let (kind, workload) = try question.question(for: model)
            if let limit = model.maxPositions, model.hasLearnedPositions, workload.contextTokens > limit {
                throw Usage.error(
                    "\(question.model) has \(limit) positions (a learned table, max_position_embeddings): use a context of \(limit) tokens or less")
            }
            let cards = try question.cards.cards(in: opened)
            if case let .headroom(headroom) = budget { try headroom.check(against: cards, flag: question.headroom) }
            var plans: [(GPU, InferenceSolution)] = []
            for gpu in cards {
                let configuration = try question.configuration(for: gpu)
                let calibration = try question.calibration(for: gpu, in: opened)
                do {
                    let solution = try InferencePlanner.solve(
                        kind, model: model, gpu: gpu, configuration: configuration, workload: workload, budget: budget,
                        calibration: calibration)
                    plans.append((gpu, solution))
                } catch {
                    throw CatalogError.core(error)
                }
            }
            if let limit = model.maxPositions, workload.contextTokens > limit {
                Output.warning("\(workload.contextTokens) tokens is longer than \(model.accounting.name)'s \(limit) positions (max_position_embeddings)")
            }
            switch format {
            case .json where output == nil:
                Output.data(try Output.json(["plans": plans.map { ServeFormatting.json($1, model: model, gpu: $0, budget: budget) }]))
            case .table:
                if output != nil { throw Usage.error("-o writes a report: pass --format md, html, csv or json") }
                Output.data(plans.map { ServeFormatting.text($1, model: model, gpu: $0, budget: budget) }.joined(separator: "\n\n"))
            case .json, .md, .html, .csv:
                try ServeReport.write(
                    plans: plans.map { (gpu: $0.0, solution: $0.1) }, model: model, kind: kind, workload: workload,
                    budget: budget, modelName: question.model, format: format.report!, output: output, catalog: opened)
            }
            if plans.contains(where: { !$0.1.fits }) { throw ExitCode(2) }
        }
    }
}

/// `serve --format`: the text table, the plans as JSON, or a report format.
enum ServeOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
    case md
    case html
    case csv

    /// The report format, for md, html, csv and json.
    var report: ReportFormat? { ReportFormat(rawValue: rawValue) }
}
