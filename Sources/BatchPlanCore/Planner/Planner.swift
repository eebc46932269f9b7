/// The planner's entry points: predict memory for one configuration, solve for the largest batch, fit every
/// allowed combination on every card.
///
/// Pure functions over values. Calibration factors come already resolved for the scope by the caller.
public enum Planner {
    /// Predicts memory, component by component, for one model, configuration and card.
    ///
    /// `gpu` picks the runtime defaults (context, workspace) by architecture and checks the precision is supported;
    /// `nil` uses generic defaults and checks nothing.
    /// - Throws: `CoreError.unsupported` when the card cannot run the precision or the mode has no targets;
    ///   `CoreError.invalidValue` for out-of-range configuration values.
    public static func estimate(
        model: ModelAccounting, gpu: GPU?, configuration: TrainingConfiguration,
        calibration: CalibrationFactors = .analytic
    ) throws(CoreError) -> MemoryEstimate {
        throw .unsupported("not implemented yet")
    }

    /// Solves for the largest micro-batch of `configuration` (its `batchSize` is ignored) that fits `gpu` with the
    /// headroom, then applies the options' rounding and target batch.
    public static func maxBatch(
        model: ModelAccounting, gpu: GPU, configuration: TrainingConfiguration,
        calibration: CalibrationFactors = .analytic, options: SolverOptions = SolverOptions()
    ) throws(CoreError) -> BatchSolution {
        throw .unsupported("not implemented yet")
    }

    /// For each card × model, the best plan and the ranked alternatives over every precision (the card supports) ×
    /// optimizer × checkpointing × mode the filters allow.
    ///
    /// - Parameter calibration: the factors resolved for a card × model (the caller walks the scopes).
    public static func fit(
        models: [ModelAccounting], gpus: [GPU], filters: FitFilters = FitFilters(),
        options: SolverOptions = SolverOptions(),
        calibration: (ModelAccounting, GPU) -> CalibrationFactors = { _, _ in .analytic }
    ) throws(CoreError) -> [FitResult] {
        throw .unsupported("not implemented yet")
    }
}
