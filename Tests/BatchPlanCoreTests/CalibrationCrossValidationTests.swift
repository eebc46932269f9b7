import Foundation
import Testing

@testable import BatchPlanCore

@Suite("Calibration cross-validation")
struct CalibrationCrossValidationTests {
    typealias F = CalibrationFixtures

    static let paths = [
        F.path(family: "llama", model: "llama-2-7b"), F.path(family: "llama", model: "llama-2-13b"),
        F.path(family: "resnet", model: "resnet50"), F.path(gpu: "RTX 3090", family: "resnet", model: "resnet50"),
    ]
    static let runs = CalibrationSynthesis.observations(
        count: 400, seed: 11, truth: F.truth(activationScale: 1.3, reserve: 0.1, contextMiB: 900), paths: paths)

    @Test("no held-out observation, nor any sibling from its source, is ever seen by the fit that scores it")
    func heldOutSourceIsNeverSeen() {
        var seen: [Set<String>] = []
        let report = CrossValidation.leaveOneSourceOut(Self.runs) { training in
            seen.append(Set(training.map(\.id)))
            return CalibrationFitter.fit(training, options: F.options)
        }
        let idsBySource = Dictionary(grouping: Self.runs, by: \.source).mapValues { Set($0.map(\.id)) }
        #expect(seen.count == idsBySource.count, "one fit per source")
        #expect(report.folds.count == idsBySource.count)
        #expect(report.scored.count == Self.runs.count, "every observation is scored once")
        #expect(Set(report.scored.map(\.observation.id)).count == Self.runs.count)
        for scored in report.scored {
            let siblings = idsBySource[scored.observation.source]!
            let leaked = seen[scored.fold].intersection(siblings)
            #expect(leaked.isEmpty, "fold \(scored.fold) saw \(leaked.sorted().prefix(3)) from the held-out source")
            #expect(report.folds[scored.fold] == scored.observation.source)
        }
        // And the fits did see everything else: each training set is all the other sources.
        for (fold, source) in report.folds.enumerated() {
            #expect(seen[fold].count == Self.runs.count - idsBySource[source]!.count)
        }
    }

    @Test("calibration lowers the held-out error and the under-prediction rate on data with a known bias")
    func calibrationImprovesHeldOutError() {
        let report = CrossValidation.leaveOneSourceOut(Self.runs, options: F.options)
        let all = report.rows.first { $0.dimension == .all }!
        #expect(all.measuredAfter.medianRelativeError < all.measuredBefore.medianRelativeError / 2)
        #expect(all.measuredAfter.p90RelativeError < all.measuredBefore.p90RelativeError)
        #expect(all.measuredBefore.underPredictionRate > 0.9, "the analytic model misses the 1.3× activations")
        #expect(all.measuredAfter.underPredictionRate < 0.7)
        #expect(all.outcomesAfter.correctShare >= all.outcomesBefore.correctShare)
        #expect(all.outcomesAfter.count > 0)
    }

    @Test("the report has a row per counter, one for outcomes and one per family, with consistent counts")
    func reportRows() {
        let report = CrossValidation.leaveOneSourceOut(Self.runs, options: F.options)
        let counters = report.rows.filter { $0.dimension == .counter }.map(\.key)
        #expect(counters == ["allocated", "reserved", "device_used"])
        #expect(report.rows.filter { $0.dimension == .family }.map(\.key) == ["llama", "resnet"])
        let all = report.rows.first { $0.dimension == .all }!
        let perCounter = report.rows.filter { $0.dimension == .counter }.map(\.measuredAfter.count).reduce(0, +)
        let outcomes = report.rows.first { $0.dimension == .outcome }!.outcomesAfter.count
        #expect(all.measuredAfter.count == perCounter)
        #expect(perCounter + outcomes == Self.runs.count)
    }

    @Test("error summaries use nearest-rank percentiles and count predictions below the measurement as under")
    func errorSummaryArithmetic() {
        let pairs = (1...10).map { (predicted: 100.0 - Double($0), measured: 100.0) } + [(predicted: 150.0, measured: 100.0)]
        let s = ErrorSummary(pairs: pairs)
        #expect(s.count == 11)
        #expect(abs(s.medianRelativeError - 0.06) < 1e-12)
        #expect(abs(s.p90RelativeError - 0.10) < 1e-12)
        #expect(abs(s.underPredictionRate - 10.0 / 11.0) < 1e-12)
    }
}
