import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

/// The flags of a serving question, shared by `serve` and `report --inference`.
struct ServeFlags: ParsableArguments {
    @Option(help: "Model name in the catalog.") var model: String
    @OptionGroup var cards: CardFlags
    @Option(help: "Tokens per sequence (prompt + output): solve for the largest batch at this context.") var context: Int?
    @Option(help: "Sequences in the batch: solve for the longest context at this batch.") var batch: Int?
    @Option(help: "Prompt tokens per request (with --generate): solve for the most concurrent sequences, paged as vLLM does.")
    var prompt: Int?
    @Option(help: "Generated tokens per request (with --prompt).") var generate: Int?
    @Option(help: "Compute dtype: fp32, fp16, bf16 (default bf16 where the card has it, else fp16).") var dtype: String?
    @Option(help: "Weight format of the linear layers: native (the compute dtype), fp32, fp16, bf16, fp8, int8, int4 (GPTQ/AWQ), nf4, nf4-dq (double-quantized).")
    var weights: String = "native"
    @Option(help: "Input rows per int4 group (GPTQ/AWQ group_size; -1: one group per column).") var groupSize: Int = 128
    @Option(help: "KV cache dtype: fp32, fp16, bf16, fp8 (default: the compute dtype).") var kvCacheDtype: String?
    @Option(help: "Tokens per paged cache block (vLLM --block-size).") var blockSize: Int = InferenceConfiguration.defaultBlockSize
    @Option(help: "GPUs the weights and KV heads are split over (vLLM --tensor-parallel-size); memory is per GPU.")
    var tensorParallel: Int = 1
    @Option(help: "Tokens one paged step runs (vLLM --max-num-batched-tokens; default vLLM's server default for the card: 8192 on 70 GiB+ cards other than A100s, else 2048).")
    var maxBatchedTokens: Int?
    @Option(help: "Sequences one paged step samples (vLLM --max-num-seqs; default 1024 or 256, as for --max-batched-tokens).")
    var maxNumSeqs: Int?
    @Option(help: "Attention of a static batch: sdpa (default) or eager (materializes the scores).")
    var attention: AttentionImplementation = .sdpa
    @Option(help: "Square image size for vision models, e.g. 224.") var image: Int?
    @Option(help: "Memory left free: 10% (default), 15%, 1.5GiB.") var headroom: String?
    @Option(help: "Share of the card for weights, activations and cache, as vLLM's --gpu-memory-utilization (e.g. 0.9); replaces --headroom.")
    var memoryUtilization: Double?
    @Flag(help: "Use the per-architecture defaults, not values fitted from measured inference runs.") var noCalibration = false

    static let tokenLimit = 1 << 24

    private func positive(_ value: Int?, _ flag: String) throws {
        if let value, value < 1 || value > Self.tokenLimit {
            throw Usage.error("--\(flag) must be between 1 and \(Self.tokenLimit), got \(value)")
        }
    }

    /// The budget the flags ask for.
    func budget() throws -> InferenceBudget {
        if let memoryUtilization {
            guard headroom == nil else { throw Usage.error("--memory-utilization and --headroom conflict: give one of them") }
            guard memoryUtilization > 0, memoryUtilization <= 1 else {
                throw Usage.error("--memory-utilization must be a share of the card above 0 and at most 1, e.g. 0.9, got \(memoryUtilization)")
            }
            return .utilization(memoryUtilization)
        }
        guard let headroom else { return .headroom(.default) }
        return .headroom(try Usage.parse { () throws(CoreError) in try Headroom(parsing: headroom) })
    }

