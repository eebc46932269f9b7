/// The planner's entry points: predict memory for one configuration, solve for the largest batch, fit every
/// allowed combination on every card.
///
/// Pure functions over values. Calibration factors come already resolved for the scope by the caller.
public enum Planner {
    /// Predicts memory, component by component, for one model, configuration and card.
    ///
    /// `gpu` picks the runtime defaults (context, workspace) by architecture and checks the precision is supported;
    /// `nil` uses generic defaults and checks nothing.
    /// - Throws: `CoreError.unsupported` when the card cannot run the precision or the mode has nothing to train;
    ///   `CoreError.invalidValue` for out-of-range configuration values.
    ///
    /// `withComponentMaxima` also finds each component's own maximum over the step (`componentMaxima`), one more
    /// pass over the phases: what `estimate` shows, not what a calibration fit over many runs needs.
    public static func estimate(
        model: ModelAccounting, gpu: GPU?, configuration: TrainingConfiguration,
        calibration: CalibrationFactors = .analytic, withComponentMaxima: Bool = false
    ) throws(CoreError) -> MemoryEstimate {
        let phases = try phaseModel(model: model, gpu: gpu, configuration: configuration, calibration: calibration)
        var estimate = phases.estimate(batch: configuration.batchSize, model: model, gpu: gpu)
        if withComponentMaxima { estimate.componentMaxima = phases.componentMaxima(batch: configuration.batchSize) }
        return estimate
    }

    /// Solves for the largest micro-batch of `configuration` (its `batchSize` is ignored) that fits `gpu` with the
    /// headroom, then applies the options' rounding and target batch.
    ///
    /// Memory is affine in the batch at each phase, so the solve is closed-form; the result is then checked with the
    /// full phase model (reserve rounding makes it slightly non-linear) and moved to the largest batch that fits.
    public static func maxBatch(
        model: ModelAccounting, gpu: GPU, configuration: TrainingConfiguration,
        calibration: CalibrationFactors = .analytic, options: SolverOptions = SolverOptions()
    ) throws(CoreError) -> BatchSolution {
        let options = try options.validated()
        let phases = try phaseModel(model: model, gpu: gpu, configuration: configuration, calibration: calibration)
        let solver = BatchSolver(memory: gpu.memoryBytes, options: options)
        var solution = solver.solve(phases, model: model, gpu: gpu)
        if solution.maxBatchSize == 0 {
            solution.nothingFits = FitAdvisor(model: model, gpu: gpu, calibration: calibration, options: options)
                .advise(failing: phases)
        }
        return solution
    }

    /// For each card × model, the best plan and the ranked alternatives over every precision (the card supports) ×
    /// optimizer × checkpointing × mode the filters allow.
    ///
    /// Card × model pairs are solved on every core; the results are the same, in the same order, as a serial run
    /// (`concurrency: 1`).
    ///
    /// - Parameter calibration: the factors resolved for a card × model (the caller walks the scopes); called on
    ///   the caller's thread, once per pair, before any solving.
    /// - Parameter concurrency: how many pairs are solved at once; `nil` uses every core.
    public static func fit(
        models: [ModelAccounting], gpus: [GPU], filters: FitFilters = FitFilters(),
        options: SolverOptions = SolverOptions(),
        calibration: (ModelAccounting, GPU) -> CalibrationFactors = { _, _ in .analytic },
        throughput: (ModelAccounting, GPU) -> ThroughputFactors = { _, _ in .defaults }, concurrency: Int? = nil
    ) throws(CoreError) -> [FitResult] {
        try FitSearch(filters: filters, options: options.validated()).run(
            models: models, gpus: gpus, calibration: calibration, throughput: throughput,
            concurrency: concurrency ?? ParallelMap.defaultConcurrency)
    }

