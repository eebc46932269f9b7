import Foundation

/// The two passes over a scope's rows that a solve's time goes to.
///
/// Both add the same terms in the same order as the straightforward loop (`SolverRow.residual`, `.jacobian`), so
/// they give the same bits; what differs is only how the work is laid out for the processor: sums in local
/// variables (a sum kept in a captured variable was loaded and stored back for every row), and a loop per set of
/// free parameters that sums only the entries that can be nonzero.
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
        return rows.withUnsafeBufferPointer { rows in
            residuals.withUnsafeMutableBufferPointer { residuals in
                point.runtimes.withUnsafeBufferPointer { runtimes in
                    var objective = 0.0
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
                            objective +=
                                base * Self.choose(size <= corner, 0.5 * size * size, corner * (size - 0.5 * corner))
                        }
                        start = end
                    }
                    return objective
                }
            }
        }
    }

    /// `condition ? a : b` without a branch: whether a residual is past the Huber corner changes row by row, and a
    /// branch on it was mispredicted for about one row in five. Either value's bits, exactly. (The normal equations
    /// keep their branch: there it also skips the division of the Huber weight, which costs more.)
    @inline(__always)
    static func choose(_ condition: Bool, _ a: Double, _ b: Double) -> Double {
        let mask = 0 &- UInt64(condition ? 1 : 0)
        return Double(bitPattern: (a.bitPattern & mask) | (b.bitPattern & ~mask))
    }

    /// The normal equations at `point` from the residuals there (no logarithm); rows whose outcome constraint is met
    /// add nothing but their information, which only the first pass of a solve sums.
    ///
    /// Where a parameter is fixed its gradient is masked to ±0, so every entry of its row and column of `a` and its
    /// entry of `b` sums terms that are exactly zero and stays +0: the loops for the fitter's sets of free
    /// parameters leave those entries at +0 and sum the others as the masked loop does.
    func normalEquations(
        _ rows: [SolverRow], _ residuals: [Double], at point: SolverPoint, corner delta: Double, free: [Bool],
        information: Bool = false, newton: Bool = false
    ) -> Sweep {
        precondition(residuals.count == rows.count, "one residual per row")
        let terms = NormalTerms(options.constraintWeight, delta, newton: newton)
        return rows.withUnsafeBufferPointer { rows in
            residuals.withUnsafeBufferPointer { residuals in
                point.runtimes.withUnsafeBufferPointer { runtimes in
                    if !information && free == [true, false, false, false] {
                        return activationOnly(rows, residuals, point, runtimes, terms)
                    }
                    if !information && free == [true, false, true, true] {
                        return modelStatesFixed(rows, residuals, point, runtimes, terms)
                    }
                    if !information && free == [true, true, true, true] {
                        return allFree(rows, residuals, point, runtimes, terms)
                    }
                    let mask = SIMD4<Double>(free[0] ? 1 : 0, free[1] ? 1 : 0, free[2] ? 1 : 0, free[3] ? 1 : 0)
                    return masked(rows, residuals, point, runtimes, terms, mask: mask, information: information)
                }
            }
        }
    }

    /// A row's Huber loss and weight at its residual, under a corner.
    private struct NormalTerms {
        var constraintWeight: Double
        var corner: Double
        /// Curvature from the Huber loss's second derivative (0 past the corner) instead of the weight.
        var newton: Bool

        init(_ constraintWeight: Double, _ corner: Double, newton: Bool = false) {
            self.constraintWeight = constraintWeight
            self.corner = corner
            self.newton = newton
        }

        /// `nil` for a row whose outcome constraint is met (it adds nothing), else its loss, its Huber weight (the
        /// gradient is weight × residual × slope) and the curvature its slope's outer product is summed with: the
        /// weight (iteratively reweighted least squares), or under `newton` the loss's second derivative.
        @inline(__always)
        func of(_ r: Double, _ kind: SolverRow.Kind) -> (loss: Double, weight: Double, curvature: Double)? {
            let measured = kind == .measured
            if r == 0 && !measured { return nil }
            let base = measured ? 1 : constraintWeight
            let size = abs(r)
            let weight = base * (size <= corner ? 1 : corner / size)
            return (
                base * (size <= corner ? 0.5 * r * r : corner * (size - 0.5 * corner)),
                weight, newton ? (size <= corner ? base : 0) : weight
            )
        }
    }

    /// Every parameter that `mask` frees, optionally with the information of every parameter.
    private func masked(
        _ rows: UnsafeBufferPointer<SolverRow>, _ residuals: UnsafeBufferPointer<Double>, _ point: SolverPoint,
        _ runtimes: UnsafeBufferPointer<SolverPoint.Runtime>, _ terms: NormalTerms, mask: SIMD4<Double>,
        information: Bool
    ) -> Sweep {
        var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>(), a3 = SIMD4<Double>()
        var b = SIMD4<Double>()
        var loss = 0.0
        var sensitivity = SIMD4<Double>()
        var sensitive = SIMD4<Int>()
        for i in rows.indices {
            let j = rows[i].jacobian(point, runtimes[Int(rows[i].runtime)])
            if information {
                for p in 0..<CalibrationParameters.count where j[p] != 0 {
                    sensitivity[p] += j[p] * j[p]
                    sensitive[p] += 1
                }
            }
            let r = residuals[i]
            guard let (rowLoss, w, h) = terms.of(r, rows[i].kind) else { continue }
            loss += rowLoss
            let g = j * mask
            b += w * g * r
            let hg = h * g
            a0 += hg * g.x
            a1 += hg * g.y
            a2 += hg * g.z
            a3 += hg * g.w
        }
        return Sweep(
            a0: a0, a1: a1, a2: a2, a3: a3, b: b, loss: loss, information: sensitivity, informative: sensitive)
    }

    /// Global and framework scopes: all four parameters, a block of rows at a time.
    ///
    /// Twenty sums do not fit the processor's sixteen vector registers: summed in one loop, some lived on the stack,
    /// and each row waited for them to be stored and loaded back. Per block, the gradients of the rows that count
    /// are worked out first, then summed in three loops of a few sums each; every sum still adds its terms in row
    /// order. (The mask of `masked` is all ones here: g × 1 is g.)
    private func allFree(
        _ rows: UnsafeBufferPointer<SolverRow>, _ residuals: UnsafeBufferPointer<Double>, _ point: SolverPoint,
        _ runtimes: UnsafeBufferPointer<SolverPoint.Runtime>, _ terms: NormalTerms
    ) -> Sweep {
        var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>(), a3 = SIMD4<Double>()
        var b = SIMD4<Double>()
        var loss = 0.0
        let block = Self.block
        var gradients = [SIMD4<Double>](repeating: .zero, count: block)
        var weighted = [SIMD4<Double>](repeating: .zero, count: block)
        var curved = [SIMD4<Double>](repeating: .zero, count: block)
        var kept = [Double](repeating: 0, count: block)
        gradients.withUnsafeMutableBufferPointer { g in
            weighted.withUnsafeMutableBufferPointer { wg in
                curved.withUnsafeMutableBufferPointer { hg in
                    kept.withUnsafeMutableBufferPointer { r in
                        var start = 0
                        while start < rows.count {
                            let end = min(start + block, rows.count)
                            var count = 0
                            for i in start..<end {
                                guard let (rowLoss, w, h) = terms.of(residuals[i], rows[i].kind) else { continue }
                                loss += rowLoss
                                g[count] = rows[i].jacobian(point, runtimes[Int(rows[i].runtime)])
                                wg[count] = w * g[count]
                                hg[count] = h * g[count]
                                r[count] = residuals[i]
                                count += 1
                            }
                            for k in 0..<count { b += wg[k] * r[k] }
                            for k in 0..<count {
                                a0 += hg[k] * g[k].x
                                a1 += hg[k] * g[k].y
                            }
                            for k in 0..<count {
                                a2 += hg[k] * g[k].z
                                a3 += hg[k] * g[k].w
                            }
                            start = end
                        }
                    }
                }
            }
        }
        return Sweep(a0: a0, a1: a1, a2: a2, a3: a3, b: b, loss: loss)
    }

    /// Architecture and GPU scopes: every parameter but the model-state scale.
    private func modelStatesFixed(
        _ rows: UnsafeBufferPointer<SolverRow>, _ residuals: UnsafeBufferPointer<Double>, _ point: SolverPoint,
        _ runtimes: UnsafeBufferPointer<SolverPoint.Runtime>, _ terms: NormalTerms
    ) -> Sweep {
        // a(q)(p) sums wg(q) × g(p), as `masked` does lane by lane.
        var a00 = 0.0, a20 = 0.0, a30 = 0.0, a02 = 0.0, a22 = 0.0, a32 = 0.0, a03 = 0.0, a23 = 0.0, a33 = 0.0
        var b0 = 0.0, b2 = 0.0, b3 = 0.0
        var loss = 0.0
        for i in rows.indices {
            let r = residuals[i]
            guard let (rowLoss, w, h) = terms.of(r, rows[i].kind) else { continue }
            loss += rowLoss
            let g = rows[i].jacobian(point, runtimes[Int(rows[i].runtime)])
            let wg = w * g
            b0 += wg.x * r
            b2 += wg.z * r
            b3 += wg.w * r
            let hg = h * g
            a00 += hg.x * g.x
            a20 += hg.z * g.x
            a30 += hg.w * g.x
            a02 += hg.x * g.z
            a22 += hg.z * g.z
            a32 += hg.w * g.z
            a03 += hg.x * g.w
            a23 += hg.z * g.w
            a33 += hg.w * g.w
        }
        return Sweep(
            a0: SIMD4(a00, 0, a20, a30), a1: SIMD4(), a2: SIMD4(a02, 0, a22, a32), a3: SIMD4(a03, 0, a23, a33),
            b: SIMD4(b0, 0, b2, b3), loss: loss)
    }

    /// Family and model scopes: the activation scale alone.
    private func activationOnly(
        _ rows: UnsafeBufferPointer<SolverRow>, _ residuals: UnsafeBufferPointer<Double>, _ point: SolverPoint,
        _ runtimes: UnsafeBufferPointer<SolverPoint.Runtime>, _ terms: NormalTerms
    ) -> Sweep {
        var a = 0.0
        var b = 0.0
        var loss = 0.0
        for i in rows.indices {
            let r = residuals[i]
            guard let (rowLoss, w, h) = terms.of(r, rows[i].kind) else { continue }
            loss += rowLoss
            let g = rows[i].activationSlope(point, runtimes[Int(rows[i].runtime)])
            b += w * g * r
            a += h * g * g
        }
        return Sweep(a0: SIMD4(a, 0, 0, 0), b: SIMD4(b, 0, 0, 0), loss: loss)
    }
}
