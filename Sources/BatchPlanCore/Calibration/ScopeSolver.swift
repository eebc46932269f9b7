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
    ///
    /// A large solve (`Options.largeSolveRows` rows or more; no scope of the built-in catalog is one) needs fewer
    /// passes over its rows. It starts where the same problem over every s-th row ends, a quarter as many rows,
    /// instead of at the parent. And it steps with the Huber loss's own curvature (Newton: 1 within the corner, 0
    /// past it) instead of its weights (ψ(r)/r, reweighted least squares): the reweighted steps fall short of the
    /// optimum by about the share of weight past the corner, so they close in on it by a factor of about 0.35 a
    /// step, where Newton steps close in faster once near. A Newton step that does not descend at its full, half or
    /// quarter length is replaced by the reweighted one from the same point, for the rest of the solve. Over 100,000
    /// runs, the large solves' passes fell by 40% (10.2 → 6.1 steps each) and the fit ends where the reweighted walk
    /// from the parent does, within 1.3e-6 in every parameter, where that walk converges.
    func solve(
        rows: [SolverRow], start: [Double], parent: CalibrationParameters, free: [Bool], spread: Bool = true,
        runtimes: [SolverRuntime]
    ) -> Result {
        precondition(start.count == rows.count, "one starting residual per row")
        let n = CalibrationParameters.count
        var theta = parent
        // The residuals at `theta`, and those at the point being tried.
        var current = start
        var trying = [Double](repeating: 0, count: rows.count)
        var delta = corner(rows, current, otherwise: options.huberDelta)
        var sums = normalEquations(
            rows, current, at: SolverPoint(parent, runtimes: runtimes), corner: delta, free: free, information: true)
        // Prior precision: the parent counts as `k` runs' worth of information about each parameter, a run's worth
        // being the mean squared sensitivity of log(predicted) to it among the runs here that are sensitive at all.
        var lambda = [Double](repeating: 0, count: n)
        for p in 0..<n {
            let perRun = sums.informative[p] > 0 ? sums.information[p] / Double(sums.informative[p]) : 0
            lambda[p] = options.shrinkageRuns * max(perRun, 1e-6)
        }
        let large = rows.count >= options.largeSolveRows
        if large {
            // A large solve walks to its optimum from a nearer point than the parent: where the same problem over
            // every s-th row ends (the prior weighed in the same proportion, so that the sample's objective is the
            // whole one subsampled). Only the whole objective decides where the solve ends; the point is taken only
            // when the whole objective is lower there than at the parent.
            let candidate = sampled(rows, start: start, parent: parent, lambda: lambda, free: free, runtimes: runtimes)
            let there = objective(rows, at: SolverPoint(candidate, runtimes: runtimes), corner: delta, residuals: &trying)
            if there + penalty(candidate, parent, lambda, free) <= sums.loss + 1e-12 {
                theta = candidate
                swap(&current, &trying)
                delta = corner(rows, current, otherwise: delta)
            }
        }
        theta = iterate(
            rows, from: theta, parent: parent, lambda: lambda, free: free, current: &current, trying: &trying,
            delta: &delta, sums: &sums, newton: large, runtimes: runtimes)
        guard spread else { return Result(parameters: theta, logSpread: nil) }
        // The residuals at `theta` are those its pass kept.
        var spreads: [Double] = []
        spreads.reserveCapacity(rows.count)
        for (row, r) in zip(rows, current) where row.kind == .measured { spreads.append(abs(r)) }
        let logSpread = spreads.isEmpty ? nil : 1.4826 * Self.median(&spreads)
        return Result(parameters: theta, logSpread: logSpread)
    }

    /// Where the solve over every s-th row ends (a quarter of `largeSolveRows` rows or a few more), from the parent.
    private func sampled(
        _ rows: [SolverRow], start: [Double], parent: CalibrationParameters, lambda: [Double], free: [Bool],
        runtimes: [SolverRuntime]
    ) -> CalibrationParameters {
        let sample = Swift.stride(from: 0, to: rows.count, by: max(1, rows.count / max(1, options.largeSolveRows / 4)))
        let sampleRows = sample.map { rows[$0] }
        var current = sample.map { start[$0] }
        var trying = [Double](repeating: 0, count: sampleRows.count)
        var delta = corner(sampleRows, current, otherwise: options.huberDelta)
        let share = Double(sampleRows.count) / Double(rows.count)
        var sums = normalEquations(
            sampleRows, current, at: SolverPoint(parent, runtimes: runtimes), corner: delta, free: free)
        return iterate(
            sampleRows, from: parent, parent: parent, lambda: lambda.map { $0 * share }, free: free,
            current: &current, trying: &trying, delta: &delta, sums: &sums, runtimes: runtimes)
    }

    /// The Huber corner from the measurement residuals (MAD), so that it follows the data's noise: from a strided
    /// sample of at most ~2,000 rows, plenty for a scale estimate; `previous` while there are fewer than 5.
    private func corner(_ rows: [SolverRow], _ residuals: [Double], otherwise previous: Double) -> Double {
        let stride = max(1, rows.count / 2_000)
        var absolute: [Double] = []
        absolute.reserveCapacity(rows.count / stride + 1)
        for slot in Swift.stride(from: 0, to: rows.count, by: stride) where rows[slot].kind == .measured {
            absolute.append(abs(residuals[slot]))
        }
        guard absolute.count >= 5 else { return previous }
        return max(options.minimumHuberDelta, 1.345 * 1.4826 * Self.median(&absolute))
    }

    /// Damped Gauss–Newton steps from `theta` until a step moves no parameter more than the tolerance, the line
    /// search stalls or the iterations run out; `current`, `delta` and `sums` describe `theta` on entry and the
    /// point returned on exit.
    private func iterate(
        _ rows: [SolverRow], from start: CalibrationParameters, parent: CalibrationParameters, lambda: [Double],
        free: [Bool], current: inout [Double], trying: inout [Double], delta: inout Double, sums: inout Sweep,
        newton: Bool = false, runtimes: [SolverRuntime]
    ) -> CalibrationParameters {
        let n = CalibrationParameters.count
        var theta = start
        // Whether `sums` hold the Huber loss's curvature (Newton) rather than its weights.
        var curvature = false
        if newton {
            sums = normalEquations(
                rows, current, at: SolverPoint(theta, runtimes: runtimes), corner: delta, free: free, newton: true)
            curvature = true
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
            let step = Self.solveLinear(a, b, n: n)
            let before = sums.loss + penalty(theta, parent, lambda, free)
            var scale = 1.0
            var next = theta
            var accepted = false
            for _ in 0..<(curvature ? 3 : 8) {
                guard let step else { break }
                next = theta
                for p in 0..<n where free[p] { next[p] += scale * step[p] }
                next = next.clamped()
                let point = SolverPoint(next, runtimes: runtimes)
                let tried = objective(rows, at: point, corner: delta, residuals: &trying)
                if tried + penalty(next, parent, lambda, free) <= before + 1e-12 {
                    accepted = true
                    delta = corner(rows, trying, otherwise: delta)
                    sums = normalEquations(rows, trying, at: point, corner: delta, free: free, newton: curvature)
                    swap(&current, &trying)
                    break
                }
                scale /= 2
            }
            if !accepted {
                // The Newton step failed: the reweighted one from the same point, which descends.
                guard curvature else { break }
                curvature = false
                sums = normalEquations(
                    rows, current, at: SolverPoint(theta, runtimes: runtimes), corner: delta, free: free)
                continue
            }
            let moved = (0..<n).map { abs(next[$0] - theta[$0]) }.max() ?? 0
            theta = next
            if moved < options.tolerance { break }
        }
        return theta
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
