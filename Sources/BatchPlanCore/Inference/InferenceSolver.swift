/// How much of the card a serving plan may use.
public enum InferenceBudget: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Keep this much of the card free (the planner's usual headroom).
    case headroom(Headroom)
    /// Use this share of the card for weights, activations and cache, as vLLM's `gpu_memory_utilization` does
    /// (`vllm/v1/worker/gpu_worker.py`: `requested_memory = total_memory * gpu_memory_utilization`, and the KV cache
    /// gets what is left of it after the weights, the profiled activation peak and non-torch memory).
    case utilization(Double)

    /// Bytes a plan may use on a card of `cardBytes`.
    public func bytes(ofCard cardBytes: Int) -> Int {
        switch self {
        case let .headroom(headroom): cardBytes - headroom.bytes(ofCard: cardBytes)
        case let .utilization(share): Int((Double(cardBytes) * share).rounded(.down))
        }
    }

    public var description: String {
        switch self {
        case let .headroom(headroom): "headroom \(headroom)"
        case let .utilization(share): "memory utilization \(share)"
        }
    }
}

/// What `serve` solves for.
public enum InferenceQuestion: String, Codable, Sendable {
    /// The largest batch of sequences at a context (or images/samples for models without a cache).
    case largestBatch = "largest-batch"
    /// The longest context at a batch.
    case longestContext = "longest-context"
    /// The most concurrent sequences of a prompt + output length (paged cache).
    case concurrency
    /// Whether one batch at one context fits.
    case check
}

/// One change that would raise the answer, checked against the model.
public struct InferenceSuggestion: Hashable, Codable, Sendable {
    /// What to change, as a flag: `--kv-cache-dtype fp8`, `--weights int4`, `--tensor-parallel 2`.
    public var change: String
    /// The answer with the change (batch, context or concurrent sequences).
    public var answer: Int
}

/// The solved plan for one model on one card.
public struct InferenceSolution: Hashable, Codable, Sendable {
    public var question: InferenceQuestion
    /// Whether the answer is at least one sequence (or, for `check`, the workload) within the budget.
    public var fits: Bool
    /// Sequences (batch or concurrent requests) at the answer.
    public var sequences: Int
    /// Tokens per sequence at the answer.
    public var contextTokens: Int
    /// The solved number: batch, context or concurrent sequences (0 when nothing fits).
    public var answer: Int
    /// The longest context was capped at the model's positions, not by memory.
    public var cappedByPositions: Bool
    /// Bytes the plan may use.
    public var budgetBytes: Int
    /// Bytes left for the cache after everything else (paged engines size their cache to it).
    public var kvCacheBudgetBytes: Int?
    /// The estimate at the answer (at one sequence when nothing fits).
    public var estimate: InferenceEstimate
    /// `weights`, `kv_cache` or `activations`: the largest of the three at the answer (or what overflows alone).
    public var limitedBy: String
    /// Changes that raise the answer, largest gain first.
    public var suggestions: [InferenceSuggestion]
}

extension InferencePlanner {
    /// Solves `question` for `model` on `gpu` within `budget`.
    ///
    /// - Parameter workload: the fixed part of the question: context (largest batch), sequences (longest context),
    ///   prompt and context (concurrency), or both (check).
    public static func solve(
        _ question: InferenceQuestion, model: InferenceModel, gpu: GPU, configuration: InferenceConfiguration,
        workload: InferenceWorkload, budget: InferenceBudget, calibration: InferenceCalibration = .analytic,
        suggest: Bool = true
    ) throws(CoreError) -> InferenceSolution {
        var configuration = configuration
        if question == .concurrency { configuration.engine = .paged }
        let limit = budget.bytes(ofCard: gpu.memoryBytes)
        func estimate(_ w: InferenceWorkload) throws(CoreError) -> InferenceEstimate {
            try Self.estimate(model: model, gpu: gpu, configuration: configuration, workload: w, calibration: calibration)
        }
        var solution: InferenceSolution
        switch question {
        case .check:
            let e = try estimate(workload)
            solution = make(question, e, fits: e.deviceUsedBytes <= limit, answer: workload.sequences, limit: limit)
        case .largestBatch:
            let best = try largest(upTo: 1 << 24) { (b: Int) throws(CoreError) in
                try estimate(InferenceWorkload(sequences: b, contextTokens: workload.contextTokens, promptTokens: workload.promptTokens))
                    .deviceUsedBytes <= limit
            }
            let e = try estimate(InferenceWorkload(sequences: max(best, 1), contextTokens: workload.contextTokens, promptTokens: workload.promptTokens))
            solution = make(question, e, fits: best > 0, answer: best, limit: limit)
        case .longestContext:
            let cap = model.maxPositions ?? (1 << 20)
            let best = try largest(upTo: cap) { (t: Int) throws(CoreError) in
                try estimate(InferenceWorkload(sequences: workload.sequences, contextTokens: t)).deviceUsedBytes <= limit
            }
            let e = try estimate(InferenceWorkload(sequences: workload.sequences, contextTokens: max(best, 1)))
            solution = make(question, e, fits: best > 0, answer: best, limit: limit)
            solution.cappedByPositions = best == cap && model.maxPositions != nil
        case .concurrency:
            let empty = try estimate(InferenceWorkload(sequences: 0, contextTokens: workload.contextTokens, promptTokens: workload.promptTokens))
            let room = limit - empty.deviceUsedBytes
            let perSequence = max(1, empty.kvBytesPerSequence)
            var count = max(0, room / perSequence)
            // The cache is rounded to whole allocator segments: step back if that rounding crosses the budget.
            while count > 0,
                try estimate(InferenceWorkload(sequences: count, contextTokens: workload.contextTokens, promptTokens: workload.promptTokens))
                    .deviceUsedBytes > limit
            {
                count -= 1
            }
            let e = try estimate(InferenceWorkload(sequences: max(count, 1), contextTokens: workload.contextTokens, promptTokens: workload.promptTokens))
            solution = make(question, e, fits: count > 0, answer: count, limit: limit)
            solution.kvCacheBudgetBytes = max(0, room)
        }
        if suggest {
            solution.suggestions = try suggestions(
                question, model: model, gpu: gpu, configuration: configuration, workload: workload, budget: budget,
                calibration: calibration, current: solution.answer)
        }
        return solution
    }

