import Foundation

/// One observation flattened for the solver: plain numbers, no strings.
struct SolverRow {
    enum Kind { case measured, ran, outOfMemory }

    var modelStates: Double
    var activations: Double
    var other: Double
    var defaultReserve: Double
    var defaultContext: Double
    /// 0 allocated, 1 reserved, 2 deviceUsed (outcomes are deviceUsed).
    var level: Int
    var kind: Kind
    /// log of the measured bytes, or of the capacity for an outcome.
    var logTarget: Double

    init(_ observation: CalibrationObservation) {
        let d = observation.decomposition
        modelStates = d.modelStates
        activations = d.activations
        other = d.other
        defaultReserve = d.defaultReserveRatio
        defaultContext = d.defaultContextBytes
        switch observation.evidence {
        case .measured(let counter, let bytes):
            kind = .measured
            level = counter == .allocated ? 0 : counter == .reserved ? 1 : 2
            logTarget = log(max(bytes, 1))
        case .outcome(let ran, let capacity):
            kind = ran ? .ran : .outOfMemory
            level = 2
            logTarget = log(max(capacity, 1))
        }
    }

    /// The log residual log(target) − log(predicted) at `point`, zero when an outcome constraint is met, and the
    /// gradient of log(predicted) with respect to the parameters (zero where a bound holds a parameter), also where
    /// the constraint is met (the prior's information needs it as if the constraint were active). A measurement's
    /// residual at this point already computed can be passed as `known`, which saves the logarithm.
    @inline(__always)
    func evaluate(_ point: SolverPoint, known: Double? = nil) -> (residual: Double, jacobian: SIMD4<Double>) {
        let sa = point.activationScale * activations
        let sm = point.modelStateScale * modelStates
        let allocated = max(sa + sm + other, 1)
        var total = allocated
        var growth = 1.0
        var dReserve = 0.0
        var dContext = 0.0
        if level >= 1 {
            let raw = defaultReserve + point.reserveRatioDelta
            let ratio = min(max(raw, 0), 1)
            growth = 1 + ratio
            total = allocated * growth
            if raw > 0 && raw < 1 { dReserve = allocated }
        }
        if level == 2 {
            let raw = defaultContext + point.contextDeltaBytes
            let context = min(max(raw, 0), 8 * CalibrationParameters.gib)
            total += context
            if raw > 0 && raw < 8 * CalibrationParameters.gib { dContext = CalibrationParameters.gib }
        }
        var r = known ?? logTarget - log(total)
        switch kind {
        case .measured: break
        case .ran where r >= 0: r = 0
        case .outOfMemory where r < 0: r = 0
        default: break
        }
        // Lane by lane the same quotients as four scalar divisions, in two instructions.
        return (r, SIMD4(sa * growth, sm * growth, dReserve, dContext) / SIMD4(repeating: total))
    }
}

/// What every row's residual needs from the parameters, computed once per point rather than once per row: the two
/// exponentials were a fifth of a fit's time. The values are those the per-row expressions gave, bit for bit.
struct SolverPoint {
    var activationScale: Double
    var modelStateScale: Double
    var reserveRatioDelta: Double
    var contextDeltaBytes: Double

    init(_ p: CalibrationParameters) {
        activationScale = exp(p.logActivationScale)
        modelStateScale = exp(p.logModelStateScale)
        reserveRatioDelta = p.reserveRatioDelta
        contextDeltaBytes = p.contextDeltaGiB * CalibrationParameters.gib
    }
}

/// Fits one scope's parameters: robust (Huber) Gauss–Newton on log residuals, one-sided for outcome constraints,
/// penalized toward the parent's parameters.
struct ScopeSolver {
    var options: CalibrationFitter.Options

    struct Result {
        var parameters: CalibrationParameters
        var logSpread: Double?
    }

    /// What one sweep over a scope's rows at a point gives: the normal equations of the Gauss–Newton step from
    /// there (with that point's Huber corner), the loss there, and the objective there under the previous corner.
    private struct Sweep {
        var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>(), a3 = SIMD4<Double>()
        var b = SIMD4<Double>()
        /// Huber loss with this point's corner, over the rows that count.
        var loss = 0.0
        /// Huber loss with the corner of the point the line search came from, over every row.
        var objective = 0.0
        /// Sum of squared sensitivities, and how many rows are sensitive at all, per parameter.
        var information = SIMD4<Double>()
        var informative = SIMD4<Int>()
    }

