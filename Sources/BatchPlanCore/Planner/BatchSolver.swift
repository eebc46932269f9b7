/// Finds the largest micro-batch that fits a card: closed form over the affine phases, then a check with the full
/// phase model, then the options' rounding and target batch.
struct BatchSolver {
    /// The card's memory, bytes.
    let memory: Int
    let options: SolverOptions

    /// No plan goes above this micro-batch (16.7 million samples), whatever the model says.
    static let batchLimit = 1 << 24

    /// Solves `phases` (its configuration's batch and accumulation are replaced).
    func solve(_ phases: PhaseModel, model: ModelAccounting, gpu: GPU, withAssumptions: Bool = true) -> BatchSolution {
        let headroom = options.headroom.bytes(ofCard: memory)
        var micro = largestFitting(phases, headroom: headroom)
        var accumulation = 1
        var solved = phases
        if let target = options.targetBatch {
            let perGPU = (target + phases.configuration.gpus - 1) / phases.configuration.gpus
            if micro >= perGPU, qualifies(perGPU) {
                micro = perGPU
            } else {
                // Accumulating keeps gradients resident during forward: solve again with that configuration.
                var configuration = phases.configuration
                configuration.gradAccumSteps = 2
                solved = phases.with(configuration: configuration, gpu: gpu)
                let largest = min(largestFitting(solved, headroom: headroom), perGPU)
                if let divisor = rounded(largest, dividing: perGPU) {
                    micro = divisor
                } else {
                    micro = rounded(largest)
                }
                accumulation = micro > 0 ? (perGPU + micro - 1) / micro : 1
                if accumulation == 1 { solved = phases }
            }
        } else {
            micro = rounded(micro)
        }
        let gpus = solved.configuration.gpus
        var estimate = solved.estimate(
            batch: max(micro, 1), model: model, gpu: gpu, gradAccumSteps: accumulation, withAssumptions: withAssumptions)
        if withAssumptions {
            estimate.assumptions.append(
                "headroom \(options.headroom) of \(gpu.name) (\(ByteSize.format(headroom)))"
                    + (estimate.uncertaintyBytes > 0
                        ? " + \(ByteSize.format(estimate.uncertaintyBytes)) for the calibration's uncertainty (one-sided 90%)"
                        : ""))
        }
        if let target = options.targetBatch, micro > 0 {
            estimate.assumptions.append(
                "target batch \(target): micro-batch \(micro) × \(accumulation) accumulation steps × "
                    + "\(gpus) GPUs = \(micro * accumulation * gpus) samples per step")
        }
        return BatchSolution(
            maxBatchSize: micro, gradAccumSteps: accumulation, estimate: estimate,
            headroomBytes: headroom + estimate.uncertaintyBytes, nothingFits: nil)
    }

    /// The largest batch (before rounding) whose device-used prediction plus headroom fits; 0 when none does.
    func largestFitting(_ phases: PhaseModel, headroom: Int) -> Int {
        let upper = min(options.maxBatch ?? Self.batchLimit, Self.batchLimit)
        let guess = closedForm(phases, headroom: headroom, upper: upper)
        return search(upper: upper, guess: guess) { phases.fits(batch: $0, memory: memory, headroom: headroom) }
    }

    /// Closed form: each phase is `constant + perSample·b`; invert the counters (reserve ratio, context,
    /// uncertainty, headroom) to an allocation budget and take the tightest phase.
    func closedForm(_ phases: PhaseModel, headroom: Int, upper: Int) -> Int {
        let deviceBudget = Double(memory - headroom) / phases.uncertaintyFactor
        let allocatedBudget = (deviceBudget - Double(phases.contextBytes)) / (1 + phases.reserveRatio)
        var best = Double(upper)
        for phase in [-1, phases.profile.backward.count] + phases.backwardScan {
            let line = phases.line(phase)
            let room = allocatedBudget - line.constant
            if room < 0 { return 0 }
            if line.perSample > 0 { best = min(best, room / line.perSample) }
        }
        return max(0, min(upper, Int(best.rounded(.down))))
    }

    /// The largest `b` in 0...upper with `fits(b)`, starting from a guess: gallops from the guess, then bisects.
    /// `fits` is treated as monotone; the result always fits and `result + 1` does not (or is above `upper`).
    func search(upper: Int, guess: Int, fits: (Int) -> Bool) -> Int {
        var low = 0  // fits (by convention at 0)
        var high = upper + 1  // does not fit (by convention above the limit)
        let start = min(max(guess, 1), upper)
        guard upper >= 1 else { return 0 }
        if fits(start) {
            low = start
            var step = 1
            while low + step < high {
                if fits(low + step) {
                    low += step
                    step *= 2
                } else {
                    high = low + step
                    break
                }
            }
        } else {
            high = start
            var step = 1
            while high - step > low {
                if fits(high - step) {
                    low = high - step
                    break
                }
                high -= step
                step *= 2
            }
        }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if fits(middle) { low = middle } else { high = middle }
        }
        return low
    }

    /// Rounds a batch down to the options' multiple and power of two (0 when nothing at or below it qualifies).
    func rounded(_ batch: Int) -> Int {
        guard batch >= 1 else { return 0 }
        guard options.powerOfTwo else { return batch / options.multipleOf * options.multipleOf }
        var candidate = previousPowerOfTwo(batch)
        while candidate >= 1, candidate % options.multipleOf != 0 { candidate /= 2 }
        return max(candidate, 0)
    }

    /// The largest batch ≤ `limit` that divides `total` and meets the rounding options, if any.
    func rounded(_ limit: Int, dividing total: Int) -> Int? {
        guard limit >= 1 else { return nil }
        var candidate = min(limit, total)
        while candidate >= 1 {
            if total % candidate == 0, qualifies(candidate) { return candidate }
            candidate -= 1
        }
        return nil
    }

    private func qualifies(_ batch: Int) -> Bool {
        batch >= 1 && batch % options.multipleOf == 0 && (!options.powerOfTwo || batch & (batch - 1) == 0)
    }

    private func previousPowerOfTwo(_ value: Int) -> Int {
        value < 1 ? 0 : 1 << (Int.bitWidth - 1 - value.leadingZeroBitCount)
    }
}