    /// The largest n in 1...upper with `fits(n)` (fits is monotone: true, then false), or 0.
    static func largest(upTo upper: Int, _ fits: (Int) throws(CoreError) -> Bool) throws(CoreError) -> Int {
        guard upper >= 1, try fits(1) else { return 0 }
        var low = 1
        var high = 2
        while high <= upper, try fits(high) {
            low = high
            high *= 2
        }
        high = min(high, upper + 1)
        while high - low > 1 {
            let middle = (low + high) / 2
            if try fits(middle) { low = middle } else { high = middle }
        }
        return low
    }

    private static func make(_ question: InferenceQuestion, _ e: InferenceEstimate, fits: Bool, answer: Int, limit: Int)
        -> InferenceSolution
    {
        let c = e.components
        let limiter: String
        if c.weights + c.runtimeContext > limit {
            limiter = "weights"
        } else {
            limiter = [("weights", c.weights), ("kv_cache", c.kvCache), ("activations", c.activations)]
                .max { $0.1 < $1.1 }!.0
        }
        return InferenceSolution(
            question: question, fits: fits, sequences: e.workload.sequences, contextTokens: e.workload.contextTokens,
            answer: fits ? answer : 0, cappedByPositions: false, budgetBytes: limit, kvCacheBudgetBytes: nil,
            estimate: e, limitedBy: limiter, suggestions: [])
    }

    /// Re-solves with a smaller cache dtype, int4 weights and tensor parallelism over 2, 4 and 8 GPUs (transformers
    /// only), keeping those that raise the answer.
    private static func suggestions(
        _ question: InferenceQuestion, model: InferenceModel, gpu: GPU, configuration: InferenceConfiguration,
        workload: InferenceWorkload, budget: InferenceBudget, calibration: InferenceCalibration, current: Int
    ) throws(CoreError) -> [InferenceSuggestion] {
        guard question != .check else { return [] }
        var variants: [(String, InferenceConfiguration)] = []
        if model.isDecoder && configuration.cacheDType != .fp8 {
            var v = configuration
            v.kvCacheDType = .fp8
            variants.append(("--kv-cache-dtype fp8", v))
        }
        // Quantization and tensor parallelism are suggested for transformers, where weights are a large share.
        guard model.transformer != nil else { return [] }
        if ![.int4, .nf4, .nf4DoubleQuant].contains(configuration.weights) {
            var v = configuration
            v.weights = .int4
            variants.append(("--weights int4", v))
        }
        for n in [2, 4, 8] where n > configuration.tensorParallel {
            if let heads = model.kvCache?.attentionHeads ?? model.transformer?.heads, heads % n != 0 { continue }
            var v = configuration
            v.tensorParallel = n
            variants.append(("--tensor-parallel \(n)", v))
        }
        var found: [InferenceSuggestion] = []
        for (change, variant) in variants {
            let other = try solve(
                question, model: model, gpu: gpu, configuration: variant, workload: workload, budget: budget,
                calibration: calibration, suggest: false)
            if other.answer > current { found.append(InferenceSuggestion(change: change, answer: other.answer)) }
        }
        return found.sorted { $0.answer > $1.answer }
    }
}
