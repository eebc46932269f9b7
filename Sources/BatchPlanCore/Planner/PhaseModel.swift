import Foundation

/// The phases of one training step as affine functions of the micro-batch, for one profile, configuration and card.
///
/// Allocated memory at a phase is `constant + perSample × batch`; the peak is the largest phase. Phases: the end of
/// forward (every saved tensor held); backward at each layer of the gradient path (saved tensors of that layer and
/// earlier ones, gradients of that layer and later ones, the transient activation gradients); the optimizer step
/// (activations freed, gradients, state and the step's temporaries). Steady state: the optimizer state exists
/// from the first step on. Calibration scales are already applied to every term.
struct PhaseModel: Sendable {
    let profile: ModelProfile
    let configuration: TrainingConfiguration
    let storage: PrecisionStorage
    let optimizer: OptimizerStateRule
    let runtime: RuntimeDefaults
    /// The trainer's structural choices (optimizer implementation, step in backward, zeroing, buckets, caches).
    let stack: TrainingStack
    let calibration: CalibrationFactors

    // Bytes, analytic. Exact model states (weights, gradients, optimizer slots, masters) are never scaled; the
    // implementation-dependent terms (autocast copies, DDP bucket copies, ZeRO-3 gather buffer, NF4 dequantization
    // buffer, the optimizer step's temporaries) take `stateScale`, activations take `activationScale`, and what the
    // scales add is the estimate's `calibrationAdjustment`, not a change to any component.
    let storedWeights: Double
    let castCopies: Double
    let gradientsFull: Double
    let gradientsPerTrainable: Double
    let gradientTransient: Double
    let bucketCopies: Double
    let optimizerState: Double
    let stepTemporaries: Double
    let masterWeights: Double
    let workspace: Double
    let gatherBuffer: Double
    let dequantBuffer: Double
    /// Calibration's multiplier of the implementation-dependent model-state terms.
    let stateScale: Double
    /// Calibration's multiplier of activations (saved and transient).
    let activationScale: Double
    let activationBytes: Int
    let accumulating: Bool
    // Allocator and context.
    let reserveRatio: Double
    let contextBytes: Int
    let uncertaintyFactor: Double
    /// Backward entries that can be the backward peak at some batch ≥ 0 (the upper envelope of their lines);
    /// the others are never above them, so peak searches skip them.
    private(set) var backwardScan: [Int] = []
    /// Builds the phases; `backwardScan` may be passed from a model with the same profile, precision, sharding,
    /// accumulation and calibration (it does not depend on the optimizer or the card). `stack` is
    /// `TrainingStack.resolve(configuration)`,
    /// passed in when the caller already has it (a fit resolves it once for every checkpointing mode).
    init(
        profile: ModelProfile, configuration: TrainingConfiguration, gpu: GPU?, calibration: CalibrationFactors,
        backwardScan: [Int]? = nil, stack: TrainingStack? = nil
    ) {
        self.profile = profile
        self.configuration = configuration
        self.calibration = calibration
        let storage = PrecisionStorage.of(configuration.precision)
        let optimizer = OptimizerStateRule.of(configuration.optimizer)
        let runtime = RuntimeDefaults.resolve(gpu: gpu, framework: configuration.framework)
        self.storage = storage
        self.optimizer = optimizer
        self.runtime = runtime
        let stack = stack ?? TrainingStack.resolve(configuration)
        self.stack = stack

        stateScale = calibration.modelStateScale
        activationScale = calibration.activationScale(for: configuration.checkpointing.rawValue)
        let n = Double(configuration.gpus)
        let stage = configuration.gpus > 1 ? configuration.zeroStage : 0
        let shardStates = stage >= 1 ? n : 1
        let shardGradients = stage >= 2 ? n : 1
        let shardWeights = stage >= 3 ? n : 1
        let trainable = Double(profile.trainable)

        let weights = trainable * Double(storage.weightBytes)
            + Double(profile.frozenAtWeightDtype) * Double(storage.weightBytes)
            + Double(profile.frozenAtComputeDtype) * Double(storage.frozenBaseBytes)
            + Double(profile.frozenAtFP32) * 4
            + Double(profile.quantized) * NF4.bytesPerParameter
        storedWeights = weights / shardWeights
        // Without the autocast cache each layer's cast is made and freed as it runs: one layer's worth at a time.
        let castable = stack.autocastWeightCache
            ? Double(profile.trainableCastable) : Double(min(profile.trainableCastable, profile.largestTrainableLayer))
        castCopies = castable * Double(storage.castCopyBytes) / shardWeights
        gatherBuffer = stage >= 3 ? Double(profile.largestLayer) * Double(storage.weightBytes) : 0
        dequantBuffer = Double(profile.largestQuantizedLayer) * Double(storage.activationBytes)

        gradientsPerTrainable = Double(storage.gradientBytes) / shardGradients
        gradientsFull = trainable * gradientsPerTrainable
        gradientTransient = stage >= 2 ? Double(profile.largestTrainableLayer * storage.gradientBytes) : 0
        bucketCopies = configuration.gpus > 1 && stage == 0 && !stack.gradientAsBucketView
            ? trainable * Double(storage.gradientBytes) : 0

        let factoredPerParameter = Double(profile.adafactorStatisticElements) / max(trainable, 1)
        let statePerParameter = optimizer.stateBytesPerParameter(
            slotBytes: storage.optimizerSlotBytes, factoredElementsPerParameter: factoredPerParameter)
        optimizerState = trainable * statePerParameter / shardStates
        // foreach: parameter-sized lists over every parameter; for-loop: one parameter's worth (the largest);
        // fused: none. Per-parameter optimizers (Adafactor, Lion) keep their largest-layer temporaries regardless.
        let slotTemporaries: Double
        switch stack.optimizerImplementation {
        case .foreach: slotTemporaries = trainable / shardStates
        case .forLoop: slotTemporaries = Double(profile.largestTrainableLayer)
        case .fused: slotTemporaries = 0
        }
        stepTemporaries =
            slotTemporaries * Double(optimizer.stepTemporarySlots * storage.optimizerSlotBytes)
            + Double(profile.largestTrainableLayer * optimizer.stepTemporaryLargestLayerSlots * 4)
        masterWeights = trainable * Double(storage.masterBytes) / shardStates

        workspace = Double(runtime.blasWorkspaceBytes + (profile.hasConvolution ? runtime.convolutionWorkspaceBytes : 0))
        activationBytes = storage.activationBytes
        accumulating = configuration.gradAccumSteps > 1
        reserveRatio = calibration.allocatorReserveRatio ?? runtime.allocatorReserveRatio
        contextBytes = calibration.runtimeContextBytes ?? runtime.runtimeContextBytes
        uncertaintyFactor = Self.uncertaintyFactor(logSpread: calibration.logSpread)
        self.backwardScan = backwardScan ?? upperEnvelope()
    }

