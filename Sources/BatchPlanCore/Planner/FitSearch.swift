/// Enumerates every allowed precision × optimizer × checkpointing × mode for each card × model, solves each, and
/// ranks them.
///
/// Cost: the per-layer string work (`ModelProfile.LayerTraits`) is done once per model; the model profile once per
/// model × checkpointing × mode (not per card, precision or optimizer); the backward envelope, one pass over the
/// profile's entries, once per precision (shared by the optimizers); each candidate is then a closed-form solve
/// over a handful of phase lines plus a few checks. Models (or, for few models on several cards, card × model
/// pairs) are worked on every core (`ParallelMap`), results in the order asked.
/// Measured: see the README's "Speed" (Benchmarks/cli-speed.sh, callgrind).
struct FitSearch {
    let filters: FitFilters
    let options: SolverOptions

    func run(
        models: [ModelAccounting], gpus: [GPU], calibration: (ModelAccounting, GPU) -> CalibrationFactors,
        throughput: (ModelAccounting, GPU) -> ThroughputFactors = { _, _ in .defaults },
        concurrency: Int = ParallelMap.defaultConcurrency
    ) throws(CoreError) -> [FitResult] {
        let base = try filters.base.validated()
        let precisions = filters.precisions ?? Precision.allCases
        let optimizers = filters.optimizers ?? OptimizerKind.allCases
        let checkpointings = filters.checkpointing ?? Checkpointing.allCases
        let modes = filters.modes ?? TrainingMode.allCases
        // The caller's closure need not be thread-safe: resolve every card × model's factors here, serially.
        let factors = models.map { model in gpus.map { calibration(model, $0) } }
        let speeds = models.map { model in gpus.map { throughput(model, $0) } }

        // Profiles and step-time work do not depend on the card, precision or optimizer: build each (checkpointing,
        // mode) once per model from one set of layer traits.
        let prepare = { @Sendable (index: Int) -> Prepared in
            Prepared(model: models[index], base: base, checkpointings: checkpointings, modes: modes, filters: filters)
        }
        let solve = { @Sendable (modelIndex: Int, gpuIndex: Int, prepared: Prepared) -> FitResult in
            fitOne(
                model: models[modelIndex], gpu: gpus[gpuIndex], base: base, precisions: precisions,
                optimizers: optimizers, checkpointings: checkpointings, modes: modes, profiles: prepared.profiles,
                calibration: factors[modelIndex][gpuIndex], works: prepared.works,
                throughput: speeds[modelIndex][gpuIndex], traits: prepared.traits)
        }
        if gpus.count == 1 || models.count >= 2 * concurrency {
            // Each worker prepares a model, solves it on every card and lets its profiles go before the next: over a
            // whole catalog they are tens of MB, and holding them all until the end was a third of the run's page
            // faults. The largest models go first, so that no core is left with one at the end.
            let largestFirst = models.indices.sorted { models[$0].layers.count > models[$1].layers.count }
            return ParallelMap.map(models.count, concurrency: concurrency, order: largestFirst) { modelIndex in
                let prepared = prepare(modelIndex)
                return gpus.indices.map { solve(modelIndex, $0, prepared) }
            }.flatMap { $0 }
        }
        // Few models on several cards: prepare the models, then solve every card × model on every core, in the order
        // asked (model-major).
        let prepared = ParallelMap.map(models.count, concurrency: concurrency, prepare)
        return ParallelMap.map(models.count * gpus.count, concurrency: concurrency) { pair in
            let (modelIndex, gpuIndex) = pair.quotientAndRemainder(dividingBy: gpus.count)
            return solve(modelIndex, gpuIndex, prepared[modelIndex])
        }
    }

    /// One model made ready for solving: a profile and a step work per (checkpointing, mode), from one set of
    /// layer traits.
    struct Prepared: Sendable {
        var profiles: [ProfileKey: Result<ModelProfile, CoreError>] = [:]
        var works: [ProfileKey: StepWork] = [:]
        let traits: ModelProfile.LayerTraits

        init(
            model: ModelAccounting, base: TrainingConfiguration, checkpointings: [Checkpointing], modes: [TrainingMode],
            filters: FitFilters
        ) {
            traits = ModelProfile.LayerTraits(model)
            for checkpointing in checkpointings {
                for mode in modes {
                    let key = ProfileKey(checkpointing: checkpointing, mode: mode)
                    // The step-time work of the (checkpointing, mode), from the same traits.
                    let work = StepWork(
                        model: model, checkpointing: checkpointing, mode: mode, loraRank: base.loraRank,
                        loraTargets: base.loraTargets, traits: traits)
                    works[key] = work
                    // A checkpointing mode that recomputes nothing is not enumerated unless asked for (fitOne): no
                    // profile to build (selective checkpointing of a CNN, block checkpointing without blocks).
                    if filters.checkpointing == nil, checkpointing != .none, !work.recomputes { continue }
                    let traits = traits
                    profiles[key] = Result { () throws(CoreError) in
                        try ModelProfile(
                            model: model, checkpointing: checkpointing, mode: mode, loraRank: base.loraRank,
                            loraTargets: base.loraTargets, loraDropout: base.loraDropout > 0, traits: traits)
                    }
                }
            }
        }
    }

