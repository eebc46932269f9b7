import BatchPlanCore
import Foundation

/// Predicted versus measured maximum batch for runs searched under a memory cap (`tools/measure_torch.py --find-max
/// --cap`), with calibration fitted from every other run only: the capped searches and their probes are held out.
public enum CappedMaxBatchCheck {
    public struct Row: Sendable, Hashable {
        public var model: String
        public var configuration: String
        public var capBytes: Int
        public var measuredMax: Int
        public var firstFailing: Int?
        public var predictedAnalytic: Int
        public var predictedCalibrated: Int
        public var calibrationScope: String
    }

    /// Rows for every usable capped `max_batch` run.
    ///
    /// A cap limits what PyTorch's allocator may reserve; the CUDA context sits outside it. The card a cap emulates
    /// is therefore cap + runtime context, with no headroom: the prediction answers "the largest batch whose
    /// reserved memory stays under the cap".
    public static func rows(_ runs: [Catalog.RunWithUsability]) -> [Row] {
        let (predictions, _) = RunEvidence.predictions(runs)
        let training = predictions.filter { $0.run.memoryCapBytes == nil }
        let model = CalibrationFitter.fit(RunEvidence.observations(training))
        var rows: [Row] = []
        for prediction in predictions where prediction.run.memoryCapBytes != nil && prediction.run.kind == .maxBatch {
            let run = prediction.run
            let cap = run.memoryCapBytes!
            // A point prediction: the calibration's uncertainty margin (which plans add to the headroom) is left out.
            var calibrated = model.factors(for: prediction.model, gpu: prediction.gpu, framework: prediction.configuration.framework, trainer: prediction.configuration.trainer)
            calibrated.logSpread = 0
            func solve(_ factors: CalibrationFactors) -> Int {
                let card = RunEvidence.emulatedCard(
                    prediction.gpu, cap: cap, calibration: factors, framework: prediction.configuration.framework)
                let solution = try? Planner.maxBatch(
                    model: prediction.accounting, gpu: card, configuration: prediction.configuration, calibration: factors,
                    options: SolverOptions(headroom: .bytes(0)))
                return solution?.maxBatchSize ?? 0
            }
            let c = prediction.configuration
            rows.append(Row(
                model: run.model,
                configuration: "\(c.precision.rawValue) \(c.optimizer.rawValue) ckpt=\(c.checkpointing.rawValue)"
                    + (run.seqLen.map { " seq \($0)" } ?? run.imageSize.map { " \($0)px" } ?? ""),
                capBytes: cap, measuredMax: run.batchSize ?? 0, firstFailing: run.bracketNext,
                predictedAnalytic: solve(.analytic), predictedCalibrated: solve(calibrated),
                calibrationScope: calibrated.scope.description))
        }
        return rows.sorted { ($0.model, $0.capBytes) < ($1.model, $1.capBytes) }
    }
}
