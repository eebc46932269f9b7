/// Enumerates every allowed precision × optimizer × checkpointing × mode for each card × model, solves each, and
/// ranks them.
///
/// Cost: the model profile is built once per model × checkpointing × mode (not per card, precision or optimizer);
/// each candidate is then a closed-form solve over its phases plus a few checks.
struct FitSearch {
    let filters: FitFilters
    let options: SolverOptions

    func run(models: [ModelAccounting], gpus: [GPU], calibration: (ModelAccounting, GPU) -> CalibrationFactors)
        throws(CoreError) -> [FitResult]
    {
        let base = try filters.base.validated()
        let precisions = filters.precisions ?? Precision.allCases
        let optimizers = filters.optimizers ?? OptimizerKind.allCases
        let checkpointings = filters.checkpointing ?? Checkpointing.allCases
        let modes = filters.modes ?? TrainingMode.allCases
        var results: [FitResult] = []
        results.reserveCapacity(models.count * gpus.count)

        for model in models {
            // Profiles do not depend on the card: build each (checkpointing, mode) once per model.
            var profiles: [ProfileKey: Result<ModelProfile, CoreError>] = [:]
            for checkpointing in checkpointings {
                for mode in modes {
                    profiles[ProfileKey(checkpointing: checkpointing, mode: mode)] = Result { () throws(CoreError) in
                        try ModelProfile(
                            model: model, checkpointing: checkpointing, mode: mode, loraRank: base.loraRank,
                            loraTargets: base.loraTargets)
                    }
                }
            }
            for gpu in gpus {
                results.append(
                    fitOne(
                        model: model, gpu: gpu, base: base, precisions: precisions, optimizers: optimizers,
                        checkpointings: checkpointings, modes: modes, profiles: profiles,
                        calibration: calibration(model, gpu)))
            }
        }
        return results
    }

    struct ProfileKey: Hashable {
        var checkpointing: Checkpointing
        var mode: TrainingMode
    }

    private func fitOne(
        model: ModelAccounting, gpu: GPU, base: TrainingConfiguration, precisions: [Precision],
        optimizers: [OptimizerKind], checkpointings: [Checkpointing], modes: [TrainingMode],
        profiles: [ProfileKey: Result<ModelProfile, CoreError>], calibration: CalibrationFactors
    ) -> FitResult {
        let solver = BatchSolver(memory: gpu.memoryBytes, options: options)
        let headroom = options.headroom.bytes(ofCard: gpu.memoryBytes)
        var skipped: [String] = []
        var candidates: [Scored] = []
        for precision in precisions {
            guard gpu.supports(precision) else {
                if filters.precisions != nil {
                    do throws(CoreError) { try Planner.checkSupport(precision, on: gpu) } catch { skipped.append("\(error)") }
                }
                continue
            }
            for mode in modes {
                if precision == .fp8, mode == .lora || mode == .qlora { continue }
                for checkpointing in checkpointings {
                    let profile: ModelProfile
                    switch profiles[ProfileKey(checkpointing: checkpointing, mode: mode)] {
                    case let .success(value)?: profile = value
                    case let .failure(error)?:
                        let message = "\(mode.rawValue) skipped: \(error)"
                        if !skipped.contains(message) { skipped.append(message) }
                        continue
                    case nil: continue
                    }
                    for optimizer in optimizers {
                        var configuration = base
                        configuration.precision = precision
                        configuration.mode = mode
                        configuration.checkpointing = checkpointing
                        configuration.optimizer = optimizer
                        let phases = PhaseModel(
                            profile: profile, configuration: configuration, gpu: gpu, calibration: calibration)
                        guard let solution = try? solver.solve(phases, model: model, gpu: gpu) else { continue }
                        let fits = solution.maxBatchSize >= 1
                        let used = phases.deviceUsed(batch: 1)
                        candidates.append(
                            Scored(
                                candidate: PlanCandidate(
                                    gpu: gpu.name, model: model.name, configuration: solution.estimate.configuration,
                                    fits: fits, maxBatchSize: solution.maxBatchSize,
                                    gradAccumSteps: solution.gradAccumSteps,
                                    deviceUsedBytes: solution.estimate.deviceUsedBytes,
                                    headroomBytes: solution.headroomBytes, estimate: solution.estimate),
                                deviceUsedAtOne: used,
                                shortfall: used + phases.uncertainty(deviceUsed: used) + headroom - gpu.memoryBytes,
                                phases: phases))
                    }
                }
            }
        }
        let ranking = PlanRanking(preference: options.preference)
        candidates.sort { ranking.precedes($0, $1) }
        var ranked: [PlanCandidate] = []
        ranked.reserveCapacity(candidates.count)
        let winner = candidates.first.flatMap { $0.candidate.fits ? $0 : nil }
        for (index, scored) in candidates.enumerated() {
            var candidate = scored.candidate
            candidate.rank = index + 1
            if let winner, index > 0 {
                candidate.whyNot = ranking.whyNot(scored, lostTo: winner)
            } else if !candidate.fits {
                candidate.whyNot = "does not fit: needs \(ByteSize.format(scored.shortfall)) more at batch 1"
            }
            ranked.append(candidate)
        }
        var nothingFits: NothingFits?
        if winner == nil, let closest = candidates.min(by: { $0.shortfall < $1.shortfall }) {
            nothingFits = FitAdvisor(model: model, gpu: gpu, calibration: calibration, options: options)
                .advise(failing: closest.phases)
        }
        var assumptions = [
            "headroom \(options.headroom) of \(gpu.name) (\(ByteSize.format(headroom)))",
            "framework: \(base.framework)", "attention: \(model.attention.rawValue)",
            "ranking: \(options.preference.rawValue)",
        ]
        assumptions.append(contentsOf: RuntimeDefaults.resolve(gpu: gpu, framework: base.framework).notes)
        assumptions.append(contentsOf: skipped)
        let best = winner == nil ? nil : ranked.first
        return FitResult(
            gpu: gpu.name, model: model.name, best: best, alternatives: Array(ranked.dropFirst(best == nil ? 0 : 1)),
            nothingFits: nothingFits, assumptions: assumptions)
    }
}

/// A candidate with the numbers its ranking needs.
struct Scored {
    var candidate: PlanCandidate
    /// Device-used prediction at batch 1, bytes (`--prefer memory`).
    var deviceUsedAtOne: Int
    /// Bytes missing at batch 1 (negative when it fits).
    var shortfall: Int
    var phases: PhaseModel
}
