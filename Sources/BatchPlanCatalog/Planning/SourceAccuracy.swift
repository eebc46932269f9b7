import BatchPlanCore
import Foundation

/// Accuracy per source, leave-one-source-out: every run is predicted by the analytic model and by a calibration
/// fitted without any run of its source, and both are scored with `AccuracyEvaluation` (relative error per counter,
/// share under-predicted, maximum-batch facts within one step, fits/OOM facts on the right side).
///
/// A source is what `CrossValidation` holds out together: a run's URL, else its `source` (one measuring session).
public struct SourceAccuracy: Sendable {
    public struct Row: Sendable {
        /// The source held out; "all" for the pooled row.
        public var source: String
        public var runs: Int
        public var analytic: AccuracyEvaluation
        public var calibrated: AccuracyEvaluation
    }

    /// One row per source, then the pooled row ("all").
    public var rows: [Row]

    /// The source a prediction belongs to (its URL, else its `source`).
    public static func source(of prediction: RunEvidence.Prediction) -> String {
        prediction.run.url ?? prediction.run.source
    }

    /// Scores `predictions` by leave-one-source-out with `fit` (default: the catalog's fitter).
    public static func leaveOneSourceOut(
        _ predictions: [RunEvidence.Prediction],
        fit: ([CalibrationObservation]) -> CalibrationModel = { CalibrationFitter.fit($0) }
    ) -> SourceAccuracy {
        var order: [String] = []
        var bySource: [String: [Int]] = [:]
        for (index, prediction) in predictions.enumerated() {
            let source = source(of: prediction)
            if bySource[source] == nil { order.append(source) }
            bySource[source, default: []].append(index)
        }
        // Factors per prediction from its fold's fit: a fit that never saw the prediction's source.
        var factors: [String: CalibrationFactors] = [:]
        for source in order {
            let training = predictions.enumerated().filter { bySource[source]!.contains($0.offset) == false }.map(\.element)
            let model = fit(RunEvidence.observations(training))
            for index in bySource[source]! {
                let p = predictions[index]
                var f = model.factors(for: p.model, gpu: p.gpu, framework: p.configuration.framework, trainer: p.configuration.trainer)
                f.logSpread = 0  // point predictions: the uncertainty margin is headroom, not part of the prediction
                factors[key(p)] = f
            }
        }
        func calibrated(_ p: RunEvidence.Prediction) -> CalibrationFactors { factors[key(p)] ?? .analytic }
        var rows: [Row] = []
        for source in order {
            let subset = bySource[source]!.map { predictions[$0] }
            rows.append(Row(
                source: source, runs: subset.count, analytic: AccuracyEvaluation.evaluate(subset),
                calibrated: AccuracyEvaluation.evaluate(subset, factors: calibrated)))
        }
        rows.append(Row(
            source: "all", runs: predictions.count, analytic: AccuracyEvaluation.evaluate(predictions),
            calibrated: AccuracyEvaluation.evaluate(predictions, factors: calibrated)))
        return SourceAccuracy(rows: rows)
    }

    private static func key(_ p: RunEvidence.Prediction) -> String { "\(source(of: p))|\(p.run.key)" }
}

extension AccuracyEvaluation {
    /// Every counter's readings pooled: median and 90th percentile of |error|, share under-predicted.
    public var pooled: CounterAccuracy? {
        guard !counters.isEmpty else { return nil }
        let count = counters.reduce(0) { $0 + $1.count }
        let errors = signedErrors.map(abs).sorted()
        guard !errors.isEmpty else { return nil }
        return CounterAccuracy(
            counter: "all", count: count, medianRelativeError: Self.quantile(errors, 0.5),
            p90RelativeError: Self.quantile(errors, 0.9), underPredictionRate: Double(signedErrors.count { $0 < 0 }) / Double(errors.count))
    }
}
