/// Inference memory: one served configuration's components, and the solver for the largest batch, the longest
/// context or the most concurrent sequences that fit a card.
///
/// Pure functions over values, like `Planner`.
public enum InferencePlanner {
    /// Predicts memory, component by component, for `workload` served as `configuration` on `gpu`.
    ///
    /// A static batch holds the cache of every sequence at its full context and runs the prompts in one prefill
    /// pass; a paged engine (vLLM) holds whole cache blocks and profiles its activations with one step of
    /// `maxBatchedTokens` tokens, whatever the workload. Reserved = (everything but the cache) × (1 + reserve
    /// ratio) for what one pass allocates and frees, plus the weights and the cache (allocated once: vLLM's blocks,
    /// transformers' `StaticCache`), each rounded to 2 MiB segments; device used = reserved + runtime context.
    /// - Throws: `CoreError.unsupported` when the card lacks bf16, tensor parallelism does not divide the heads,
    ///   or a paged engine is asked of a model without a cache; `.invalidValue` for out-of-range values.
    public static func estimate(
        model: InferenceModel, gpu: GPU?, configuration: InferenceConfiguration, workload: InferenceWorkload,
        calibration: InferenceCalibration = .analytic
    ) throws(CoreError) -> InferenceEstimate {
        let configuration = try check(model: model, gpu: gpu, configuration: configuration)
        guard workload.sequences >= 0, workload.contextTokens >= 1, workload.contextTokens <= 1 << 24 else {
            throw .invalidValue(what: "context", value: "\(workload.contextTokens)", fix: "use 1 to 16777216 tokens")
        }
        let runtime = RuntimeDefaults.resolve(gpu: gpu, framework: configuration.framework)
        let paged = configuration.engine == .paged
        let weights = WeightStorage.of(
            model.accounting, format: configuration.weights, dtype: configuration.dtype,
            groupSize: configuration.groupSize, tensorParallel: configuration.tensorParallel)
        var c = InferenceComponents()
        c.weights = weights.bytes
        var perSequence = 0
        var perToken = 0
        if let kv = model.kvCache {
            perSequence = kv.bytesPerSequence(
                tokens: workload.contextTokens, dtype: configuration.cacheDType, blockSize: paged ? configuration.blockSize : nil,
                tensorParallel: configuration.tensorParallel)
            perToken = kv.bytesPerToken(dtype: configuration.cacheDType, tensorParallel: configuration.tensorParallel)
            c.kvCache = perSequence * workload.sequences
        }
        let workingSet = model.workingSet(configuration)
        let peak: (bytes: Int, phase: String)
        if paged {
            peak = workingSet.peak(
                sequences: 1, tokens: configuration.maxBatchedTokens, attended: 0,
                logitRows: model.producesLogits ? configuration.maxSequences : 0)
            c.inputs = model.inputBytes(sequences: 1, tokens: configuration.maxBatchedTokens)
        } else {
            let tokens = model.isDecoder ? workload.promptTokens : model.tokensPerSample
            peak = workingSet.peak(
                sequences: workload.sequences, tokens: tokens, attended: tokens,
                logitRows: model.producesLogits ? workload.sequences : 0)
            c.inputs = model.inputBytes(sequences: workload.sequences, tokens: tokens)
        }
        c.activations = workload.sequences == 0 && !paged ? 0 : peak.bytes
        c.workspace = runtime.blasWorkspaceBytes + (model.hasConvolution ? runtime.convolutionWorkspaceBytes : 0)
        let ratio = calibration.allocatorReserveRatio ?? runtime.allocatorReserveRatio
        let context = calibration.runtimeContextBytes ?? runtime.runtimeContextBytes
        let segment = runtime.segmentBytes
        func segments(_ bytes: Double) -> Int { (Int(bytes.rounded(.up)) + segment - 1) / segment * segment }
        // Weights and the cache are allocated once, at sizes the caching allocator only rounds up to its 2 MiB
        // segments (CUDACachingAllocator: large blocks are rounded to 2 MiB); the reserve ratio (fragmentation) applies
        // to what is allocated and freed during the pass.
        let transient = c.activations + c.inputs + c.workspace
        let reserved = segments(Double(c.weights)) + segments(Double(c.kvCache)) + segments(Double(transient) * (1 + ratio))
        c.allocatorReserve = reserved - c.allocated
        c.runtimeContext = context
        return InferenceEstimate(
            configuration: configuration, workload: workload, components: c, peakAllocatedBytes: c.allocated,
            peakReservedBytes: reserved, deviceUsedBytes: reserved + context, peakPhase: peak.phase,
            kvBytesPerToken: perToken, kvBytesPerSequence: perSequence, weightStorage: weights, calibration: calibration,
            assumptions: assumptions(model: model, gpu: gpu, configuration: configuration, workingSet: workingSet, calibration: calibration))
    }

