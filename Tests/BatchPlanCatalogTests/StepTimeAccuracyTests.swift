import BatchPlanCatalog
import BatchPlanCore
import Foundation
import Testing

@Suite struct StepTimeAccuracyTests {
    @Test func heldOutModelsAreRankedAndTimedWithinTheTargets() throws {
        let catalog = try Catalog(path: ":memory:")
        let observations = try catalog.throughputObservations()
        let validation = ThroughputCrossValidation(observations)
        let spearman = ThroughputCrossValidation.spearman(validation.rows)
        print("step time LOMO: n=\(validation.rows.count) median \(validation.medianAbsoluteError) spearman \(spearman)")
        for model in Set(validation.rows.map(\.observation.path.model)).sorted() {
            let own = validation.rows.filter { $0.observation.path.model == model }
            let errors = own.map { abs($0.relativeError) }.sorted()
            print("  \(model) n=\(own.count) median \(errors[errors.count / 2]) spearman \(ThroughputCrossValidation.spearman(own)) scope \(own[0].scope)")
        }
        let analytic = ThroughputCrossValidation(observations, uncalibrated: true)
        print("uncalibrated: median \(analytic.medianAbsoluteError) spearman \(ThroughputCrossValidation.spearman(analytic.rows))")
        if ProcessInfo.processInfo.environment["STEPTIME_ROWS"] != nil {
            for row in validation.rows {
                print(String(format: "%@ %@ measured %.1f predicted %.1f", row.observation.path.model, row.observation.label,
                             row.observation.measuredSeconds * 1000, row.predictedSeconds * 1000))
            }
            let all = ThroughputFitter().fit(observations)
            for (key, f) in all.scopes.sorted(by: { $0.key < $1.key }) {
                print("scope \(key) n=\(f.runsUsed) tensor \(f.utilization(tensorCores: true)) fp32 \(f.utilization(tensorCores: false)) bandwidth \(f.bandwidthEfficiency) overhead \(f.overheadPerPassSeconds * 1e6) med \(f.medianRelativeError)")
            }
        }
        #expect(observations.count >= 150)
    }
}
