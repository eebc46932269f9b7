import Foundation

/// One observation flattened for the solver: plain numbers, no strings, 40 bytes.
///
/// The runtime defaults and the counter are few distinct triples (`SolverRuntime`, one per architecture and counter),
/// so a row names its triple: a point works out the reserve growth and the context of each triple once, and every
/// row's prediction is then the same arithmetic, with no branch on its counter (which varies row by row).
struct SolverRow: Sendable {
    enum Kind: UInt8 { case measured, ran, outOfMemory }

    var modelStates: Double
    var activations: Double
    var other: Double
    /// log of the measured bytes, or of the capacity for an outcome.
    var logTarget: Double
    /// The row's `SolverRuntime`, by position in the fit's list.
    var runtime: UInt16
    var kind: Kind

    /// An observation's numbers, adding its runtime triple to `runtimes` when new (plain values, so that reading
    /// them from an observation copies none of its strings).
    init(_ d: CalibrationDecomposition, _ evidence: CalibrationEvidence, runtimes: inout SolverRuntimes) {
        modelStates = d.modelStates
        activations = d.activations
        other = d.other
        let level: UInt8
        switch evidence {
        case .measured(let counter, let bytes):
            kind = .measured
            level = counter == .allocated ? 0 : counter == .reserved ? 1 : 2
            logTarget = log(max(bytes, 1))
        case .outcome(let ran, let capacity, let counter):
            kind = ran ? .ran : .outOfMemory
            level = counter == .allocated ? 0 : counter == .reserved ? 1 : 2
            logTarget = log(max(capacity, 1))
        }
        runtime = runtimes.number(
            SolverRuntime(defaultReserve: d.defaultReserveRatio, defaultContext: d.defaultContextBytes, level: level))
    }

    /// The predicted reading at `point`, `runtime` being this row's runtime triple there.
    ///
    /// An allocated reading grows by exactly 1 and adds exactly 0, a reserved one adds exactly 0 (`SolverPoint`):
    /// the same bits as not multiplying and not adding, since the allocated bytes are at least 1.
    @inline(__always)
    func predicted(_ point: SolverPoint, _ runtime: SolverPoint.Runtime) -> Double {
        let sa = point.activationScale * activations
        let sm = point.modelStateScale * modelStates
        let allocated = max(sa + sm + other, 1)
        return allocated * runtime.growth + runtime.context
    }

    /// The log residual log(target) − log(predicted) at `point`, zero when an outcome constraint is met.
    @inline(__always)
    func residual(_ point: SolverPoint, _ runtime: SolverPoint.Runtime) -> Double {
        clamped(logTarget - log(predicted(point, runtime)))
    }

    /// The log residual `r`, or zero when this row is an outcome whose constraint it meets.
    @inline(__always)
    func clamped(_ r: Double) -> Double {
        switch kind {
        case .measured: r
        case .ran: r >= 0 ? 0 : r
        case .outOfMemory: r < 0 ? 0 : r
        }
    }

    /// `residual(_:_:)` with this row's runtime triple looked up.
    func residual(_ point: SolverPoint) -> Double { residual(point, point.runtimes[Int(runtime)]) }

    /// The gradient of log(predicted) with respect to the parameters at `point`, zero where a bound holds a parameter
    /// (also where an outcome constraint is met: the prior's information needs it as if the constraint were active).
    @inline(__always)
    func jacobian(_ point: SolverPoint, _ runtime: SolverPoint.Runtime) -> SIMD4<Double> {
        let sa = point.activationScale * activations
        let sm = point.modelStateScale * modelStates
        let allocated = max(sa + sm + other, 1)
        let total = allocated * runtime.growth + runtime.context
        // Lane by lane the same quotients as four scalar divisions, in two instructions.
        return SIMD4(sa * runtime.growth, sm * runtime.growth, allocated * runtime.reserveSlope, runtime.contextSlope)
            / SIMD4(repeating: total)
    }

