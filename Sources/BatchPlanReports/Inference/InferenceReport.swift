import BatchPlanCore
import Foundation

/// A serving report: per card the solved answer, what limits it, the memory breakdown, and memory against the
/// number of sequences (or the context) split into weights, KV cache, activations and the rest.
public struct InferenceReport: Hashable, Sendable {
    /// Memory at one point of the curve, bytes.
    public struct Point: Hashable, Sendable {
        public var sequences: Int
        public var contextTokens: Int
        public var weights: Int
        public var kvCache: Int
        public var activations: Int
        /// Inputs, workspace, runtime context and allocator reserve.
        public var other: Int
        public var deviceUsed: Int
        public var fits: Bool
    }

    public struct Card: Hashable, Sendable {
        public var gpu: String
        public var memoryBytes: Int
        public var budgetBytes: Int
        public var solution: InferenceSolution
        /// The answer in one sentence.
        public var sentence: String
        /// What the curve varies: `sequences` or `context_tokens`.
        public var curveAxis: String
        public var curve: [Point]
    }

    public var title: String
    public var question: String
    public var model: String
    public var generatedAt: Date
    public var versions: ReportVersions
    public var cards: [Card]
    public var assumptions: [String]
}

/// Words shared by `serve`'s text output and the inference report.
public enum InferenceWording {
    /// The answer in one line, e.g. "concurrent sequences of 7168 + 1024 tokens: 14 (…)".
    public static func headline(_ s: InferenceSolution, model: InferenceModel) -> String {
        let w = s.estimate.workload
        guard s.fits else {
            let short = s.estimate.deviceUsedBytes - s.budgetBytes
            if s.question == .check {
                return "batch \(w.sequences) at \(w.contextTokens) tokens does not fit: it needs \(ByteSize.format(s.estimate.deviceUsedBytes)), short by \(ByteSize.format(max(0, short)))"
            }
            return "nothing fits: one sequence needs \(ByteSize.format(s.estimate.deviceUsedBytes)), short by \(ByteSize.format(max(0, short)))"
        }
        switch s.question {
        case .largestBatch:
            return model.isDecoder
                ? "largest batch at \(w.contextTokens) tokens: \(s.answer) sequence\(s.answer == 1 ? "" : "s")"
                : "largest inference batch at \(model.accounting.input): \(s.answer)"
        case .longestContext:
            return "longest context at batch \(w.sequences): \(s.answer) tokens"
                + (s.cappedByPositions ? " (the model's max_position_embeddings, not memory, is the limit)" : "")
        case .concurrency:
            return "concurrent sequences of \(w.promptTokens) + \(w.contextTokens - w.promptTokens) tokens: \(s.answer)"
                + " (\(ByteSize.format(s.kvCacheBudgetBytes ?? 0)) KV-cache budget, \(ByteSize.format(s.estimate.kvBytesPerSequence)) per sequence)"
        case .check:
            return "batch \(w.sequences) at \(w.contextTokens) tokens fits"
        }
    }

    /// Component names as people read them, by JSON key.
    public static let componentLabels: [String: String] = [
        "weights": "weights", "kv_cache": "KV cache", "activations": "activations (peak working set of one forward)",
        "inputs": "inputs (token ids, masks, images)", "workspace": "workspace (cuBLAS/cuDNN)",
        "runtime_context": "runtime context (CUDA, libraries)", "allocator_reserve": "allocator reserve (rounding, fragmentation)",
    ]
}

/// Builds an inference report: re-estimates each plan along its curve.
public enum InferenceReportBuilder {
    /// Points on the curve besides the answer: eight steps up to it and the first step past it.
    static let curveSteps = 8

    public static func report(
        model: InferenceModel, plans: [(gpu: GPU, solution: InferenceSolution)], question: String,
        versions: ReportVersions, generatedAt: Date
    ) throws(CoreError) -> InferenceReport {
        var cards: [InferenceReport.Card] = []
        for (gpu, solution) in plans {
            let byContext = solution.question == .longestContext
            let answer = max(1, solution.answer)
            var xs = (1...curveSteps).map { max(1, Int((Double(answer) * Double($0) / Double(curveSteps)).rounded())) }
            xs.append(answer + max(1, answer / curveSteps))
            var points: [InferenceReport.Point] = []
            for x in Array(Set(xs)).sorted() {
                let w = solution.estimate.workload
                let workload = byContext
                    ? InferenceWorkload(sequences: w.sequences, contextTokens: x)
                    : InferenceWorkload(sequences: x, contextTokens: w.contextTokens, promptTokens: w.promptTokens)
                let e = try InferencePlanner.estimate(
                    model: model, gpu: gpu, configuration: solution.estimate.configuration, workload: workload,
                    calibration: solution.estimate.calibration)
                let c = e.components
                points.append(InferenceReport.Point(
                    sequences: workload.sequences, contextTokens: workload.contextTokens, weights: c.weights,
                    kvCache: c.kvCache, activations: c.activations,
                    other: c.inputs + c.workspace + c.runtimeContext + c.allocatorReserve, deviceUsed: e.deviceUsedBytes,
                    fits: e.deviceUsedBytes <= solution.budgetBytes))
            }
            cards.append(InferenceReport.Card(
                gpu: gpu.name, memoryBytes: gpu.memoryBytes, budgetBytes: solution.budgetBytes, solution: solution,
                sentence: InferenceWording.headline(solution, model: model),
                curveAxis: byContext ? "context_tokens" : "sequences", curve: points))
        }
        var assumptions: [String] = []
        for card in cards { for note in card.solution.estimate.assumptions where !assumptions.contains(note) { assumptions.append(note) } }
        return InferenceReport(
            title: "batchplan inference plan: \(model.accounting.name)", question: question, model: model.accounting.name,
            generatedAt: generatedAt, versions: versions, cards: cards, assumptions: assumptions)
    }
}
