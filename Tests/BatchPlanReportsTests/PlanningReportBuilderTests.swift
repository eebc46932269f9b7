import BatchPlanCore
import Foundation
import Testing

@testable import BatchPlanReports

@Suite("Building a planning report from the planner's values")
struct PlanningReportBuilderTests {
    /// A 25M-parameter model with 2M activations per 3×224×224 sample (raw counts: no accountant detail needed).
    static let model: ModelAccounting = {
        let payload = #"{"parameters": 25000000, "activationsPerSample": 2000000, "input": [3, 224, 224], "classes": 1000}"#
        return try! ModelDefinition(name: "toy", kind: .rawCounts, payload: payload, source: "test", origin: .user).account()
    }()

    static func card(_ name: String, gib: Int) -> GPU {
        GPU(
            name: name, vendor: .nvidia, architecture: "ampere", segment: "other", memoryBytes: gib << 30,
            memoryBytesSource: "test", marketedMemory: "\(gib)GB", marketedMemoryBytes: gib << 30, tf32TFLOPS: 1,
            supportsBF16: true, supportsFP8: false, sourceURL: "test", origin: .user)
    }

    static func input(cards: [GPU], filters: FitFilters = FitFilters()) throws -> (PlanningReportInput, [FitResult]) {
        let results = try Planner.fit(models: [model], gpus: cards, filters: filters)
        let input = PlanningReportInput(
            question: "Largest batch for toy", cards: cards.map { .init(name: $0.name, memoryBytes: $0.memoryBytes) },
            solver: SolverOptions(), results: results, assumptions: ["Asked by a test."],
            calibration: CalibrationSummary(scope: "global", runsUsed: 0))
        return (input, results)
    }

    static let versions = ReportVersions(batchplan: "0.1.0", catalogSchema: "0003_plans", data: "test")

    @Test("cards keep their order and each chosen plan is the planner's best, with components that sum to its memory")
    func chosenPlans() throws {
        let cards = [Self.card("Big", gib: 24), Self.card("Small", gib: 8)]
        let (input, results) = try Self.input(cards: cards)
        let report = PlanningReportBuilder.report(input, versions: Self.versions, generatedAt: Date(timeIntervalSince1970: 0), alternatives: 3)
        #expect(report.cards.map(\.gpuName) == ["Big", "Small"])
        for (card, result) in zip(report.cards, results) {
            let best = try #require(result.best)
            let row = try #require(card.models.first?.best)
            #expect(row.fits && row.maxBatchSize == best.maxBatchSize)
            #expect(row.precision == best.configuration.precision && row.optimizer == best.configuration.optimizer)
            #expect(row.components.map(\.bytes).reduce(0, +) == row.deviceUsedBytes)
            #expect(row.components.map(\.key) == MemoryComponent.standardKeys)
            let alternatives = try #require(card.models.first?.alternatives)
            #expect(alternatives.count == 3)
            #expect(alternatives.map(\.whyLost) == result.alternatives.prefix(3).map { $0.whyNot ?? "" })
        }
        #expect(report.cards[0].models[0].best.maxBatchSize > report.cards[1].models[0].best.maxBatchSize)
    }

    @Test("assumptions come once each, the input's own first")
    func assumptionsOnce() throws {
        let (input, results) = try Self.input(cards: [Self.card("A", gib: 24), Self.card("B", gib: 24)])
        let report = PlanningReportBuilder.report(input, versions: Self.versions, generatedAt: Date())
        #expect(report.assumptions.first == "Asked by a test.")
        #expect(Set(report.assumptions).count == report.assumptions.count)
        for line in results.flatMap(\.assumptions) { #expect(report.assumptions.contains(line)) }
    }

    @Test("when nothing fits, the closest combination is shown as the plan, marked as not fitting")
    func nothingFits() throws {
        let filters = FitFilters(precisions: [.fp32], optimizers: [.adamw], checkpointing: [.none], modes: [.full])
        let (input, results) = try Self.input(cards: [Self.card("Tiny", gib: 1)], filters: filters)
        #expect(results[0].best == nil)
        let report = PlanningReportBuilder.report(input, versions: Self.versions, generatedAt: Date())
        let plan = try #require(report.cards.first?.models.first?.best)
        #expect(!plan.fits)
        #expect(plan.maxBatchSize == 0)
        #expect(plan.deviceUsedBytes == results[0].alternatives[0].deviceUsedBytes)
        #expect(ReportWording.answer(for: report.cards[0]).contains("does not fit"))
    }

    @Test("the chosen plan's curve passes through the solver's answer and crosses the headroom limit before it ends")
    func curveThroughChosenPlan() throws {
        let gpu = Self.card("Card", gib: 16)
        let (_, results) = try Self.input(cards: [gpu])
        let best = try #require(results[0].best)
        let curves = MemoryCurveSampler.curves(for: results[0], model: Self.model, gpu: gpu, calibration: .analytic)
        let chosen = try #require(curves.first)
        #expect(chosen.precision == best.configuration.precision && chosen.maxBatchSize == best.maxBatchSize)
        #expect(Set(curves.map(\.precision)).count == curves.count, "one curve per precision")
        #expect(curves.count <= MemoryCurveSampler.maximumCurves)
        #expect(chosen.points.map(\.batchSize) == chosen.points.map(\.batchSize).sorted())
        let atMax = try #require(chosen.points.first { $0.batchSize == best.maxBatchSize })
        #expect(atMax.deviceUsedBytes == best.deviceUsedBytes)
        let limit = gpu.memoryBytes - best.headroomBytes
        #expect(try #require(chosen.points.last).deviceUsedBytes > limit)
    }

    @Test("batch sizes are powers of two up to twice the first one past the max batch",
          arguments: [(0, [1, 2, 4, 8, 16]), (6, [1, 2, 4, 8, 16]), (100, [1, 2, 4, 8, 16, 32, 64, 128, 256]),
                      (128, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512])])
    func batchSizes(maxBatch: Int, expected: [Int]) {
        #expect(MemoryCurveSampler.batchSizes(pastMaxBatch: maxBatch) == expected)
    }

    @Test("a report input survives a JSON round trip unchanged, so a saved plan re-exports the same report")
    func codableRoundTrip() throws {
        let gpu = Self.card("Card", gib: 16)
        var (input, results) = try Self.input(cards: [gpu])
        input.curves = [.init(gpu: "Card", model: "toy", curves: MemoryCurveSampler.curves(
            for: results[0], model: Self.model, gpu: gpu, calibration: .analytic))]
        input.measured = [MeasuredPoint(label: "toy bs 8", measuredBytes: 5 << 30, predictedBytes: 6 << 30)]
        input = input.trimmed(alternatives: 4)
        #expect(input.results[0].alternatives.count == 4)
        let decoded = try JSONDecoder().decode(PlanningReportInput.self, from: JSONEncoder().encode(input))
        #expect(decoded == input)
        let date = Date(timeIntervalSince1970: 1_764_158_400)
        #expect(try JSONReportRenderer().render(PlanningReportBuilder.report(decoded, versions: Self.versions, generatedAt: date))
            == JSONReportRenderer().render(PlanningReportBuilder.report(input, versions: Self.versions, generatedAt: date)))
    }
}