    /// - Parameters:
    ///   - free: which of the four parameters this level may move; the others stay at the parent's values.
    ///   - spread: whether to estimate the residual spread; the gate's refits do not use it, and it costs a sweep.
    ///
    /// Each point costs one sweep over the rows: the line search's test of a trial point and the normal equations
    /// of the step from there are summed together, the Huber corner at the trial point coming first from its small
    /// sample. The sums, and their order, are those of testing the point and then stepping from it, so the fit is the
    /// same to the bit; it reads every row once per point instead of twice, which halves the logarithms.
    func solve(
        rows: [SolverRow], indices: [Int], parent: CalibrationParameters, free: [Bool], spread: Bool = true
    ) -> Result {
        let n = CalibrationParameters.count
        let mask = SIMD4<Double>(free[0] ? 1 : 0, free[1] ? 1 : 0, free[2] ? 1 : 0, free[3] ? 1 : 0)
        // Robust scale from the measurement residuals (MAD), so the Huber corner follows the data's noise. A strided
        // sample of at most ~2,000 runs is plenty for a scale estimate and keeps big scopes fast.
        let stride = max(1, indices.count / 2_000)
        var absolute: [Double] = []
        absolute.reserveCapacity(indices.count / stride + 1)
        // In a scope small enough that the sample is every measurement, the sweep that follows reuses its residuals.
        var known = [Double](repeating: 0, count: stride == 1 ? indices.count : 0)
        func corner(at theta: CalibrationParameters, otherwise previous: Double) -> Double {
            let point = SolverPoint(theta)
            absolute.removeAll(keepingCapacity: true)
            for slot in Swift.stride(from: 0, to: indices.count, by: stride) where rows[indices[slot]].kind == .measured {
                let r = rows[indices[slot]].evaluate(point).residual
                if stride == 1 { known[slot] = r }
                absolute.append(abs(r))
            }
            guard absolute.count >= 5 else { return previous }
            return max(options.minimumHuberDelta, 1.345 * 1.4826 * Self.median(&absolute))
        }

        var theta = parent
        var delta = corner(at: parent, otherwise: options.huberDelta)
        var sums = sweep(
            rows, indices, at: parent, corner: delta, previousCorner: delta, mask: mask, information: true, known: known)
        // Prior precision: the parent counts as `k` runs' worth of information about each parameter, a run's worth
        // being the mean squared sensitivity of log(predicted) to it among the runs here that are sensitive at all.
        var lambda = [Double](repeating: 0, count: n)
        for p in 0..<n {
            let perRun = sums.informative[p] > 0 ? sums.information[p] / Double(sums.informative[p]) : 0
            lambda[p] = options.shrinkageRuns * max(perRun, 1e-6)
        }
        for _ in 0..<options.maxIterations {
            var a = [Double](repeating: 0, count: n * n)
            var b = [Double](repeating: 0, count: n)
            for (p, column) in [sums.a0, sums.a1, sums.a2, sums.a3].enumerated() {
                for q in 0..<n { a[q * n + p] = column[q] }
                b[p] = sums.b[p]
            }
            for p in 0..<n {
                if free[p] {
                    a[p * n + p] += lambda[p]
                    b[p] -= lambda[p] * (theta[p] - parent[p])
                } else {
                    a[p * n + p] = 1
                    b[p] = 0
                }
            }
            guard let step = Self.solveLinear(a, b, n: n) else { break }
            let before = sums.loss + penalty(theta, parent, lambda, free)
            var scale = 1.0
            var next = theta
            var accepted = false
            for _ in 0..<8 {
                next = theta
                for p in 0..<n where free[p] { next[p] += scale * step[p] }
                next = next.clamped()
                let nextDelta = corner(at: next, otherwise: delta)
                let trial = sweep(
                    rows, indices, at: next, corner: nextDelta, previousCorner: delta, mask: mask, information: false,
                    known: known)
                if trial.objective + penalty(next, parent, lambda, free) <= before + 1e-12 {
                    accepted = true
                    delta = nextDelta
                    sums = trial
                    break
                }
                scale /= 2
            }
            if !accepted { break }
            let moved = (0..<n).map { abs(next[$0] - theta[$0]) }.max() ?? 0
            theta = next
            if moved < options.tolerance { break }
        }
        guard spread else { return Result(parameters: theta, logSpread: nil) }
        let point = SolverPoint(theta)
        var spreads: [Double] = []
        spreads.reserveCapacity(indices.count)
        for i in indices where rows[i].kind == .measured { spreads.append(abs(rows[i].evaluate(point).residual)) }
        let logSpread = spreads.isEmpty ? nil : 1.4826 * Self.median(&spreads)
        return Result(parameters: theta, logSpread: logSpread)
    }