    /// The one-sided ~90% factor (z = 1.2816) for a calibration's log spread, at most `maximumUncertaintyFactor`.
    ///
    /// Real scopes spread by 0.02 to 0.3 in log units (a factor of 1.03 to 1.5). A spread far beyond that comes from
    /// readings that cannot be right (a unit left off), and unbounded it made every size overflow; bounded, such a
    /// scope still keeps plans far from the card's limit.
    static func uncertaintyFactor(logSpread: Double) -> Double {
        guard logSpread.isFinite else { return logSpread.isNaN ? 1 : maximumUncertaintyFactor }
        return min(exp(1.2816 * max(0, logSpread)), maximumUncertaintyFactor)
    }

    /// The most the uncertainty may multiply a prediction by (an extra 300%).
    static let maximumUncertaintyFactor = 4.0

    /// The same model with another configuration, reusing the backward envelope when it cannot have changed.
    func with(configuration other: TrainingConfiguration, gpu: GPU?) -> PhaseModel {
        let same = other.precision == configuration.precision && other.gpus == configuration.gpus
            && other.zeroStage == configuration.zeroStage && (other.gradAccumSteps > 1) == accumulating
            && other.mode == configuration.mode && other.checkpointing == configuration.checkpointing
            && TrainingStack.resolve(other) == stack
        return PhaseModel(
            profile: profile, configuration: other, gpu: gpu, calibration: calibration,
            backwardScan: same ? backwardScan : nil)
    }

