import Foundation

/// The two passes over a scope's rows that a solve's time goes to.
///
/// Both add the same terms in the same order as the straightforward loop (`SolverRow.residual`, `.jacobian`), so
/// they give the same bits; what differs is only how the work is laid out for the processor.
extension ScopeSolver {
    /// Rows per block of the objective pass: its scratch values stay in the first-level cache.
    private static let block = 256

    /// The line search's test of a point: the Huber loss under `corner` (the corner of the point it came from) over
    /// every row, an outcome whose constraint is met adding 0; each row's residual is kept in `residuals`.
    ///
    /// A block of rows at a time: first every prediction, then every logarithm, then the residuals and the sum. The
    /// logarithm is a call into the C library, which may overwrite every floating-point register: in a loop of its
    /// own nothing has to be saved around it, where in one loop with the sum every call saved and restored the
    /// running total, the point and the corner.
    func objective(_ rows: [SolverRow], at point: SolverPoint, corner: Double, residuals: inout [Double]) -> Double {
        precondition(residuals.count == rows.count, "one residual per row")
        let weight = options.constraintWeight
        var objective = 0.0
        rows.withUnsafeBufferPointer { rows in
            residuals.withUnsafeMutableBufferPointer { residuals in
                point.runtimes.withUnsafeBufferPointer { runtimes in
                    var start = 0
                    while start < rows.count {
                        let end = min(start + Self.block, rows.count)
                        for i in start..<end { residuals[i] = rows[i].predicted(point, runtimes[Int(rows[i].runtime)]) }
                        for i in start..<end { residuals[i] = log(residuals[i]) }
                        for i in start..<end {
                            let r = rows[i].clamped(rows[i].logTarget - residuals[i])
                            residuals[i] = r
                            let base = rows[i].kind == .measured ? 1 : weight
                            let size = abs(r)
                            objective += base * (size <= corner ? 0.5 * size * size : corner * (size - 0.5 * corner))
                        }
                        start = end
                    }
                }
            }
        }
        return objective
    }

    /// The normal equations at `point` from the residuals there (no logarithm); rows whose outcome constraint is met
    /// add nothing but their information, which only the first pass of a solve sums.
    ///
    /// Where only the activation scale is free (family and model scopes), only its entry is summed: every other
    /// entry sums terms that are exactly zero (a fixed parameter's gradient is masked to ±0), which leaves +0, the
    /// value set here.
    func normalEquations(
        _ rows: [SolverRow], _ residuals: [Double], at point: SolverPoint, corner delta: Double, free: [Bool],
        information: Bool = false
    ) -> Sweep {
        precondition(residuals.count == rows.count, "one residual per row")
        if !information && free == [true, false, false, false] {
            return activationOnly(rows, residuals, at: point, corner: delta)
        }
        let mask = SIMD4<Double>(free[0] ? 1 : 0, free[1] ? 1 : 0, free[2] ? 1 : 0, free[3] ? 1 : 0)
        let weight = options.constraintWeight
        var sums = Sweep()
        rows.withUnsafeBufferPointer { rows in
            residuals.withUnsafeBufferPointer { residuals in
                point.runtimes.withUnsafeBufferPointer { runtimes in
                    for i in rows.indices {
                        let runtime = runtimes[Int(rows[i].runtime)]
                        let r = residuals[i]
                        let measured = rows[i].kind == .measured
                        if information {
                            let j = rows[i].jacobian(point, runtime)
                            for p in 0..<CalibrationParameters.count where j[p] != 0 {
                                sums.information[p] += j[p] * j[p]
                                sums.informative[p] += 1
                            }
                        }
                        if r == 0 && !measured { continue }
                        let base = measured ? 1 : weight
                        let size = abs(r)
                        sums.loss += base * (size <= delta ? 0.5 * r * r : delta * (size - 0.5 * delta))
                        let w = base * (size <= delta ? 1 : delta / size)
                        let g = rows[i].jacobian(point, runtime) * mask
                        let wg = w * g
                        sums.b += wg * r
                        sums.a0 += wg * g.x
                        sums.a1 += wg * g.y
                        sums.a2 += wg * g.z
                        sums.a3 += wg * g.w
                    }
                }
            }
        }
        return sums
    }

    /// `normalEquations` with the activation scale the only free parameter, without information.
    private func activationOnly(
        _ rows: [SolverRow], _ residuals: [Double], at point: SolverPoint, corner delta: Double
    ) -> Sweep {
        let weight = options.constraintWeight
        var loss = 0.0
        var a = 0.0
        var b = 0.0
        rows.withUnsafeBufferPointer { rows in
            residuals.withUnsafeBufferPointer { residuals in
                point.runtimes.withUnsafeBufferPointer { runtimes in
                    for i in rows.indices {
                        let r = residuals[i]
                        let measured = rows[i].kind == .measured
                        if r == 0 && !measured { continue }
                        let base = measured ? 1 : weight
                        let size = abs(r)
                        loss += base * (size <= delta ? 0.5 * r * r : delta * (size - 0.5 * delta))
                        let w = base * (size <= delta ? 1 : delta / size)
                        let g = rows[i].activationSlope(point, runtimes[Int(rows[i].runtime)])
                        let wg = w * g
                        b += wg * r
                        a += wg * g
                    }
                }
            }
        }
        var sums = Sweep()
        sums.loss = loss
        sums.a0.x = a
        sums.b.x = b
        return sums
    }
}