    /// One pass over the rows at `theta`; see `Sweep`. Rows whose outcome constraint is met add nothing but their
    /// information.
    ///
    /// - Parameter known: empty, or the residuals at `theta` of the measurements, by position in `indices`.
    private func sweep(
        _ rows: [SolverRow], _ indices: [Int], at theta: CalibrationParameters, corner delta: Double,
        previousCorner: Double, mask: SIMD4<Double>, information: Bool, known: [Double]
    ) -> Sweep {
        let point = SolverPoint(theta)
        let reuse = !known.isEmpty
        var sums = Sweep()
        for (slot, i) in indices.enumerated() {
            let measured = rows[i].kind == .measured
            let (r, j) = reuse && measured ? rows[i].evaluate(point, known: known[slot]) : rows[i].evaluate(point)
            let base = measured ? 1 : options.constraintWeight
            let size = abs(r)
            sums.objective += base * (size <= previousCorner
                ? 0.5 * size * size : previousCorner * (size - 0.5 * previousCorner))
            if information {
                for p in 0..<CalibrationParameters.count where j[p] != 0 {
                    sums.information[p] += j[p] * j[p]
                    sums.informative[p] += 1
                }
            }
            if r == 0 && !measured { continue }
            sums.loss += base * (size <= delta ? 0.5 * r * r : delta * (size - 0.5 * delta))
            let w = base * (size <= delta ? 1 : delta / size)
            let g = j * mask
            let wg = w * g
            sums.b += wg * r
            sums.a0 += wg * g.x
            sums.a1 += wg * g.y
            sums.a2 += wg * g.z
            sums.a3 += wg * g.w
        }
        return sums
    }

    private func penalty(
        _ theta: CalibrationParameters, _ parent: CalibrationParameters, _ lambda: [Double], _ free: [Bool]
    ) -> Double {
        var total = 0.0
        for p in 0..<CalibrationParameters.count where free[p] {
            let d = theta[p] - parent[p]
            total += 0.5 * lambda[p] * d * d
        }
        return total
    }

    /// The median of `values`, leaving them in no particular order.
    ///
    /// By selection rather than sorting (linear rather than n log n: the solver takes one every iteration); the result
    /// is the same order statistic, or the mean of the same two, that sorting gives.
    static func median(_ values: inout [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let mid = values.count / 2
        let upper = select(mid, in: &values)
        guard values.count % 2 == 0 else { return upper }
        // Selection leaves everything below `mid` no larger than the value there: the largest of them is next in order.
        return 0.5 * (values[..<mid].max()! + upper)
    }

    /// The `k`-th smallest of `values` (from 0), reordering them so that none before position `k` is larger and none
    /// after it is smaller (Hoare's selection, median-of-three pivots).
    static func select(_ k: Int, in values: inout [Double]) -> Double {
        values.withUnsafeMutableBufferPointer { v in
            var low = 0
            var high = v.count - 1
            while low < high {
                let (x, y, z) = (v[low], v[low + (high - low) / 2], v[high])
                let pivot = max(min(x, y), min(max(x, y), z))
                var i = low
                var j = high
                while i <= j {
                    while v[i] < pivot { i += 1 }
                    while v[j] > pivot { j -= 1 }
                    if i <= j {
                        v.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                // Now v[low...j] ≤ pivot ≤ v[i...high], and whatever lies between equals the pivot.
                if k <= j {
                    high = j
                } else if k >= i {
                    low = i
                } else {
                    break
                }
            }
            return v[k]
        }
    }

    /// Gaussian elimination with partial pivoting on an n×n system; `nil` when singular.
    static func solveLinear(_ matrix: [Double], _ rhs: [Double], n: Int) -> [Double]? {
        var a = matrix
        var b = rhs
        for col in 0..<n {
            var pivot = col
            for row in col..<n where abs(a[row * n + col]) > abs(a[pivot * n + col]) { pivot = row }
            guard abs(a[pivot * n + col]) > 1e-300 else { return nil }
            if pivot != col {
                for k in 0..<n { a.swapAt(col * n + k, pivot * n + k) }
                b.swapAt(col, pivot)
            }
            for row in (col + 1)..<n {
                let f = a[row * n + col] / a[col * n + col]
                if f == 0 { continue }
                for k in col..<n { a[row * n + k] -= f * a[col * n + k] }
                b[row] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var s = b[row]
            for k in (row + 1)..<n { s -= a[row * n + k] * x[k] }
            x[row] = s / a[row * n + row]
        }
        return x
    }
}