    /// The estimated step time of one configuration at its batch and accumulation on `gpu`.
    ///
    /// - Returns: the estimate, or `.failure` naming the catalog column the card lacks.
    public static func stepTime(
        model: ModelAccounting, gpu: GPU, configuration: TrainingConfiguration, factors: ThroughputFactors = .defaults
    ) -> Result<StepTimeEstimate, MissingRate> {
        DeviceRates.of(gpu, precision: configuration.precision).map { rates in
            let work = StepWork(
                model: model, checkpointing: configuration.checkpointing, mode: configuration.mode,
                loraRank: configuration.loraRank, loraTargets: configuration.loraTargets)
            return StepTimeModel(work: work, configuration: configuration, rates: rates, factors: factors).estimate()
        }
    }

    /// Validates the configuration against the card and builds its phase model.
    static func phaseModel(
        model: ModelAccounting, gpu: GPU?, configuration: TrainingConfiguration, calibration: CalibrationFactors
    ) throws(CoreError) -> PhaseModel {
        let configuration = try configuration.validated()
        if let gpu { try checkSupport(configuration.precision, on: gpu) }
        let profile = try ModelProfile(
            model: model, checkpointing: configuration.checkpointing, mode: configuration.mode,
            loraRank: configuration.loraRank, loraTargets: configuration.loraTargets,
            loraDropout: configuration.loraDropout > 0)
        return PhaseModel(profile: profile, configuration: configuration, gpu: gpu, calibration: calibration)
    }

    /// Throws when none of `precisions` runs on any of `gpus`, naming each card, what the precision needs and what
    /// the card runs: a fit asked only for precisions its cards cannot run is a wrong question, not "nothing fits".
    /// One precision that runs on one card is enough to plan.
    public static func checkSupport(anyOf precisions: [Precision], on gpus: [GPU]) throws(CoreError) {
        guard !precisions.isEmpty, !gpus.isEmpty,
            !gpus.contains(where: { gpu in precisions.contains(where: gpu.supports) })
        else { return }
        func runs(_ gpu: GPU) -> String { Precision.allCases.filter(gpu.supports).map(\.rawValue).joined(separator: ", ") }
        if precisions.count == 1, gpus.count == 1, let precision = precisions.first, let gpu = gpus.first {
            do throws(CoreError) {
                try checkSupport(precision, on: gpu)
            } catch let .unsupported(message) {
                throw .unsupported("\(message) (\(gpu.name) runs \(runs(gpu)))")
            }
            return
        }
        let cards = gpus.map { "\($0.name) runs \(runs($0))" }.joined(separator: "; ")
        let asked = precisions.map(\.rawValue)
        let named = asked.count == 1 ? asked[0] : asked.dropLast().joined(separator: ", ") + " or " + asked.last!
        throw .unsupported(
            "none of the cards asked for runs --precision \(named): \(cards); ask for a precision one of them runs")
    }

    /// Throws when `gpu` cannot run `precision`, naming what the precision needs.
    static func checkSupport(_ precision: Precision, on gpu: GPU) throws(CoreError) {
        guard !gpu.supports(precision) else { return }
        let need: String
        let instead: String
        switch precision {
        case .tf32:
            need = "TF32 tensor cores (NVIDIA Ampere or later)"
            instead = "fp32"
        case .bf16, .bf16Amp:
            need = "bfloat16 support (NVIDIA Ampere or later, AMD CDNA2 or later)"
            instead = precision == .bf16 ? "fp16" : "fp16-amp"
        case .fp8:
            need = "FP8 tensor cores (NVIDIA Ada, Hopper or Blackwell)"
            instead = gpu.supportsBF16 ? "bf16-amp" : "fp16-amp"
        case .fp32, .fp16, .fp16Amp:
            need = "support the card lacks"
            instead = "fp32"
        }
        throw .unsupported(
            "precision \(precision.rawValue) needs a card with \(need); \(gpu.name) (\(gpu.architecture)) has none: use --precision \(instead)")
    }
}
