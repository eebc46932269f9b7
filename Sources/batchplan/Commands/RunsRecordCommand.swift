import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

extension BatchPlan.Runs {
    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "record",
            abstract: "Record one measured run by hand: a peak at a batch size, or an OOM.",
            discussion: """
                Give at least one reading (--peak-allocated, --peak-reserved, --device-used) or --oom, or --fits for \
                a run that only says the batch ran. Sizes take units (9.8GiB, 10035MiB; binary) or plain bytes.

                Every configuration flag of estimate is accepted here with the same name and default (task, attention, sequence or image size, precision, optimizer and its Hugging Face or bitsandbytes names, checkpointing, mode, LoRA rank, targets and dropout, gradient accumulation, GPUs, ZeRO, framework, --trainer and the training-stack flags), so a run is recorded exactly as it ran and calibrated at that configuration.

                Examples:
                  batchplan runs record --model resnet50 --gpu "RTX 3090" --batch 128 --precision fp16-amp --optimizer sgd-momentum --peak-reserved 6.3GiB --device-used 6.8GiB
                  batchplan runs record --model gpt2 --gpu T4 --batch 16 --seq 1024 --precision fp16-amp --optimizer adamw --oom
                  batchplan runs record --model bert-base-uncased --gpu V100-16GB --batch 32 --seq 128 --task classification --precision fp16-amp --optimizer adamw_hf --trainer hf-trainer-4.31 --device-used 11.9GiB
                  batchplan runs record --inference --model llama-3.1-8b --gpu L4 --batch 4 --seq 4096 --dtype bf16 --peak-allocated 19.1GiB --peak-reserved 19.6GiB --device-used 20.3GiB

                With --inference the run measured prediction (serve): --batch is the sequences, --seq the context in tokens, --dtype the compute dtype, and the training flags (--precision, --optimizer, --mode, --checkpointing) do not apply. Inference runs calibrate serve's runtime context and allocator reserve only; training plans never use them.
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Option(help: "Model name in the catalog.") var model: String
        @Option(help: "GPU name or alias.") var gpu: String
        @Option(help: "Micro-batch size per GPU.") var batch: Int
        @OptionGroup var setup: ConfigurationFlags
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
            _ = try setup.configuration(batch: batch)
            let accounting = setup.accounting
            let options = try accounting.options()
            var image: Int?
            switch options.input {
            case .image(3, let height, let width)? where height == width: image = height
            case .tensor?, .image?:
                throw Usage.error("a run stores a square RGB image size: give --image N (or --input 3xNxN), or --seq for transformers")
            default: break
            }
            let seq: Int? = if case .sequence(let length)? = options.input { length } else { nil }
            let opened = try catalog.open()
            let card = try opened.gpu(named: gpu)
            let configuration = try setup.configuration(batch: batch, card: card)
            let adapters = configuration.mode == .lora || configuration.mode == .qlora
            let isURL = source.hasPrefix("http://") || source.hasPrefix("https://")
            var run = MeasuredRun(
                key: "recorded:" + UUID().uuidString.lowercased(), kind: oom ? .oom : (readings.isEmpty ? .fits : .memAtBatch), model: try opened.model(named: model).name,
                gpu: card.name, gpuMemoryBytes: card.memoryBytes, framework: configuration.framework.description,
                trainer: configuration.trainer?.description, stack: configuration.stack,
                precision: configuration.precision, optimizer: configuration.optimizer,
                checkpointing: configuration.checkpointing, trainingMode: configuration.mode,
                loraRank: adapters ? configuration.loraRank : nil, loraTargets: adapters ? configuration.loraTargets : nil,
                loraDropout: adapters && configuration.loraDropout > 0 ? configuration.loraDropout : nil,
                attention: accounting.attention, task: accounting.task, batchSize: batch,
                gradAccumSteps: configuration.gradAccumSteps, seqLen: seq, imageSize: image, gpus: configuration.gpus,
                zeroStage: configuration.zeroStage, outcome: oom ? .oom : .ok, peakAllocatedBytes: allocated, peakReservedBytes: reserved,
                deviceUsedBytes: used, stepTimeMs: stepTimeMs, source: isURL ? "url" : source, url: isURL ? source : nil,
                notes: notes, origin: .user, recordedAt: Catalog.timestamp())
            try inference.apply(to: &run)
            if run.phase == .inference {
                // What trains is not part of a served run.
                (run.trainer, run.stack, run.loraRank, run.loraTargets, run.loraDropout) = (nil, nil, nil, nil, nil)
            }
            do throws(CoreError) {
                try run.validate()
            } catch let CoreError.invalidValue(_, _, problem) {
                throw Usage.error(problem)
            } catch {
                throw Usage.error(error.description)
            }
            let summary = try opened.importRuns(RunFile.Parsed(runs: [(1, run)], errors: []), file: "runs record")
            Output.note("recorded run on \(card.name) (\(summary.added) added); calibration will refit on the next plan")
            // Stored all the same (it is what was measured), but said now rather than at the next calibrate.
            for reason in summary.unusable { Output.warning("calibration will not use this run: \(reason)") }
        }
    }
}

extension Precision: ExpressibleByArgument {}
extension Checkpointing: ExpressibleByArgument {}
extension TrainingMode: ExpressibleByArgument {}
extension AttentionImplementation: ExpressibleByArgument {}
extension TrainingTask: ExpressibleByArgument {}
extension ModelFamily: ExpressibleByArgument {}
