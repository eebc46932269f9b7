import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

/// Flags shared by `estimate`, `fit`, `report` and `runs record`: adapters, parallelism, framework, training stack.
struct TrainingFlags: ParsableArguments {
    @Option(help: "LoRA/QLoRA adapter rank.") var loraRank: Int = 8
    @Option(help: "LoRA dropout probability (each adapter then keeps its dropped input and mask; PEFT default 0).")
    var loraDropout: Double = 0
    @Option(help: "LoRA target modules, comma-separated short names (default: the family's, e.g. q_proj,v_proj).")
    var loraTargets: String?
    @Option(help: "Data-parallel GPUs (per-GPU memory is planned).") var gpus: Int = 1
    @Option(help: "ZeRO / FSDP stage 0-3 across --gpus.") var zero: Int = 0
    @Option(help: "Framework with optional version: pytorch (default), tensorflow-1.11, jax.") var framework: String = "pytorch"
    @OptionGroup var stack: StackFlags

    func parsedFramework() throws -> Framework {
        try Usage.parse { () throws(CoreError) in try Framework(parsing: framework) }
    }

    func base(precision: Precision = .fp32, optimizer: OptimizerKind = .adamw, checkpointing: Checkpointing = .none,
              mode: TrainingMode = .full, batch: Int = 1, gradAccum: Int = 1) throws -> TrainingConfiguration {
        guard loraRank >= 1, loraRank <= 65536 else { throw Usage.error("--lora-rank must be between 1 and 65536") }
        guard loraDropout >= 0, loraDropout < 1 else { throw Usage.error("--lora-dropout must be a probability from 0 to below 1") }
        guard gpus >= 1, gpus <= 65536 else { throw Usage.error("--gpus must be at least 1") }
        guard (0...3).contains(zero) else { throw Usage.error("--zero must be 0, 1, 2 or 3") }
        if zero > 0 && gpus == 1 { Output.warning("--zero \(zero) with one GPU shards nothing; pass --gpus N") }
        let (trainer, overrides) = try stack.parsed()
        let targets = loraTargets?.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        return TrainingConfiguration(
            precision: precision, optimizer: optimizer, checkpointing: checkpointing, mode: mode, loraRank: loraRank,
            loraTargets: targets, loraDropout: loraDropout, batchSize: batch, gradAccumSteps: gradAccum, gpus: gpus, zeroStage: zero,
            framework: try parsedFramework(), trainer: trainer, stack: overrides)
    }
}

/// Card selection for `fit` and `report`: a memory size (a generic card) or named cards.
struct CardFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Plan for a generic card with this much memory (12GB = 12 GiB).", valueName: "size"))
    var memory: String?

    @Option(help: "Plan for this card (repeatable; any alias: \"RTX 3060\", 3090, a100-80gb-sxm).")
    var gpu: [String] = []

    /// The cards to plan for.
    func cards(in catalog: Catalog) throws -> [GPU] {
        if memory != nil && !gpu.isEmpty { throw Usage.error("--memory and --gpu conflict: give one of them") }
        if let memory {
            let bytes = try Usage.parse { () throws(CoreError) in try ByteSize.parse(memory, what: "--memory") }
            guard bytes >= 64 << 20 else { throw Usage.error("--memory \(memory) is too small to train anything; give a card size such as 12GB") }
            let ampere = try catalog.gpus(vendor: .nvidia, architecture: "ampere")
            return [GenericCard.make(bytes: bytes, label: memory, ratesFrom: GenericCard.rateDonor(bytes: bytes, among: ampere))]
        }
        guard !gpu.isEmpty else { throw Usage.error("give --memory SIZE (e.g. 12GB) or --gpu NAME") }
        return try gpu.map { try catalog.gpu(named: $0) }
    }
}

/// The card `--memory` describes: an NVIDIA Ampere-class card (fp32, tf32, fp16, bf16; no fp8) of that size.
///
/// Its throughput (TFLOPS, bandwidth, for step times) is borrowed from the catalog's Ampere card nearest in memory,
/// the slowest of equals, and the card's source says which.
enum GenericCard {
    static func make(bytes: Int, label: String, ratesFrom donor: GPU? = nil) -> GPU {
        let borrowed = donor.map { "; step times use the rates of \($0.name), the catalog's Ampere card nearest in memory" } ?? ""
        return GPU(
            name: "\(ByteSize.format(bytes)) card", vendor: .nvidia, architecture: "ampere", segment: "other",
            memoryBytes: bytes, memoryBytesSource: "user", marketedMemory: label, marketedMemoryBytes: bytes,
            bandwidthGBs: donor?.bandwidthGBs, fp32TFLOPS: donor?.fp32TFLOPS, tf32TFLOPS: donor?.tf32TFLOPS ?? 1,
            fp16TFLOPS: donor?.fp16TFLOPS, bf16TFLOPS: donor?.bf16TFLOPS, supportsBF16: true, supportsFP8: false,
            sourceURL: "--memory (a generic Ampere-class NVIDIA card: fp32, tf32, fp16, bf16, no fp8\(borrowed))", origin: .user)
    }

    /// The catalog's NVIDIA Ampere card nearest to `bytes` with every rate the step-time model reads; ties go to
    /// the slowest (lowest bf16 TFLOPS), so a generic card is not assumed faster than its commonest namesake.
    static func rateDonor(bytes: Int, among gpus: [GPU]) -> GPU? {
        gpus.filter {
            $0.vendor == .nvidia && $0.architecture == "ampere" && $0.bandwidthGBs != nil && $0.fp32TFLOPS != nil
                && $0.tf32TFLOPS != nil && $0.bf16TFLOPS != nil && $0.fp16TFLOPS != nil
        }.min { a, b in
            let da = abs(a.memoryBytes - bytes)
            let db = abs(b.memoryBytes - bytes)
            return da != db ? da < db : (a.bf16TFLOPS ?? 0) < (b.bf16TFLOPS ?? 0)
        }
    }
}

/// Loading models for planning: by name or all, accounted once each at the requested size.
enum ModelLoading {
    static func account(_ model: CatalogModel, _ options: AccountingOptions) throws -> ModelAccounting {
        do {
            return warned(try model.definition.account(options))
        } catch {
            throw CatalogError.core(error)
        }
    }

    /// `account` for several models, through the catalog's accounting cache and on every core; warnings come in the
    /// models' order.
    static func account(
        each models: [CatalogModel], _ options: AccountingOptions, in catalog: Catalog
    ) -> [Result<ModelAccounting, CatalogError>] {
        let results = catalog.accountings(models.map { ($0.definition, Self.options(options, for: $0)) })
        return results.map { result in result.map(warned).mapError(CatalogError.core) }
    }

    /// Warns when the accounting's sequence is longer than its positions.
    private static func warned(_ accounting: ModelAccounting) -> ModelAccounting {
        if let limit = accounting.maxPositions, case let .sequence(length) = accounting.input, length > limit {
            Output.warning("sequence \(length) is longer than \(accounting.name)'s \(limit) positions")
        }
        return accounting
    }

    /// Options for one model: a sequence length only applies to transformers, an image size only to vision models.
    static func options(_ options: AccountingOptions, for model: CatalogModel) -> AccountingOptions {
        var adjusted = options
        switch (options.input, model.family) {
        case (.sequence?, .cnn), (.image?, .decoder), (.image?, .encoderDecoder): adjusted.input = nil
        default: break
        }
        if model.family == .cnn, options.task != nil, options.task != .imageClassification { adjusted.task = nil }
        return adjusted
    }
}