    /// Indices of the backward lines on the upper envelope over batch ≥ 0 (convex hull trick), in index order.
    ///
    /// Constants never increase along the gradient path (the gradients held are those of the layers from here on,
    /// every other term is the same for all entries), so a line whose slope is not above the steepest earlier line
    /// lies under that line at every batch ≥ 0 and can be passed over; the lines left have rising slopes in index
    /// order, which is the order the hull is built in. One pass, no sort: sorting every candidate's lines was a
    /// sixth of a whole-catalog `fit`. An entry identical to the steepest earlier one takes its place, so among
    /// identical lines the last is kept, as a stable sort by (slope, constant) followed by the hull kept it.
    private func upperEnvelope() -> [Int] {
        let count = profile.backward.count
        guard count > 2 else { return Array(0..<count) }
        let lines = BackwardLines(self)
        // The hull's lines: their entries, constants and slopes.
        var hull: [Int] = [], constants: [Double] = [], slopes: [Double] = []
        var steepest = -Double.infinity
        var constantOfSteepest = -Double.infinity
        for (index, point) in profile.backward.enumerated() {
            let (constant, slope) = lines.line(point)
            guard slope > steepest || (slope == steepest && constant >= constantOfSteepest) else { continue }
            (steepest, constantOfSteepest) = (slope, constant)
            if let top = slopes.last, top == slope {
                hull.removeLast()
                constants.removeLast()
                slopes.removeLast()
            }
            while hull.count >= 2 {
                let a = hull.count - 2
                let b = hull.count - 1
                // b is never strictly above both a and the new line: drop it.
                let left = (constants[a] - constant) * (slopes[b] - slopes[a])
                let right = (constants[a] - constants[b]) * (slope - slopes[a])
                if left < right {
                    hull.removeLast()
                    constants.removeLast()
                    slopes.removeLast()
                } else {
                    break
                }
            }
            hull.append(index)
            constants.append(constant)
            slopes.append(slope)
        }
        // Lines that lead only at negative batch sizes.
        var start = 0
        while hull.count - start >= 2, constants[start + 1] >= constants[start] { start += 1 }
        return Array(hull[start...])
    }

    // MARK: Phase lines

    /// Every backward entry's `line(_:)`, in one pass (`BackwardLines`).
    func backwardLines() -> (constants: [Double], slopes: [Double]) {
        let lines = BackwardLines(self)
        var constants: [Double] = []
        var slopes: [Double] = []
        constants.reserveCapacity(profile.backward.count)
        slopes.reserveCapacity(profile.backward.count)
        for point in profile.backward {
            let line = lines.line(point)
            constants.append(line.constant)
            slopes.append(line.perSample)
        }
        return (constants, slopes)
    }

    /// The backward entries' `line(_:)` with what is common to every entry worked out once: the same arithmetic, in
    /// the same order (the envelope reads every line of every candidate; through `line(_:)` that was a seventh of a
    /// whole-catalog `fit`).
    struct BackwardLines {
        let inputs: Double
        let width: Int
        let inBackward: Bool
        let resident: Double
        let allGradients: Bool
        let gradientsFull: Double
        let gradientsPerTrainable: Double
        let gradientTransient: Double
        let scaledTemporaries: Double
        let workspace: Double
        let activationScale: Double

        init(_ phases: PhaseModel) {
            inputs = Double(phases.profile.inputBytesPerSample)
            width = phases.activationBytes
            inBackward = phases.stack.optimizerInBackward
            // `parts(_:)` of a backward entry: exact states (the gradients part varies by entry unless every gradient
            // is held), the scaled temporaries and the workspace.
            resident = inBackward
                ? phases.storedWeights + phases.optimizerState + phases.masterWeights + phases.inBackwardStep
                : phases.exactResidentStates
            allGradients = inBackward || phases.accumulating || !phases.stack.gradientsSetToNone
            gradientsFull = phases.gradientsFull
            gradientsPerTrainable = phases.gradientsPerTrainable
            gradientTransient = phases.gradientTransient
            let temporaries = inBackward
                ? phases.residentTemporaries + phases.stepTemporariesOfOneLayer : phases.residentTemporaries
            scaledTemporaries = phases.stateScale * temporaries
            workspace = phases.workspace
            activationScale = phases.activationScale
        }

        @inline(__always)
        func line(_ point: ModelProfile.BackwardPoint) -> (constant: Double, perSample: Double) {
            let exact = inBackward
                ? resident + gradientTransient
                : resident + (allGradients ? gradientsFull : Double(point.trainableFromHere) * gradientsPerTrainable)
                    + gradientTransient
            let activations = Double(point.savedSoFar.bytes(activationBytes: width))
                + Double(point.transient.bytes(activationBytes: width))
            return (exact + scaledTemporaries + workspace, activationScale * activations + inputs)
        }
    }

    /// Exact model states held while forward and backward run (gradients excluded), bytes; paged state that the
    /// stack lets the host take while activations need the room is left out.
    private var exactResidentStates: Double {
        storedWeights + (optimizer.paged && stack.pagedStateEvictable ? 0 : optimizerState) + masterWeights
    }

