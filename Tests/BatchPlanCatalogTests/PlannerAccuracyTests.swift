import BatchPlanCore
import Foundation
import Testing

@testable import BatchPlanCatalog

/// The uncalibrated planner against every built-in measured run it can express (the published measurements and our
/// own H100 runs). The committed figures are the bar: a change that makes any of them worse fails here, so the
/// model only gets better. Improve the model, never special-case rows.
@Suite("Planner accuracy against measured runs")
struct PlannerAccuracyTests {
    /// Committed figures (README "Accuracy"): worst acceptable values, updated when the model improves.
    struct Bar {
        var counter: String
        var maxMedianError: Double
        var maxP90Error: Double
        var maxUnderPrediction: Double
    }

    static let bars = [
        Bar(counter: "allocated", maxMedianError: 0.117, maxP90Error: 0.400, maxUnderPrediction: 0.678),
    ]
    static let minMaxBatchWithinOneStep = 0.81
    static let maxMaxBatchOverPrediction = 0.126
    static let minOutcomesRight = 1.0

    static let evaluation: AccuracyEvaluation = {
        let catalog = try! Catalog(path: ":memory:")
        let builtin = try! catalog.runsWithUsability().filter { $0.stored.run.origin == .builtin }
        return AccuracyEvaluation.evaluate(RunEvidence.predictions(builtin).predictions)
    }()

    @Test("every counter's median, 90th-percentile error and under-prediction rate stay within the committed figures")
    func countersWithinBars() throws {
        for bar in Self.bars {
            let measured = try #require(Self.evaluation.counters.first { $0.counter == bar.counter })
            #expect(measured.count >= 20, "too few \(bar.counter) rows: \(measured.count)")
            #expect(measured.medianRelativeError <= bar.maxMedianError, "\(bar.counter) median \(measured.medianRelativeError)")
            #expect(measured.p90RelativeError <= bar.maxP90Error, "\(bar.counter) p90 \(measured.p90RelativeError)")
            #expect(measured.underPredictionRate <= bar.maxUnderPrediction, "\(bar.counter) under \(measured.underPredictionRate)")
        }
    }

    @Test("maximum-batch facts are bracketed within one step at least as often as committed, and over-predicted no more")
    func maxBatchWithinBars() {
        let maxBatch = Self.evaluation.maxBatch
        #expect(maxBatch.count >= 10)
        #expect(maxBatch.withinOneStepShare >= Self.minMaxBatchWithinOneStep, "within one step \(maxBatch.withinOneStepShare)")
        #expect(maxBatch.overPredictionRate <= Self.maxMaxBatchOverPrediction, "over-predicted \(maxBatch.overPredictionRate)")
    }

    @Test("fits and OOM facts land on the right side of the card")
    func outcomesRight() {
        #expect(Self.evaluation.outcomeCount >= 5)
        #expect(Self.evaluation.outcomesRight >= Self.minOutcomesRight)
    }
}
