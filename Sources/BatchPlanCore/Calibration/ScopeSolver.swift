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

    /// Predicted bytes at this row's counter.
    func predicted(_ p: CalibrationParameters) -> Double {
        let allocated = exp(p.logModelStateScale) * modelStates + exp(p.logActivationScale) * activations + other
        if level == 0 { return allocated }
        let reserved = allocated * (1 + p.reserveRatio(default: defaultReserve))
        if level == 1 { return reserved }
        return reserved + p.contextBytes(default: defaultContext)
    }

    /// The log residual log(target) − log(predicted), zero when an outcome constraint is met, and the gradient of
    /// log(predicted) with respect to the parameters (zero where a bound holds a parameter).
    func residual(_ p: CalibrationParameters, jacobian: inout (Double, Double, Double, Double)) -> Double {
        let sa = exp(p.logActivationScale) * activations
        let sm = exp(p.logModelStateScale) * modelStates
        let allocated = max(sa + sm + other, 1)
        var total = allocated
        var growth = 1.0
        var dReserve = 0.0
        var dContext = 0.0
        if level >= 1 {
            let raw = defaultReserve + p.reserveRatioDelta
            let ratio = min(max(raw, 0), 1)
            growth = 1 + ratio
            total = allocated * growth
            if raw > 0 && raw < 1 { dReserve = allocated }
        }
        if level == 2 {
            let raw = defaultContext + p.contextDeltaGiB * CalibrationParameters.gib
            let context = min(max(raw, 0), 8 * CalibrationParameters.gib)
            total += context
            if raw > 0 && raw < 8 * CalibrationParameters.gib { dContext = CalibrationParameters.gib }
        }
        let r = logTarget - log(total)
        switch kind {
        case .measured: break
        case .ran where r >= 0: return 0
        case .outOfMemory where r < 0: return 0
        default: break
        }
        jacobian = (sa * growth / total, sm * growth / total, dReserve / total, dContext / total)
        return r
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

    /// - Parameters:
    ///   - free: which of the four parameters this level may move; the others stay at the parent's values.
    func solve(rows: [SolverRow], indices: [Int], parent: CalibrationParameters, free: [Bool]) -> Result {
        let n = CalibrationParameters.count
        // Prior precision: the parent counts as `k` runs' worth of information about each parameter, a run's worth
        // being the mean squared sensitivity of log(predicted) to it among the runs here that are sensitive at all.
        var information = [Double](repeating: 0, count: n)
        var informative = [Int](repeating: 0, count: n)
        for i in indices {
            var j = (0.0, 0.0, 0.0, 0.0)
            var row = rows[i]
            row.kind = .measured  // sensitivity as if the constraint were active
            _ = row.residual(parent, jacobian: &j)
            for (p, v) in [j.0, j.1, j.2, j.3].enumerated() where v != 0 {
                information[p] += v * v
                informative[p] += 1
            }
        }
        var lambda = [Double](repeating: 0, count: n)
        for p in 0..<n {
            let perRun = informative[p] > 0 ? information[p] / Double(informative[p]) : 0
            lambda[p] = options.shrinkageRuns * max(perRun, 1e-6)
        }

        var theta = parent
        var delta = options.huberDelta
        let mask = SIMD4<Double>(free[0] ? 1 : 0, free[1] ? 1 : 0, free[2] ? 1 : 0, free[3] ? 1 : 0)
        for _ in 0..<options.maxIterations {
            // Robust scale from the current measurement residuals (MAD), so the Huber corner follows the data's noise.
            // A strided sample of at most ~2,000 runs is plenty for a scale estimate and keeps big scopes fast.
            var absolute: [Double] = []
            let stride = max(1, indices.count / 2_000)
            absolute.reserveCapacity(indices.count / stride + 1)
            for slot in Swift.stride(from: 0, to: indices.count, by: stride) where rows[indices[slot]].kind == .measured {
                var j = (0.0, 0.0, 0.0, 0.0)
                absolute.append(abs(rows[indices[slot]].residual(theta, jacobian: &j)))
            }
            if absolute.count >= 5 {
                delta = max(options.minimumHuberDelta, 1.345 * 1.4826 * Self.median(&absolute))
            }
            var (a0, a1, a2, a3, b4) = (SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>())
            var loss = 0.0
            for i in indices {
                var j = (0.0, 0.0, 0.0, 0.0)
                let r = rows[i].residual(theta, jacobian: &j)
                if r == 0 && rows[i].kind != .measured { continue }
                let base = rows[i].kind == .measured ? 1 : options.constraintWeight
                let size = abs(r)
                loss += base * (size <= delta ? 0.5 * r * r : delta * (size - 0.5 * delta))
                let w = base * (size <= delta ? 1 : delta / size)
                let g = SIMD4(j.0, j.1, j.2, j.3) * mask
                let wg = w * g
                b4 += wg * r
                a0 += wg * g.x
                a1 += wg * g.y
                a2 += wg * g.z
                a3 += wg * g.w
            }
            var a = [Double](repeating: 0, count: n * n)
            var b = [Double](repeating: 0, count: n)
            for (p, column) in [a0, a1, a2, a3].enumerated() {
                for q in 0..<n { a[q * n + p] = column[q] }
                b[p] = b4[p]
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
            let before = loss + penalty(theta, parent, lambda, free)
            var scale = 1.0
            var next = theta
            var accepted = false
            for _ in 0..<8 {
                next = theta
                for p in 0..<n where free[p] { next[p] += scale * step[p] }
                next = next.clamped()
                if objective(rows, indices, next, parent, lambda, delta, free) <= before + 1e-12 {
                    accepted = true
                    break
                }
                scale /= 2
            }
            if !accepted { break }
            let moved = (0..<n).map { abs(next[$0] - theta[$0]) }.max() ?? 0
            theta = next
            if moved < options.tolerance { break }
        }
        var spreads: [Double] = []
        for i in indices where rows[i].kind == .measured {
            var j = (0.0, 0.0, 0.0, 0.0)
            spreads.append(abs(rows[i].residual(theta, jacobian: &j)))
        }
        let spread = spreads.isEmpty ? nil : 1.4826 * Self.median(&spreads)
        return Result(parameters: theta, logSpread: spread)
    }

    private func objective(
        _ rows: [SolverRow], _ indices: [Int], _ theta: CalibrationParameters, _ parent: CalibrationParameters,
        _ lambda: [Double], _ delta: Double, _ free: [Bool]
    ) -> Double {
        var total = 0.0
        for i in indices {
            var j = (0.0, 0.0, 0.0, 0.0)
            let r = abs(rows[i].residual(theta, jacobian: &j))
            let base = rows[i].kind == .measured ? 1 : options.constraintWeight
            total += base * (r <= delta ? 0.5 * r * r : delta * (r - 0.5 * delta))
        }
        return total + penalty(theta, parent, lambda, free)
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

    static func median(_ values: inout [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        values.sort()
        let mid = values.count / 2
        return values.count % 2 == 1 ? values[mid] : 0.5 * (values[mid - 1] + values[mid])
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