    /// The question and its fixed part, from which of --context, --batch, --prompt/--generate were given.
    func question(for model: InferenceModel) throws -> (InferenceQuestion, InferenceWorkload) {
        try positive(context, "context")
        try positive(batch, "batch")
        try positive(prompt, "prompt")
        if let generate, generate < 0 || generate > Self.tokenLimit { throw Usage.error("--generate must be between 0 and \(Self.tokenLimit), got \(generate)") }
        if (prompt == nil) != (generate == nil) { throw Usage.error("--prompt and --generate go together, e.g. --prompt 1024 --generate 256") }
        if let prompt, let generate {
            guard context == nil, batch == nil else {
                throw Usage.error("--prompt/--generate ask for concurrent sequences; drop --context and --batch")
            }
            guard model.isDecoder else {
                throw Usage.error("\(self.model) caches nothing, so concurrency is its batch: drop --prompt/--generate")
            }
            return (.concurrency, InferenceWorkload(sequences: 1, contextTokens: prompt + generate, promptTokens: prompt))
        }
        guard model.isDecoder else {
            if batch != nil { throw Usage.error("\(self.model) has no KV cache, so there is no context to solve for: drop --batch") }
            return (.largestBatch, InferenceWorkload(sequences: 1, contextTokens: 1))
        }
        switch (context, batch) {
        case let (context?, batch?): return (.check, InferenceWorkload(sequences: batch, contextTokens: context))
        case let (context?, nil): return (.largestBatch, InferenceWorkload(sequences: 1, contextTokens: context))
        case let (nil, batch?): return (.longestContext, InferenceWorkload(sequences: batch, contextTokens: 1))
        case (nil, nil):
            throw Usage.error("say what to solve: --context N (largest batch), --batch N (longest context) or --prompt N --generate N (concurrent sequences)")
        }
    }

    /// The serving configuration for a card.
    func configuration(for gpu: GPU) throws -> InferenceConfiguration {
        guard groupSize == -1 || (groupSize >= 1 && groupSize <= 1 << 16) else {
            throw Usage.error("--group-size must be a positive number of rows such as 128, or -1 for one group per column, got \(groupSize)")
        }
        guard (1...1024).contains(blockSize) else { throw Usage.error("--block-size must be between 1 and 1024 tokens, got \(blockSize)") }
        guard (1...4096).contains(tensorParallel) else { throw Usage.error("--tensor-parallel must be between 1 and 4096 GPUs, got \(tensorParallel)") }
        let defaults = InferenceConfiguration.servingDefaults(for: gpu)
        let tokens = maxBatchedTokens ?? defaults.maxBatchedTokens
        let sequences = maxNumSeqs ?? defaults.maxSequences
        guard (1...Self.tokenLimit).contains(tokens), (1...Self.tokenLimit).contains(sequences) else {
            throw Usage.error("--max-batched-tokens and --max-num-seqs must be between 1 and \(Self.tokenLimit)")
        }
        let computeDType = try dtype.map { text in
            try Usage.parse { () throws(CoreError) in try InferenceVocabulary.parse(text, as: ComputeDType.self, option: "--dtype") }
        } ?? (gpu.supportsBF16 ? .bf16 : .fp16)
        let format = try Usage.parse { () throws(CoreError) in try InferenceVocabulary.parse(weights, as: WeightFormat.self, option: "--weights") }
        let cache = try kvCacheDtype.map { text in
            try Usage.parse { () throws(CoreError) in try InferenceVocabulary.parse(text, as: KVCacheDType.self, option: "--kv-cache-dtype") }
        }
        return InferenceConfiguration(
            dtype: computeDType, weights: format, groupSize: groupSize == -1 ? nil : groupSize, kvCacheDType: cache,
            blockSize: blockSize, tensorParallel: tensorParallel, attention: attention,
            maxBatchedTokens: tokens, maxSequences: sequences)
    }

    /// The model prepared for inference, accounted at its image size (vision) or the context (encoders).
    func inferenceModel(in catalog: Catalog) throws -> InferenceModel {
        guard image.map({ (1...16384).contains($0) }) ?? true else { throw Usage.error("--image must be between 1 and 16384 pixels") }
        let entry = try catalog.model(named: model)
        var options = AccountingOptions()
        switch entry.family {
        case .encoder: options.input = context.map { .sequence(length: $0) }
        case .cnn, .custom: options.input = image.map { .image(channels: 3, height: $0, width: $0) }
        default: break
        }
        let accounting = try ModelLoading.account(entry, ModelLoading.options(options, for: entry))
        do {
            return try InferenceModel(definition: entry.definition, accounting: accounting)
        } catch {
            throw CatalogError.core(error)
        }
    }

    /// Values fitted from this card's measured inference runs, unless turned off.
    func calibration(for gpu: GPU, in catalog: Catalog) throws -> InferenceCalibration {
        noCalibration ? .analytic : try catalog.inferenceCalibration(gpu: gpu)
    }
}