    /// The first lane of `jacobian`: the gradient of log(predicted) with respect to the log activation scale.
    @inline(__always)
    func activationSlope(_ point: SolverPoint, _ runtime: SolverPoint.Runtime) -> Double {
        let sa = point.activationScale * activations
        let sm = point.modelStateScale * modelStates
        let allocated = max(sa + sm + other, 1)
        return sa * runtime.growth / (allocated * runtime.growth + runtime.context)
    }
}

/// The runtime defaults of an observation's architecture and the counter it reads (0 allocated, 1 reserved,
/// 2 deviceUsed; an outcome's is the level of its capacity: deviceUsed for a card, reserved for a cap).
struct SolverRuntime: Hashable, Sendable {
    var defaultReserve: Double
    var defaultContext: Double
    var level: UInt8
}

/// The distinct runtime triples of a fit's observations, numbered in order of first appearance.
struct SolverRuntimes: Sendable {
    private(set) var all: [SolverRuntime] = []

    /// The number of `runtime`, adding it when new: a search of the few there are (an architecture's defaults times
    /// three counters), no hashing.
    mutating func number(_ runtime: SolverRuntime) -> UInt16 {
        if let known = all.firstIndex(of: runtime) { return UInt16(known) }
        precondition(all.count < Int(UInt16.max), "more runtime defaults than a row can name")
        all.append(runtime)
        return UInt16(all.count - 1)
    }
}

/// What every row's residual needs from the parameters, computed once per point rather than once per row: the two
/// exponentials, and per runtime triple the reserve growth and the context. The values are those the per-row
/// expressions gave, bit for bit.
struct SolverPoint {
    /// One runtime triple at the point: predicted = allocated × growth + context.
    struct Runtime {
        /// 1 + the reserve ratio for a reserved or device reading, else exactly 1.
        var growth: Double
        /// The runtime context for a device reading, else exactly 0 (bytes).
        var context: Double
        /// 1 where d(reserved)/d(reserve ratio delta) = allocated (the ratio within its bounds), else 0.
        var reserveSlope: Double
        /// d(predicted)/d(context delta in GiB): one GiB in bytes where the context is within its bounds, else 0.
        var contextSlope: Double
    }

    var activationScale: Double
    var modelStateScale: Double
    var runtimes: [Runtime]

    init(_ p: CalibrationParameters, runtimes: [SolverRuntime]) {
        activationScale = exp(p.logActivationScale)
        modelStateScale = exp(p.logModelStateScale)
        let contextDelta = p.contextDeltaGiB * CalibrationParameters.gib
        let gib = CalibrationParameters.gib
        self.runtimes = runtimes.map { runtime in
            var at = Runtime(growth: 1, context: 0, reserveSlope: 0, contextSlope: 0)
            if runtime.level >= 1 {
                let raw = runtime.defaultReserve + p.reserveRatioDelta
                at.growth = 1 + min(max(raw, 0), 1)
                if raw > 0 && raw < 1 { at.reserveSlope = 1 }
            }
            if runtime.level == 2 {
                let raw = runtime.defaultContext + contextDelta
                at.context = min(max(raw, 0), 8 * gib)
                if raw > 0 && raw < 8 * gib { at.contextSlope = gib }
            }
            return at
        }
    }
}

extension SolverRow {
    /// Each row's residual at `p`, in order, computed on every core in blocks (a scope's starting point, the
    /// analytic model for the gate): the same values as one pass.
    static func residuals(
        _ rows: [SolverRow], _ indices: [Int]? = nil, at p: CalibrationParameters, runtimes: [SolverRuntime]
    ) -> [Double] {
        let point = SolverPoint(p, runtimes: runtimes)
        let count = indices?.count ?? rows.count
        let block = 16_384
        let blocks = ParallelMap.map((count + block - 1) / block) { number -> [Double] in
            let range = (number * block)..<min(count, (number + 1) * block)
            guard let indices else { return range.map { rows[$0].residual(point) } }
            return range.map { rows[indices[$0]].residual(point) }
        }
        guard blocks.count != 1 else { return blocks[0] }
        var result: [Double] = []
        result.reserveCapacity(count)
        for values in blocks { result += values }
        return result
    }
}
