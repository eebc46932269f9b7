import Testing

@testable import BatchPlanCore

@Suite("Inference solver: largest batch, longest context, concurrency")
struct InferenceSolverTests {
    static let card = GPU(
        name: "test 24GB", vendor: .nvidia, architecture: "ampere", segment: "other", memoryBytes: 24 << 30,
        marketedMemory: "24GB", marketedMemoryBytes: 24 << 30, supportsBF16: true, supportsFP8: false,
        sourceURL: "test", origin: .user)

    static func used(_ model: InferenceModel, _ configuration: InferenceConfiguration, _ workload: InferenceWorkload) throws -> Int {
        try InferencePlanner.estimate(model: model, gpu: card, configuration: configuration, workload: workload).deviceUsedBytes
    }

    @Test("the largest batch fits the budget and one more sequence does not")
    func largestBatchIsTight() throws {
        let model = try InferenceMemoryTests.model("llama-3.2-1b")
        let configuration = InferenceConfiguration(dtype: .bf16)
        let s = try InferencePlanner.solve(
            .largestBatch, model: model, gpu: Self.card, configuration: configuration,
            workload: InferenceWorkload(sequences: 1, contextTokens: 4096), budget: .headroom(.default))
        #expect(s.fits && s.answer > 1)
        #expect(try Self.used(model, configuration, InferenceWorkload(sequences: s.answer, contextTokens: 4096)) <= s.budgetBytes)
        #expect(try Self.used(model, configuration, InferenceWorkload(sequences: s.answer + 1, contextTokens: 4096)) > s.budgetBytes)
        #expect(s.budgetBytes == (24 << 30) - Int((Double(24 << 30) * 0.1).rounded(.up)))
    }

    @Test("the longest context fits and one more token does not")
    func longestContextIsTight() throws {
        let model = try InferenceMemoryTests.model("llama-3.1-8b")
        let configuration = InferenceConfiguration(dtype: .bf16, weights: .int4)
        let s = try InferencePlanner.solve(
            .longestContext, model: model, gpu: Self.card, configuration: configuration,
            workload: InferenceWorkload(sequences: 8, contextTokens: 1), budget: .headroom(.default))
        #expect(s.fits && !s.cappedByPositions)
        #expect(try Self.used(model, configuration, InferenceWorkload(sequences: 8, contextTokens: s.answer)) <= s.budgetBytes)
        #expect(try Self.used(model, configuration, InferenceWorkload(sequences: 8, contextTokens: s.answer + 1)) > s.budgetBytes)
    }

    @Test("concurrency under a memory utilization is the cache budget over one sequence's whole blocks")
    func concurrencyAsVLLM() throws {
        let model = try InferenceMemoryTests.model("llama-3.1-8b")
        let s = try InferencePlanner.solve(
            .concurrency, model: model, gpu: Self.card, configuration: InferenceConfiguration(dtype: .bf16, weights: .int4),
            workload: InferenceWorkload(sequences: 1, contextTokens: 8192, promptTokens: 7168), budget: .utilization(0.9))
        let budget = Int(Double(24 << 30) * 0.9)
        #expect(s.budgetBytes == budget)
        let perSequence = 32 * 2 * 8 * 128 * 2 * 8192
        #expect(s.estimate.kvBytesPerSequence == perSequence)
        #expect(s.answer == (s.kvCacheBudgetBytes ?? 0) / perSequence)
        #expect(s.estimate.configuration.engine == .paged)
        // A paged engine profiles a fixed step (vLLM's 2048 tokens and 256 sequences below 70 GiB), so its activations
        // do not depend on the requests: here the logits of 256 rows (bf16 plus the fp32 copy) outweigh the MLP.
        #expect(s.estimate.components.activations == 2048 * 2 * 4096 * 2 + 256 * 128_256 * 6)
        #expect(s.estimate.peakPhase == "logits")
    }

    @Test("checking one batch and context fits exactly when its device used is within the budget")
    func check() throws {
        let model = try InferenceMemoryTests.model("llama-3.2-1b")
        let configuration = InferenceConfiguration(dtype: .bf16)
        for sequences in [1, 40, 400] {
            let workload = InferenceWorkload(sequences: sequences, contextTokens: 2048)
            let s = try InferencePlanner.solve(
                .check, model: model, gpu: Self.card, configuration: configuration, workload: workload,
                budget: .headroom(.fraction(0.05)))
            #expect(s.fits == (try Self.used(model, configuration, workload) <= s.budgetBytes))
            #expect(s.suggestions.isEmpty)
        }
    }

    @Test("suggestions re-solve and only list changes that raise the answer, largest first")
    func suggestions() throws {
        let model = try InferenceMemoryTests.model("llama-3.1-8b")
        let s = try InferencePlanner.solve(
            .largestBatch, model: model, gpu: Self.card, configuration: InferenceConfiguration(dtype: .bf16),
            workload: InferenceWorkload(sequences: 1, contextTokens: 8192), budget: .headroom(.default))
        #expect(s.limitedBy == "weights")
        let changes = s.suggestions.map(\.change)
        #expect(changes.contains("--weights int4") && changes.contains("--kv-cache-dtype fp8"))
        #expect(s.suggestions.allSatisfy { $0.answer > s.answer })
        #expect(s.suggestions.map(\.answer) == s.suggestions.map(\.answer).sorted(by: >))
    }

    @Test("a model too large for the card fits nothing and says the weights limit it")
    func nothingFits() throws {
        let model = try InferenceMemoryTests.model("mixtral-8x7b")
        let s = try InferencePlanner.solve(
            .largestBatch, model: model, gpu: Self.card, configuration: InferenceConfiguration(dtype: .bf16),
            workload: InferenceWorkload(sequences: 1, contextTokens: 1024), budget: .headroom(.default))
        #expect(!s.fits && s.answer == 0 && s.limitedBy == "weights")
        #expect(s.suggestions.contains { $0.change == "--tensor-parallel 8" })
    }

    @Test("an encoder's largest batch needs no cache, and paging it is refused")
    func encoder() throws {
        let model = try InferenceMemoryTests.model("bert-base-uncased")
        #expect(!model.isDecoder)
        let s = try InferencePlanner.solve(
            .largestBatch, model: model, gpu: Self.card, configuration: InferenceConfiguration(dtype: .fp16),
            workload: InferenceWorkload(sequences: 1, contextTokens: 1), budget: .headroom(.default))
        #expect(s.fits && s.estimate.components.kvCache == 0 && s.limitedBy == "activations")
        #expect(throws: CoreError.self) {
            try InferencePlanner.solve(
                .concurrency, model: model, gpu: Self.card, configuration: InferenceConfiguration(dtype: .fp16),
                workload: InferenceWorkload(sequences: 1, contextTokens: 512), budget: .headroom(.default))
        }
    }

    @Test("tensor parallelism that does not divide the heads is refused")
    func tensorParallelMustDivide() throws {
        let model = try InferenceMemoryTests.model("llama-3.1-8b")
        #expect(throws: CoreError.self) {
            try InferencePlanner.estimate(
                model: model, gpu: Self.card, configuration: InferenceConfiguration(tensorParallel: 3),
                workload: InferenceWorkload(sequences: 1, contextTokens: 128))
        }
    }
}