    /// Validates the configuration against the model and card.
    static func check(model: InferenceModel, gpu: GPU?, configuration: InferenceConfiguration) throws(CoreError)
        -> InferenceConfiguration
    {
        let configuration = try configuration.validated()
        if let gpu, configuration.dtype == .bf16 || configuration.weights == .bf16 || configuration.cacheDType == .bf16,
            !gpu.supportsBF16
        {
            throw .unsupported(
                "\(gpu.name) (\(gpu.architecture)) has no bfloat16 support: use --dtype fp16 (and --kv-cache-dtype fp16 or fp8)")
        }
        if configuration.tensorParallel > 1 && model.transformer == nil {
            throw .unsupported(
                "tensor parallelism is modelled for transformers only; \(model.accounting.name) is planned on one GPU: drop --tensor-parallel")
        }
        if let heads = model.kvCache?.attentionHeads ?? model.transformer?.heads, heads % configuration.tensorParallel != 0 {
            throw .unsupported(
                "tensor parallelism over \(configuration.tensorParallel) GPUs must divide \(model.accounting.name)'s \(heads) attention heads (vLLM requires it): use --tensor-parallel \(divisors(of: heads))")
        }
        if configuration.engine == .paged && !model.isDecoder {
            throw .unsupported(
                "model \"\(model.accounting.name)\" has no KV cache to page: ask for its largest batch instead (drop --prompt/--generate)")
        }
        return configuration
    }

    private static func divisors(of heads: Int) -> String {
        [1, 2, 4, 8, 16].filter { heads % $0 == 0 }.map(String.init).joined(separator: ", ")
    }

    static func assumptions(
        model: InferenceModel, gpu: GPU?, configuration: InferenceConfiguration, workingSet: InferenceWorkingSet,
        calibration: InferenceCalibration
    ) -> [String] {
        var notes = ["torch.inference_mode(): no gradients, optimizer state or saved activations"]
        switch configuration.weights {
        case .native, .fp32, .fp16, .bf16: break
        case .int4:
            let group = configuration.groupSize.map { "groups of \($0)" } ?? "one group per column"
            notes.append(
                "int4 (GPTQ/AWQ layout): 4-bit weights in \(group), an fp16 scale and a 4-bit zero per group and column, GPTQ's int32 g_idx per input row; embeddings, norms and lm_head in \(configuration.dtype.rawValue)")
        case .fp8, .int8, .nf4, .nf4DoubleQuant:
            notes.append(
                "\(configuration.weights.rawValue) weights for the body's linear layers, scales counted; embeddings, norms and lm_head in \(configuration.dtype.rawValue)")
        }
        if let kv = model.kvCache {
            notes += kv.notes
            notes.append("KV cache in \(configuration.cacheDType.rawValue)" + (configuration.engine == .paged
                ? ", paged in blocks of \(configuration.blockSize) tokens (vLLM)" : ", preallocated for the whole context (a static cache)"))
        }
        if configuration.engine == .paged {
            notes.append(
                "activations profiled as vLLM does: one step of \(configuration.maxBatchedTokens) tokens (max_num_batched_tokens) with fused attention and logits for \(configuration.maxSequences) sequences (max_num_seqs)")
        } else if model.isDecoder {
            notes.append("activations of the prefill pass over every prompt at once; logits kept for the last position only (generate's logits_to_keep=1)")
        }
        if configuration.tensorParallel > 1 {
            notes.append(
                "tensor parallel over \(configuration.tensorParallel) GPUs: per-GPU memory, weights and KV heads split \(configuration.tensorParallel) ways (KV heads replicated when fewer; a latent cache is replicated), norms and the residual stream whole")
        }
        notes += workingSet.notes
        notes += RuntimeDefaults.notes(gpu: gpu, framework: configuration.framework).filter {
            !$0.contains("allocator reserve") && !(calibration.runtimeContextBytes != nil && $0.hasPrefix("runtime context"))
        }
        let ratio = calibration.allocatorReserveRatio ?? RuntimeDefaults.resolve(gpu: gpu, framework: configuration.framework).allocatorReserveRatio
        notes.append(
            "allocator reserve \(Int((ratio * 100).rounded()))% of what one pass allocates and frees (activations, inputs, workspace)"
                + (calibration.allocatorReserveRatio == nil ? " (assumption; inference runs replace it)" : " (fitted)")
                + "; weights and cache, allocated once, only rounded to 2 MiB segments")
        if calibration.runsUsed > 0 {
            notes.append("runtime context fitted from \(calibration.runsUsed) inference runs (\(calibration.scope))")
        }
        return notes
    }
}