    struct ProfileKey: Hashable {
        var checkpointing: Checkpointing
        var mode: TrainingMode
    }

    /// What `TrainingStack.resolve` varies with inside one fit (the base fixes the rest).
    struct StackKey: Hashable {
        var precision: Precision
        var mode: TrainingMode
        var optimizer: OptimizerKind
    }


    private func fitOne(
        model: ModelAccounting, gpu: GPU, base: TrainingConfiguration, precisions: [Precision],
        optimizers: [OptimizerKind], checkpointings: [Checkpointing], modes: [TrainingMode],
        profiles: [ProfileKey: Result<ModelProfile, CoreError>], calibration: CalibrationFactors,
        works: [ProfileKey: StepWork], throughput: ThroughputFactors, traits: ModelProfile.LayerTraits
    ) -> FitResult {
        let policy = PrecisionPolicy(gpu: gpu, requested: filters.precisions)
        var missingRates: [String] = []
        let solver = BatchSolver(memory: gpu.memoryBytes, options: options)
        let headroom = options.headroom.bytes(ofCard: gpu.memoryBytes)
        var skipped: [String] = []
        var candidates: [Scored] = []
        var stacks: [StackKey: TrainingStack] = [:]
        for precision in precisions {
            guard gpu.supports(precision) else {
                if filters.precisions != nil {
                    do throws(CoreError) { try Planner.checkSupport(precision, on: gpu) } catch { skipped.append("\(error)") }
                }
                continue
            }
            let rates = DeviceRates.of(gpu, precision: precision)
            for mode in modes {
                guard let standing = policy.standing(precision, mode: mode) else { continue }
                if precision == .fp8, mode == .lora || mode == .qlora { continue }
                // QLoRA dequantizes its NF4 base to a 16-bit compute dtype (bf16, or fp16 where bf16 is missing):
                // fp32/tf32 compute is not the regime (Dettmers et al. 2023, bitsandbytes `bnb_4bit_compute_dtype`).
                if mode == .qlora, precision.activationBytes != 2 { continue }
                for checkpointing in checkpointings {
                    // A checkpointing mode that recomputes nothing on this model is the same plan as none: not
                    // enumerated unless asked for.
                    if filters.checkpointing == nil, checkpointing != .none,
                        works[ProfileKey(checkpointing: checkpointing, mode: mode)]?.recomputes == false
                    {
                        continue
                    }
                    let profile: ModelProfile
                    switch profiles[ProfileKey(checkpointing: checkpointing, mode: mode)] {
                    case let .success(value)?: profile = value
                    case let .failure(error)?:
                        let message = "\(mode.rawValue) skipped: \(error)"
                        if !skipped.contains(message) { skipped.append(message) }
                        continue
                    case nil: continue
                    }
                    var scan: [Int]?  // the backward envelope does not depend on the optimizer
                    for optimizer in optimizers {
                        var configuration = base
                        configuration.precision = precision
                        configuration.mode = mode
                        configuration.checkpointing = checkpointing
                        configuration.optimizer = optimizer
                        // The stack reads the precision, mode and optimizer, never the checkpointing.
                        let stackKey = StackKey(precision: precision, mode: mode, optimizer: optimizer)
                        let stack = stacks[stackKey] ?? TrainingStack.resolve(configuration)
                        stacks[stackKey] = stack
                        let phases = PhaseModel(
                            profile: profile, configuration: configuration, gpu: gpu, calibration: calibration,
                            backwardScan: scan, stack: stack)
                        scan = phases.backwardScan
                        let solution = solver.solve(phases, model: model, gpu: gpu, withAssumptions: false)
                        let used = phases.deviceUsed(batch: 1)
                        var stepTime: StepTimeEstimate?
                        if solution.maxBatchSize >= 1, let work = works[ProfileKey(checkpointing: checkpointing, mode: mode)] {
                            switch rates {
                            case let .success(rates):
                                stepTime = StepTimeModel(
                                    work: work, configuration: solution.estimate.configuration, rates: rates,
                                    factors: throughput
                                ).estimate()
                            case let .failure(missing):
                                if !missingRates.contains(missing.description) { missingRates.append(missing.description) }
                            }
                        }
                        candidates.append(
                            Scored(
                                candidate: PlanCandidate(
                                    gpu: gpu.name, model: model.name, configuration: solution.estimate.configuration,
                                    fits: solution.maxBatchSize >= 1, maxBatchSize: solution.maxBatchSize,
                                    gradAccumSteps: solution.gradAccumSteps,
                                    deviceUsedBytes: solution.estimate.deviceUsedBytes,
                                    headroomBytes: solution.headroomBytes, estimate: solution.estimate,
                                    stepTime: stepTime, precisionStanding: standing,
                                    precisionNote: PrecisionPolicy.note(precision, mode: mode)),
                                deviceUsedAtOne: used,
                                shortfall: used + phases.uncertainty(deviceUsed: used) + headroom - gpu.memoryBytes,
                                tier: PrecisionPolicy.tier(standing)))
                    }
                }
            }
        }
        // Sort indices, not the (large) candidates.
        let ranking = PlanRanking(
            preference: options.preference,
            throughputKnown: candidates.allSatisfy { !$0.candidate.fits || $0.candidate.stepTime != nil })
        let keys = candidates.map(ranking.key)
        let order = keys.indices.sorted { PlanRanking.precedes(keys[$0], keys[$1]) }
        let winner = order.first.flatMap { candidates[$0].candidate.fits ? candidates[$0] : nil }
        var best: PlanCandidate?
        var alternatives: [PlanCandidate] = []
        alternatives.reserveCapacity(candidates.count)
        for (position, index) in order.enumerated() {
            var candidate = candidates[index].candidate
            candidate.rank = position + 1
            if winner != nil, position == 0 {
                best = candidate
                continue
            }
            if let winner {
                candidate.whyNot = ranking.whyNot(candidates[index], lostTo: winner)
            } else {
                candidate.whyNot = "does not fit: needs \(ByteSize.format(candidates[index].shortfall)) more at batch 1"
            }
            alternatives.append(candidate)
        }
        var nothingFits: NothingFits?
        if winner == nil, let closest = candidates.min(by: { $0.shortfall < $1.shortfall }),
            let phases = phaseModel(closest.candidate.configuration, model: model, gpu: gpu, profiles: profiles,
                calibration: calibration)
        {
            nothingFits = FitAdvisor(
                model: model, gpu: gpu, calibration: calibration, options: options, profiles: profiles, traits: traits
            ).advise(failing: phases)
        }
        var assumptions = [
            "headroom \(options.headroom) of \(gpu.name) (\(ByteSize.format(headroom)))",
            "framework: \(base.framework)", "attention: \(model.attention.rawValue)",
            "ranking: \(ranking.effective.rawValue)"
                + (ranking.effective != options.preference ? " (speed needs every plan's step time)" : ""),
        ]
        if options.preference == .speed || best?.stepTime != nil {
            assumptions.append(StepTimeNotes.assumption(throughput))
        }
        for mode in modes { if let warning = policy.warning(for: mode), !assumptions.contains(warning) { assumptions.append(warning) } }
        assumptions.append(contentsOf: missingRates)
        if let best, best.configuration.mode != .full, modes.contains(.full),
            let closest = candidates.filter({ $0.candidate.configuration.mode == .full }).min(by: { $0.shortfall < $1.shortfall }),
            !closest.candidate.fits
        {
            assumptions.append(
                "full training does not fit: the closest full plan needs \(ByteSize.format(closest.shortfall)) more at batch 1; "
                    + "planned \(best.configuration.mode.rawValue) instead")
        }
        assumptions.append(contentsOf: RuntimeDefaults.notes(gpu: gpu, framework: base.framework, calibration: calibration))
        assumptions.append(contentsOf: skipped)
        if var plan = best,
            let final = phaseModel(plan.configuration, model: model, gpu: gpu, profiles: profiles, calibration: calibration)
        {
            // Only the winner carries its own assumptions; the shared ones are on the result.
            plan.estimate.assumptions = final.assumptions(model: model, gpu: gpu) + plan.estimate.assumptions
            best = plan
        }
        return FitResult(
            gpu: gpu.name, model: model.name, best: best, alternatives: alternatives,
            nothingFits: nothingFits, assumptions: assumptions, input: model.input, task: model.task,
            ranking: ranking.effective)
    }
}

/// A candidate with the numbers its ranking needs.
struct Scored {
    var candidate: PlanCandidate
    /// Device-used prediction at batch 1, bytes (`--prefer memory`).
    var deviceUsedAtOne: Int
    /// Bytes missing at batch 1 (negative when it fits).
    var shortfall: Int
    /// Precision-policy tier: 0 recommended or requested, 1 trade-off (`--prefer speed`).
    var tier: Int = 0
}

extension FitSearch {
    /// The phase model of a candidate's configuration from the cached profiles.
    func phaseModel(
        _ configuration: TrainingConfiguration, model: ModelAccounting, gpu: GPU,
        profiles: [ProfileKey: Result<ModelProfile, CoreError>], calibration: CalibrationFactors
    ) -> PhaseModel? {
        let key = ProfileKey(checkpointing: configuration.checkpointing, mode: configuration.mode)
        guard case let .success(profile)? = profiles[key] else { return nil }
        return PhaseModel(profile: profile, configuration: configuration, gpu: gpu, calibration: calibration)
    }
}
