import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

extension BatchPlan.Runs {
    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record one measured run by hand: a peak at a batch size, or an OOM.",
            discussion: """
                Give at least one reading (--peak-allocated, --peak-reserved, --device-used) or --oom, or --fits for \
                a run that only says the batch ran. Sizes take units (9.8GiB, 10035MiB; binary) or plain bytes.

                Examples:
                  batchplan runs record --model resnet50 --gpu "RTX 3090" --batch 128 --precision fp16-amp --optimizer sgd-momentum --peak-reserved 9.8GiB --device-used 10.6GiB
                  batchplan runs record --model gpt2 --gpu T4 --batch 16 --seq 1024 --precision fp16-amp --optimizer adamw --oom
                  batchplan runs record --inference --model llama-3.1-8b --gpu L4 --batch 4 --seq 4096 --dtype bf16 --peak-allocated 19.1GiB --peak-reserved 19.6GiB --device-used 20.3GiB

                With --inference the run measured prediction (serve): --batch is the sequences, --seq the context in tokens, --dtype the compute dtype, and the training flags (--precision, --optimizer, --mode, --checkpointing) do not apply. Inference runs calibrate serve's runtime context and allocator reserve only; training plans never use them.
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Option(help: "Model name in the catalog.") var model: String
        @Option(help: "GPU name or alias.") var gpu: String
        @Option(help: "Micro-batch size per GPU.") var batch: Int
        @Option(help: "Sequence length (transformers).") var seq: Int?
        @Option(help: "Image size (vision models).") var image: Int?
        @Option(help: "Precision: \(Precision.allCases.map(\.rawValue).joined(separator: ", ")).") var precision: Precision = .fp32
        @Option(help: "Optimizer: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")).") var optimizer: OptimizerKind = .adamw
        @Option(help: "Activation checkpointing: none, selective, block.") var checkpointing: Checkpointing = .none
        @Option(help: "Training mode: full, frozen, lora, qlora.") var mode: TrainingMode = .full
        @Option(help: "LoRA rank.") var loraRank: Int?
        @Option(help: "Attention implementation: eager or sdpa.") var attention: AttentionImplementation?
        @Option(help: "Gradient accumulation steps.") var gradAccum: Int = 1
        @Option(help: "Data-parallel GPUs.") var gpus: Int = 1
        @Option(help: "ZeRO stage (0-3).") var zero: Int = 0
        @Option(help: "Framework with optional version, e.g. pytorch-2.4.") var framework: String = "pytorch"
        @Option(help: ArgumentHelp("torch.cuda.max_memory_allocated().", valueName: "size")) var peakAllocated: String?
        @Option(help: ArgumentHelp("torch.cuda.max_memory_reserved().", valueName: "size")) var peakReserved: String?
        @Option(help: ArgumentHelp("What nvidia-smi showed (context included).", valueName: "size")) var deviceUsed: String?
        @Option(help: "Step time in milliseconds.") var stepTimeMs: Double?
        @Flag(help: "The run ran out of memory.") var oom = false
        @Flag(help: "The run fit, nothing measured.") var fits = false
        @Option(help: "Where it came from: a URL, or a note (default: measured).") var source: String = "measured"
        @Option(help: "Notes.") var notes: String?
        @OptionGroup var inference: InferenceRunFlags

        func run() throws {
            func size(_ text: String?, _ flag: String) throws -> Int? {
                guard let text else { return nil }
                return try Usage.parse { () throws(CoreError) in try ByteSize.parse(text, what: flag) }
            }
            let allocated = try size(peakAllocated, "--peak-allocated")
            let reserved = try size(peakReserved, "--peak-reserved")
            let used = try size(deviceUsed, "--device-used")
            let readings = [allocated, reserved, used].compactMap { $0 }
            guard oom || fits || !readings.isEmpty else {
                throw Usage.error("give a reading (--peak-allocated, --peak-reserved or --device-used), --oom or --fits")
            }
            guard !(oom && fits) else { throw Usage.error("--oom and --fits contradict each other; give one") }
            _ = try Usage.parse { () throws(CoreError) in try Framework(parsing: framework) }
            let opened = try catalog.open()
            let card = try opened.gpu(named: gpu)
            let isURL = source.hasPrefix("http://") || source.hasPrefix("https://")
            var run = MeasuredRun(
                key: "recorded:" + UUID().uuidString.lowercased(), kind: oom ? .oom : (readings.isEmpty ? .fits : .memAtBatch), model: try opened.model(named: model).name,
                gpu: card.name, gpuMemoryBytes: card.memoryBytes, framework: framework, precision: precision,
                optimizer: optimizer, checkpointing: checkpointing, trainingMode: mode, loraRank: loraRank,
                attention: attention, batchSize: batch, gradAccumSteps: gradAccum, seqLen: seq, imageSize: image, gpus: gpus,
                zeroStage: zero, outcome: oom ? .oom : .ok, peakAllocatedBytes: allocated, peakReservedBytes: reserved,
                deviceUsedBytes: used, stepTimeMs: stepTimeMs, source: isURL ? "url" : source, url: isURL ? source : nil,
                notes: notes, origin: .user, recordedAt: Catalog.timestamp())
            try inference.apply(to: &run)
            do throws(CoreError) {
                try run.validate()
            } catch let CoreError.invalidValue(_, _, problem) {
                throw Usage.error(problem)
            } catch {
                throw Usage.error(error.description)
            }
            let summary = try opened.importRuns(RunFile.Parsed(runs: [(1, run)], errors: []), file: "runs record")
            Output.note("recorded run on \(card.name) (\(summary.added) added); calibration will refit on the next plan")
        }
    }
}

extension Precision: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension Checkpointing: ExpressibleByArgument {}
extension TrainingMode: ExpressibleByArgument {}
extension AttentionImplementation: ExpressibleByArgument {}
extension TrainingTask: ExpressibleByArgument {}
extension ModelFamily: ExpressibleByArgument {}
