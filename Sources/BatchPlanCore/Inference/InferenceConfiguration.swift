/// How a model is served: dtypes, weight format, cache layout, tensor parallelism and the engine's batching.
public struct InferenceConfiguration: Hashable, Codable, Sendable {
    /// How the KV cache is laid out and what one forward pass holds.
    public enum Engine: String, Codable, Sendable {
        /// A static batch (transformers `generate` with a preallocated cache, offline `model(batch)`): the prompt
        /// of every sequence goes through one prefill pass; the cache holds exactly the context.
        case staticBatch = "static"
        /// vLLM-style continuous batching: the cache is paged in blocks, a step runs at most `maxBatchedTokens`
        /// tokens with fused (flash) attention, and logits are computed for at most `maxSequences` rows.
        case paged
    }

    public var dtype: ComputeDType
    public var weights: WeightFormat
    /// Input rows per int4 group (`nil`: one group per column).
    public var groupSize: Int?
    /// Cache dtype; `nil` is the compute dtype.
    public var kvCacheDType: KVCacheDType?
    /// Tokens per cache block when paged (vLLM `--block-size`, default 16).
    public var blockSize: Int
    /// GPUs the weights and KV heads are split over (vLLM `tensor_parallel_size`); memory is planned per GPU.
    public var tensorParallel: Int
    /// Attention implementation of a static batch (paged engines use fused kernels).
    public var attention: AttentionImplementation
    public var engine: Engine
    /// Tokens one paged step runs (vLLM `max_num_batched_tokens`; `servingDefaults(for:)` gives its defaults).
    public var maxBatchedTokens: Int
    /// Sequences one paged step samples (vLLM `max_num_seqs`): rows of logits.
    public var maxSequences: Int
    public var framework: Framework

    /// vLLM's default block size (`CacheConfig.block_size`).
    public static let defaultBlockSize = 16
    /// vLLM's default `max_num_batched_tokens` for the OpenAI-compatible server on GPUs below 70 GiB or A100s.
    public static let defaultMaxBatchedTokens = 2048
    /// vLLM's default `max_num_seqs` for the same.
    public static let defaultMaxSequences = 256

    /// vLLM's OpenAI-server defaults for a card: `(max_num_batched_tokens, max_num_seqs)`.
    ///
    /// Source: vLLM `vllm/engine/arg_utils.py` `EngineArgs._set_default_args`: cards with at least 70 GiB that are
    /// not A100s ("H100 and MI300x") get 8192 tokens and 1024 sequences for `UsageContext.OPENAI_API_SERVER`, other
    /// GPUs 2048 and 256.
    public static func servingDefaults(for gpu: GPU) -> (maxBatchedTokens: Int, maxSequences: Int) {
        gpu.memoryBytes >= 70 << 30 && !gpu.name.lowercased().contains("a100")
            ? (8192, 1024) : (defaultMaxBatchedTokens, defaultMaxSequences)
    }

    public init(
        dtype: ComputeDType = .bf16, weights: WeightFormat = .native, groupSize: Int? = WeightStorage.defaultGroupSize,
        kvCacheDType: KVCacheDType? = nil, blockSize: Int = defaultBlockSize, tensorParallel: Int = 1,
        attention: AttentionImplementation = .sdpa, engine: Engine = .staticBatch,
        maxBatchedTokens: Int = defaultMaxBatchedTokens, maxSequences: Int = defaultMaxSequences,
        framework: Framework = Framework(name: .pytorch)
    ) {
        self.dtype = dtype
        self.weights = weights
        self.groupSize = groupSize
        self.kvCacheDType = kvCacheDType
        self.blockSize = blockSize
        self.tensorParallel = tensorParallel
        self.attention = attention
        self.engine = engine
        self.maxBatchedTokens = maxBatchedTokens
        self.maxSequences = maxSequences
        self.framework = framework
    }

    /// The cache dtype in effect.
    public var cacheDType: KVCacheDType { kvCacheDType ?? .matching(dtype) }

    /// Checks ranges, naming the option and the fix.
    public func validated() throws(CoreError) -> InferenceConfiguration {
        guard (1...1024).contains(blockSize) else {
            throw .invalidValue(what: "block size", value: "\(blockSize)", fix: "use a block size from 1 to 1024 tokens, e.g. 16")
        }
        guard (1...4096).contains(tensorParallel) else {
            throw .invalidValue(what: "tensor parallel size", value: "\(tensorParallel)", fix: "use 1 to 4096 GPUs")
        }
        if let groupSize, groupSize < 1 {
            throw .invalidValue(what: "group size", value: "\(groupSize)", fix: "use a positive group size such as 128, or -1 for one group per column")
        }
        guard maxBatchedTokens >= 1, maxSequences >= 1 else {
            throw .invalidValue(what: "batching limits", value: "\(maxBatchedTokens)/\(maxSequences)", fix: "use positive token and sequence limits")
        }
        return self
    }
}

/// What is asked of one served configuration: sequences and their tokens.
public struct InferenceWorkload: Hashable, Codable, Sendable {
    /// Sequences in the batch (or concurrent requests).
    public var sequences: Int
    /// Tokens each sequence keeps in the cache: prompt + generated.
    public var contextTokens: Int
    /// Tokens of each sequence's prefill pass (the prompt), at most `contextTokens`.
    public var promptTokens: Int

    public init(sequences: Int, contextTokens: Int, promptTokens: Int? = nil) {
        self.sequences = sequences
        self.contextTokens = contextTokens
        self.promptTokens = min(promptTokens ?? contextTokens, contextTokens)
    }
}
