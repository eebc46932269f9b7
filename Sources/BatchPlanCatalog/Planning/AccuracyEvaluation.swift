import BatchPlanCore
import Foundation

/// How close the planner comes to measured runs: relative error per counter, bracketing of "maximum batch" facts,
/// and how often it under-predicts (the dangerous side: a plan that OOMs).
public struct AccuracyEvaluation: Hashable, Codable, Sendable {
    /// Error of one counter's predictions against `mem_at_batch` readings.
    public struct CounterAccuracy: Hashable, Codable, Sendable {
        public var counter: String
        public var count: Int
        public var medianRelativeError: Double
        public var p90RelativeError: Double
        /// Share of rows predicted below the measurement.
        public var underPredictionRate: Double
    }

    /// How predicted maximum batches compare with measured ones.
    public struct MaxBatchAccuracy: Hashable, Codable, Sendable {
        public var count: Int
        /// Share whose prediction lies within one step (×1.5, timm's back-off ratio) of the measured bracket:
        /// `value / 1.5 ≤ predicted < (bracket_next ?? value) × 1.5`.
        public var withinOneStepShare: Double
        /// Share predicted above the true maximum (above `bracket_next`, or above the value when no upper bound
        /// is known and the value was not a cap): the plan would OOM.
        public var overPredictionRate: Double
        /// Median of predicted / measured.
        public var medianRatio: Double
    }

    public var counters: [CounterAccuracy]
    public var maxBatch: MaxBatchAccuracy
    /// Share of "fits"/"oom" facts predicted on the right side of the card.
    public var outcomesRight: Double
    public var outcomeCount: Int
    /// (predicted − measured) / measured of every reading, all counters pooled.
    public var signedErrors: [Double] = []

    /// The step that counts as "within one step" of a measured maximum batch.
    public static let step = 1.5

    /// Evaluates uncalibrated (or calibrated, via `factors`) predictions of every usable run.
    public static func evaluate(
        _ predictions: [RunEvidence.Prediction],
        factors: (RunEvidence.Prediction) -> CalibrationFactors = { _ in .analytic }
    ) -> AccuracyEvaluation {
        var pairs: [String: [(predicted: Double, measured: Double)]] = [:]
        var maxBatch: [(predicted: Double, low: Double, high: Double?)] = []
        var outcomes = 0
        var right = 0
        for prediction in predictions {
            let run = prediction.run
            let calibration = factors(prediction)
            let room = RunEvidence.room(of: run, on: prediction.gpu)
            switch run.kind {
            case .memAtBatch:
                guard let estimate = try? Planner.estimate(
                    model: prediction.accounting, gpu: prediction.gpu, configuration: prediction.configuration,
                    calibration: calibration)
                else { continue }
                for (counter, measured, predicted) in [
                    ("allocated", run.peakAllocatedBytes, estimate.peakAllocatedBytes),
                    ("reserved", run.peakReservedBytes, estimate.peakReservedBytes),
                    ("device_used", run.deviceUsedBytes, estimate.deviceUsedBytes),
                ] {
                    guard let measured else { continue }
                    pairs[counter, default: []].append((Double(predicted), Double(measured)))
                }
            case .maxBatch:
                var card = prediction.gpu
                card.memoryBytes = room.bytes
                if let cap = run.memoryCapBytes {
                    card = RunEvidence.emulatedCard(
                        prediction.gpu, cap: cap, calibration: calibration, framework: prediction.configuration.framework)
                }
                guard let solution = try? Planner.maxBatch(
                    model: prediction.accounting, gpu: card, configuration: prediction.configuration,
                    calibration: calibration, options: SolverOptions(headroom: .bytes(0)))
                else { continue }
                maxBatch.append((Double(solution.maxBatchSize), Double(run.batchSize ?? 1), run.bracketNext.map(Double.init)))
            case .fits, .oom:
                guard let estimate = try? Planner.estimate(
                    model: prediction.accounting, gpu: prediction.gpu, configuration: prediction.configuration,
                    calibration: calibration)
                else { continue }
                outcomes += 1
                let need = room.counter == .reserved ? estimate.peakReservedBytes : estimate.deviceUsedBytes
                if (need <= room.bytes) == (run.outcome == .ok) { right += 1 }
            }
        }
        let counters = ["allocated", "reserved", "device_used"].compactMap { counter -> CounterAccuracy? in
            guard let list = pairs[counter], !list.isEmpty else { return nil }
            let errors = list.map { abs($0.predicted - $0.measured) / $0.measured }.sorted()
            return CounterAccuracy(
                counter: counter, count: list.count, medianRelativeError: quantile(errors, 0.5),
                p90RelativeError: quantile(errors, 0.9),
                underPredictionRate: Double(list.filter { $0.predicted < $0.measured }.count) / Double(list.count))
        }
        let within = maxBatch.filter { $0.predicted >= $0.low / step && $0.predicted < ($0.high ?? $0.low) * step }.count
        let over = maxBatch.filter { $0.predicted >= ($0.high ?? .infinity) }.count
        let ratios = maxBatch.map { $0.predicted / $0.low }.sorted()
        return AccuracyEvaluation(
            counters: counters,
            maxBatch: MaxBatchAccuracy(
                count: maxBatch.count, withinOneStepShare: maxBatch.isEmpty ? 0 : Double(within) / Double(maxBatch.count),
                overPredictionRate: maxBatch.isEmpty ? 0 : Double(over) / Double(maxBatch.count),
                medianRatio: ratios.isEmpty ? 0 : quantile(ratios, 0.5)),
            outcomesRight: outcomes == 0 ? 0 : Double(right) / Double(outcomes), outcomeCount: outcomes,
            signedErrors: pairs.values.flatMap { $0.map { ($0.predicted - $0.measured) / $0.measured } })
    }

    /// Linear-interpolated quantile of sorted values.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}
