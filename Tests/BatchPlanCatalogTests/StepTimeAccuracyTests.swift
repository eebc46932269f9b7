import BatchPlanCatalog
import BatchPlanCore
import Foundation
import Testing

/// The step-time model against the built-in runs' measured step times, each model held out of the fit that predicts
/// it. The committed figures are the bar (README "Step times"; the benchmark `steptime-bench` prints the detail): a
/// change that makes them worse fails here.
@Suite("Step-time accuracy against measured runs")
struct StepTimeAccuracyTests {
    /// Worst acceptable values; measured 0.122 / 0.987 (calibrated) and 0.333 / 0.978 (defaults) when committed.
    static let maxMedianError = 0.13
    static let minSpearman = 0.98
    static let maxUncalibratedMedianError = 0.35
    /// The aim per model: rank correlation ≥ 0.9, median error ≤ 20%.
    static let minModelSpearman = 0.9
    static let maxModelMedianError = 0.2

    static let observations = try! Catalog(path: ":memory:").throughputObservations()

    @Test("held-out models are timed within the committed bar and ranked in the measured order")
    func leaveOneModelOut() throws {
        #expect(Self.observations.count >= 150)
        let validation = ThroughputCrossValidation(Self.observations)
        #expect(validation.medianAbsoluteError <= Self.maxMedianError)
        #expect(ThroughputCrossValidation.spearman(validation.rows) >= Self.minSpearman)
        for model in Set(validation.rows.map(\.observation.path.model)).sorted() {
            let own = validation.rows.filter { $0.observation.path.model == model }
            let errors = own.map { abs($0.relativeError) }.sorted()
            #expect(errors[errors.count / 2] <= Self.maxModelMedianError, "\(model)")
            #expect(ThroughputCrossValidation.spearman(own) >= Self.minModelSpearman, "\(model)")
            #expect(own.allSatisfy { !$0.scope.contains(model) }, "\(model) was predicted by a scope that saw it")
        }
    }

    @Test("calibration improves on the uncalibrated defaults")
    func calibrationHelps() {
        let analytic = ThroughputCrossValidation(Self.observations, uncalibrated: true)
        let calibrated = ThroughputCrossValidation(Self.observations)
        #expect(analytic.medianAbsoluteError <= Self.maxUncalibratedMedianError)
        #expect(calibrated.medianAbsoluteError < analytic.medianAbsoluteError)
    }
}