    /// Gradients held at the end of forward: all of them when accumulating or when zero_grad keeps them.
    private var forwardGradients: Double { accumulating || !stack.gradientsSetToNone ? gradientsFull : 0 }

    /// The step temporaries of the largest parameter alone (a per-parameter step), bytes.
    private var stepTemporariesOfOneLayer: Double {
        let trainable = Double(profile.trainable)
        guard trainable > 0, stack.optimizerImplementation == .foreach else { return stepTemporaries }
        return stepTemporaries * min(1, Double(profile.largestTrainableLayer) / trainable)
    }

    /// One parameter's gradient, what stepping inside backward keeps at a time.
    private var inBackwardStep: Double {
        Double(profile.largestTrainableLayer) * gradientsPerTrainable
    }

    /// Implementation-dependent model states held while forward and backward run, analytic bytes.
    private var residentTemporaries: Double { castCopies + gatherBuffer + dequantBuffer + bucketCopies }

    /// Saved and transient activation bytes per sample at each phase, analytic (−1 forward, backward entries, step).
    func activationsPerSample(_ phase: Int) -> (saved: Double, transient: Double) {
        if phase < 0 { return (Double(profile.forwardSaved.bytes(activationBytes: activationBytes)), 0) }
        if phase >= profile.backward.count { return (0, 0) }
        let point = profile.backward[phase]
        return (Double(point.savedSoFar.bytes(activationBytes: activationBytes)),
                Double(point.transient.bytes(activationBytes: activationBytes)))
    }

    /// Analytic bytes at a phase split the way calibration sees them: exact states (never scaled), the
    /// implementation-dependent temporaries (× `stateScale`), activations per sample (× `activationScale`), and the
    /// rest (inputs per sample, workspace; not scaled).
    func parts(_ phase: Int) -> (exact: Double, temporaries: Double, activationsPerSample: Double, other: Double, inputsPerSample: Double) {
        let inputs = Double(profile.inputBytesPerSample)
        let activations = activationsPerSample(phase)
        if phase < 0 {
            return (exactResidentStates + forwardGradients, residentTemporaries, activations.saved, workspace, inputs)
        }
        if phase >= profile.backward.count {
            // Stepping in backward leaves no step phase: the states and weights alone.
            if stack.optimizerInBackward {
                return (storedWeights + optimizerState + masterWeights, 0, 0, workspace, inputs)
            }
            return (storedWeights + optimizerState + masterWeights + gradientsFull, stepTemporaries + bucketCopies, 0,
                    workspace, inputs)
        }
        let point = profile.backward[phase]
        if stack.optimizerInBackward {
            // Each gradient is stepped and freed as soon as it is ready: one parameter's gradient and step
            // temporaries at a time, and the full optimizer state on the device.
            return (storedWeights + optimizerState + masterWeights + inBackwardStep + gradientTransient,
                    residentTemporaries + stepTemporariesOfOneLayer, activations.saved + activations.transient,
                    workspace, inputs)
        }
        let gradients = accumulating || !stack.gradientsSetToNone
            ? gradientsFull : Double(point.trainableFromHere) * gradientsPerTrainable
        return (exactResidentStates + gradients + gradientTransient, residentTemporaries,
                activations.saved + activations.transient, workspace, inputs)
    }

    /// Calibrated allocated bytes at `phase`: constant and per-sample parts.
    func line(_ phase: Int) -> (constant: Double, perSample: Double) {
        let p = parts(phase)
        return (p.exact + stateScale * p.temporaries + p.other, activationScale * p.activationsPerSample + p.inputsPerSample)
    }

    /// Allocated bytes at the end of forward: constant and per-sample parts.
    var forwardLine: (constant: Double, perSample: Double) { line(-1) }

    /// Allocated bytes during backward at gradient-path entry `index`.
    func backwardLine(_ index: Int) -> (constant: Double, perSample: Double) { line(index) }

    /// Allocated bytes during the optimizer step.
    var stepLine: (constant: Double, perSample: Double) { line(profile.backward.count) }

    /// Phase lines: -1 is forward, 0..<backward.count the backward entries, backward.count the step.
    var phaseCount: Int { profile.backward.count + 2 }

