import BatchPlanCore

/// Samples estimated throughput against batch size for the chosen plan's combination, with and without block
/// checkpointing, up to each one's largest batch: where a bigger micro-batch stops buying speed, and what
/// recomputation costs.
///
/// Pure: it solves with the plan's own solver options and calibration, and times with `Planner.stepTime` and the
/// step-time factors the plan was ranked with.
public enum ThroughputCurveSampler {
    public static func curves(
        for result: FitResult, model: ModelAccounting, gpu: GPU, calibration: CalibrationFactors,
        throughput: ThroughputFactors, options: SolverOptions
    ) -> [ThroughputCurve] {
        guard let best = result.best, best.stepTime != nil else { return [] }
        var plain = options
        plain.targetBatch = nil
        return [Checkpointing.none, .block].compactMap { checkpointing -> ThroughputCurve? in
            var configuration = best.configuration
            configuration.checkpointing = checkpointing
            configuration.gradAccumSteps = 1
            guard let solution = try? Planner.maxBatch(
                model: model, gpu: gpu, configuration: configuration, calibration: calibration, options: plain),
                solution.maxBatchSize >= 1
            else { return nil }
            var sizes: [Int] = []
            var size = 1
            while size < solution.maxBatchSize {
                sizes.append(size)
                size *= 2
            }
            sizes.append(solution.maxBatchSize)
            let points = sizes.compactMap { batch -> ThroughputPoint? in
                configuration.batchSize = batch
                guard case let .success(estimate) = Planner.stepTime(
                    model: model, gpu: gpu, configuration: configuration, factors: throughput)
                else { return nil }
                return ThroughputPoint(batchSize: batch, samplesPerSecond: estimate.samplesPerSecond, stepTimeMs: estimate.stepTimeMs)
            }
            guard points.count == sizes.count else { return nil }
            return ThroughputCurve(
                precision: configuration.precision, optimizer: configuration.optimizer, checkpointing: checkpointing,
                mode: configuration.mode, points: points, maxBatchSize: solution.maxBatchSize)
        }
    }
}
