import Foundation

/// Fits one scope's parameters: robust (Huber) Gauss–Newton on log residuals, one-sided for outcome constraints,
/// penalized toward the parent's parameters.
struct ScopeSolver {
    var options: CalibrationFitter.Options

    struct Result {
        var parameters: CalibrationParameters
        var logSpread: Double?
    }

    /// The normal equations of the Gauss–Newton step from a point (with that point's Huber corner) and the loss
    /// there, summed over a scope's rows.
    struct Sweep {
        var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>(), a3 = SIMD4<Double>()
        var b = SIMD4<Double>()
        /// Huber loss with this point's corner, over the rows that count.
        var loss = 0.0
        /// Sum of squared sensitivities, and how many rows are sensitive at all, per parameter.
        var information = SIMD4<Double>()
        var informative = SIMD4<Int>()
    }

    /// - Parameters:
    ///   - rows: the rows to fit, in the order their sums are taken.
    ///   - start: each row's residual at `parent` (`SolverRow.residual`), which every solve of a scope starts from:
    ///     the fitter computes them once for the scope and its refits.
    ///   - free: which of the four parameters this level may move; the others stay at the parent's values.
    ///   - spread: whether to estimate the residual spread; the gate's refits do not use it.
    ///   - runtimes: the runtime triples the rows name.
    ///
    /// Each trial point of the line search costs one pass over the rows that takes one logarithm per row: it sums
    /// the objective (Huber loss under the corner of the point it came from) and keeps each residual. Only an
    /// accepted point then takes a second pass, without logarithms, for the normal equations of the step from there,
    /// its Huber corner taken first from the residuals kept. Nearly half the trial points of a fit over many runs
    /// are rejected (a stalled line search halves its step eight times before it gives up), and they no longer sum
    /// the normal equations. Every sum adds the same terms in the same order as summing everything in one pass did,
    /// so the fit is the same to the bit.
    func solve(
        rows: [SolverRow], start: [Double], parent: CalibrationParameters, free: [Bool], spread: Bool = true,
        runtimes: [SolverRuntime]
    ) -> Result {
        precondition(start.count == rows.count, "one starting residual per row")
        let n = CalibrationParameters.count
        // Robust scale from the measurement residuals (MAD), so the Huber corner follows the data's noise. A strided
        // sample of at most ~2,000 runs is plenty for a scale estimate and keeps big scopes fast.
        let stride = max(1, rows.count / 2_000)
        var absolute: [Double] = []
        absolute.reserveCapacity(rows.count / stride + 1)
        func corner(_ residuals: [Double], otherwise previous: Double) -> Double {
            absolute.removeAll(keepingCapacity: true)
            for slot in Swift.stride(from: 0, to: rows.count, by: stride) where rows[slot].kind == .measured {
                absolute.append(abs(residuals[slot]))
            }
            guard absolute.count >= 5 else { return previous }
            return max(options.minimumHuberDelta, 1.345 * 1.4826 * Self.median(&absolute))
        }

        var theta = parent
        // The residuals at `theta`, and those at the point being tried.
        var current = start
        var trying = [Double](repeating: 0, count: rows.count)
        var delta = corner(current, otherwise: options.huberDelta)
        var sums = normalEquations(
            rows, current, at: SolverPoint(parent, runtimes: runtimes), corner: delta, free: free, information: true)
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
                let point = SolverPoint(next, runtimes: runtimes)
                let tried = objective(rows, at: point, corner: delta, residuals: &trying)
                if tried + penalty(next, parent, lambda, free) <= before + 1e-12 {
                    accepted = true
                    delta = corner(trying, otherwise: delta)
                    sums = normalEquations(rows, trying, at: point, corner: delta, free: free)
                    swap(&current, &trying)
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
        // The residuals at `theta` are those its pass kept.
        var spreads: [Double] = []
        spreads.reserveCapacity(rows.count)
        for (row, r) in zip(rows, current) where row.kind == .measured { spreads.append(abs(r)) }
        let logSpread = spreads.isEmpty ? nil : 1.4826 * Self.median(&spreads)
        return Result(parameters: theta, logSpread: logSpread)
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