    /// The phase with the largest allocation at `batch`, and that allocation (unrounded).
    func peak(batch: Int) -> (phase: Int, bytes: Double) {
        let b = Double(batch)
        var best = (phase: -1, bytes: forwardLine.constant + forwardLine.perSample * b)
        for phase in backwardScan {
            let l = backwardLine(phase)
            let value = l.constant + l.perSample * b
            if value > best.bytes { best = (phase, value) }
        }
        let step = stepLine
        let value = step.constant + step.perSample * b
        if value > best.bytes { best = (profile.backward.count, value) }
        return best
    }

    // MARK: Counters

    /// Reserved bytes for an allocation: (1 + reserve ratio), rounded up to the allocator's segments.
    func reserved(allocated: Int) -> Int {
        let raw = Int((Double(allocated) * (1 + reserveRatio)).rounded(.up))
        let segment = runtime.segmentBytes
        return (raw + segment - 1) / segment * segment
    }

    /// The calibration's extra headroom for a device-used prediction (one-sided ~90% interval).
    func uncertainty(deviceUsed: Int) -> Int {
        Int((Double(deviceUsed) * (uncertaintyFactor - 1)).rounded(.up))
    }

    /// Whether `batch` fits `memory` with `headroom` bytes kept free.
    func fits(batch: Int, memory: Int, headroom: Int) -> Bool {
        let used = deviceUsed(batch: batch)
        return used + uncertainty(deviceUsed: used) + headroom <= memory
    }

    /// Predicted device-used bytes at `batch` (same arithmetic as the estimate's components).
    func deviceUsed(batch: Int) -> Int {
        let allocated = components(batch: batch, phase: peak(batch: batch).phase).allocated
        return reserved(allocated: allocated) + contextBytes
    }

    /// Components at `phase` for `batch`, each rounded up to whole bytes; context and reserve filled in.
    ///
    /// Every component is the analytic model's; what calibration's scales add (or take away) at this phase is
    /// `calibrationAdjustment`, so that the exact ones (weights, gradients, optimizer state, master weights) read
    /// exactly what the parameter counts and precisions give.
    func components(batch: Int, phase: Int) -> MemoryComponents {
        let b = Double(batch)
        func whole(_ value: Double) -> Int { Int(value.rounded(.up)) }
        var c = MemoryComponents()
        let activations = activationsPerSample(phase)
        let residentState = optimizer.paged && stack.pagedStateEvictable ? 0 : optimizerState
        if phase < 0 {
            c.weights = whole(storedWeights + castCopies + gatherBuffer + dequantBuffer)
            c.gradients = whole(forwardGradients + bucketCopies)
            c.optimizerState = whole(residentState)
            c.activations = whole(activations.saved * b)
        } else if phase < profile.backward.count {
            let point = profile.backward[phase]
            c.weights = whole(storedWeights + castCopies + gatherBuffer + dequantBuffer)
            if stack.optimizerInBackward {
                c.gradients = whole(inBackwardStep + gradientTransient + bucketCopies)
                c.optimizerState = whole(optimizerState + stepTemporariesOfOneLayer)
            } else {
                let gradients = accumulating || !stack.gradientsSetToNone
                    ? gradientsFull : Double(point.trainableFromHere) * gradientsPerTrainable
                c.gradients = whole(gradients + gradientTransient + bucketCopies)
                c.optimizerState = whole(residentState)
            }
            c.activations = whole(activations.saved * b)
            c.activationGradients = whole(activations.transient * b)
        } else if stack.optimizerInBackward {
            c.weights = whole(storedWeights)
            c.optimizerState = whole(optimizerState)
        } else {
            c.weights = whole(storedWeights)
            c.gradients = whole(gradientsFull + bucketCopies)
            c.optimizerState = whole(optimizerState + stepTemporaries)
        }
        c.masterWeights = whole(masterWeights)
        c.inputs = whole(Double(profile.inputBytesPerSample) * b)
        c.workspace = whole(workspace)
        let p = parts(phase)
        let adjustment = (stateScale - 1) * p.temporaries + (activationScale - 1) * p.activationsPerSample * b
        c.calibrationAdjustment = Int(adjustment.rounded())
        let reservedBytes = reserved(allocated: c.allocated)
        c.allocatorReserve = reservedBytes - c.allocated
        c.runtimeContext = contextBytes
        return c
    }

    /// The name of a phase as reports show it.
    func phaseName(_ phase: Int) -> String {
        if phase < 0 { return "forward" }
        if phase >= profile.backward.count { return "optimizer-step" }
        return "backward (\(profile.layerNames[profile.backward[phase].layer]))"
    }
}
