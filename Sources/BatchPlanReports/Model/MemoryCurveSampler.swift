import BatchPlanCore

/// Samples predicted device memory against batch size for the combinations a report plots.
///
/// Pure: it calls `Planner.estimate` with the factors the plan was solved with, so a curve crosses the capacity line
/// where the solver said it would.
public enum MemoryCurveSampler {
    /// At most this many curves per card × model: the chosen plan and the best plan of each other precision.
    public static let maximumCurves = 5

    /// Batch sizes to sample: powers of two from 1 up to twice the first one past `maxBatch` (at least 16), so every
    /// curve visibly crosses the capacity line before the chart ends.
    public static func batchSizes(pastMaxBatch maxBatch: Int) -> [Int] {
        var sizes = [1]
        while sizes.last! <= max(maxBatch, 4) && sizes.count < 31 { sizes.append(sizes.last! * 2) }
        sizes.append(sizes.last! * 2)
        return sizes
    }

    /// Curves for one card × model: the chosen plan's combination, then the best-ranked candidate of each other
    /// precision that fits (or the closest one when nothing fits). Combinations the planner rejects are skipped.
    public static func curves(
        for result: FitResult, model: ModelAccounting, gpu: GPU, calibration: CalibrationFactors
    ) -> [MemoryCurve] {
        let ranked = (result.best.map { [$0] } ?? []) + result.alternatives
        var chosen: [PlanCandidate] = []
        var precisions = Set<Precision>()
        for candidate in ranked where chosen.count < maximumCurves {
            guard candidate.fits || result.best == nil else { continue }
            if precisions.insert(candidate.configuration.precision).inserted { chosen.append(candidate) }
        }
        let largest = chosen.map(\.maxBatchSize).max() ?? 0
        // Each curve's own max batch is sampled too, so its marker sits on the predicted value, not between points.
        let sizes = Set(batchSizes(pastMaxBatch: largest) + chosen.filter(\.fits).map(\.maxBatchSize)).sorted()
        return chosen.compactMap { candidate -> MemoryCurve? in
            var points: [CurvePoint] = []
            for size in sizes {
                var configuration = candidate.configuration
                configuration.batchSize = size
                configuration.gradAccumSteps = 1
                guard let estimate = try? Planner.estimate(
                    model: model, gpu: gpu, configuration: configuration, calibration: calibration)
                else { return nil }
                points.append(CurvePoint(batchSize: size, deviceUsedBytes: estimate.deviceUsedBytes))
            }
            let c = candidate.configuration
            return MemoryCurve(
                precision: c.precision, optimizer: c.optimizer, checkpointing: c.checkpointing, points: points,
                maxBatchSize: candidate.fits ? candidate.maxBatchSize : nil)
        }
    }
}
