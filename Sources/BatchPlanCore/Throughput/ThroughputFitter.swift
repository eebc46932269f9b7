import Foundation

/// One measured step time with the step-time model's uncalibrated parts at the run's configuration.
public struct ThroughputObservation: Hashable, Codable, Sendable {
    /// The run's id, for saying which runs a scope learned from.
    public var id: String
    public var path: ThroughputScopePath
    /// Whether the run's precision runs its matmuls on tensor cores.
    public var tensorCores: Bool
    /// Compute-bound and memory-bound time of one micro-step's roofline at the default utilisation, seconds.
    public var computeSeconds: Double
    public var memorySeconds: Double
    /// Layer passes of one micro-step (launch overhead).
    public var passes: Double
    /// Micro-steps per optimizer step.
    public var microSteps: Int
    /// The bandwidth-bound update time (optimizer, casts, dequantization), seconds per step.
    public var updateSeconds: Double
    /// The measured step time, seconds.
    public var measuredSeconds: Double
    /// Samples per optimizer step (micro-batch × accumulation × GPUs).
    public var samples: Int
    /// The run's configuration in words, for reports: "bf16-amp adamw ckpt=none batch 64".
    public var label: String

    public init(
        id: String, path: ThroughputScopePath, tensorCores: Bool, computeSeconds: Double, memorySeconds: Double, passes: Double,
        microSteps: Int, updateSeconds: Double, measuredSeconds: Double, samples: Int, label: String = ""
    ) {
        self.samples = samples
        self.label = label
        self.id = id
        self.path = path
        self.tensorCores = tensorCores
        self.computeSeconds = computeSeconds
        self.memorySeconds = memorySeconds
        self.passes = passes
        self.microSteps = microSteps
        self.updateSeconds = updateSeconds
        self.measuredSeconds = measuredSeconds
    }

    /// The step time `factors` predict for this run, seconds.
    public func predicted(_ factors: ThroughputFactors) -> Double {
        Double(microSteps)
            * (computeSeconds * factors.scale(tensorCores: tensorCores) + memorySeconds * factors.memoryScale
                + passes * factors.overheadPerPassSeconds) + updateSeconds
    }
}

/// Fits `ThroughputFactors` per scope from measured step times.
///
/// Each scope solves a small weighted least-squares problem in relative error — measured ≈ micro-steps × (compute
/// scale × compute-bound time + memory scale × memory-bound time + overhead × passes) + update — with a ridge toward
/// its parent worth `priorWeight` runs (so a scope with few runs stays near its parent, as the memory calibration
/// shrinks its factors), then one Huber reweighting pass (30% relative) so a run disturbed by a warm-up hiccup
/// barely moves it. The scopes across cards (global, family) keep the compute scales at their parent's: utilisation
/// belongs to a card. Scales are bounded so that utilisation and bandwidth efficiency stay at most 100% (and above 1/20 of the
/// defaults), and
/// the overhead to 0 … 1 ms per pass.
public struct ThroughputFitter: Sendable {
    /// Bumped whenever a change to the step-time model's uncalibrated parts or to this fitter changes fitted
    /// factors: part of the calibration stamp, so a step-time calibration stored by older code is refitted.
    public static let codeVersion = 1

    public var priorWeight: Double = 5
    public var huber: Double = 0.3

    public init() {}

    public func fit(_ observations: [ThroughputObservation]) -> ThroughputCalibration {
        var scopes: [String: ThroughputFactors] = [:]
        let levels = 4
        // Each distinct path's scope keys, built once: a model's runs on a card share them (the keys, made per run,
        // and the copies of every run into its groups were most of a fit over 40,000 runs).
        var pathNumber: [ThroughputScopePath: Int] = [:]
        var keys: [[String]] = []
        var paths: [Int] = []
        paths.reserveCapacity(observations.count)
        for index in observations.indices {
            let path = observations[index].path
            if index > 0, observations[index - 1].path == path {
                paths.append(paths[index - 1])
                continue
            }
            let number =
                pathNumber[path] ?? {
                    pathNumber[path] = keys.count
                    keys.append(path.keys)
                    return keys.count - 1
                }()
            paths.append(number)
        }
        // The paths in the order of their last run: a scope's parent is the one its last run names.
        var lastRun = [Int](repeating: 0, count: keys.count)
        for (index, number) in paths.enumerated() { lastRun[number] = index }
        let byLastRun = keys.indices.sorted { lastRun[$0] < lastRun[$1] }
        // Top-down: each level's scopes shrink toward the scope one level up on the same path.
        for level in 0..<levels {
            // Per scope, its runs in the order given (the order its sums are taken in), gathered through each
            // path's scope number rather than a key hashed per run.
            var scopeOf = [Int](repeating: 0, count: keys.count)
            var numbers: [String: Int] = [:]
            var scopeKeys: [String] = []
            for number in keys.indices {
                let key = keys[number][level]
                scopeOf[number] = numbers[key] ?? {
                    numbers[key] = scopeKeys.count
                    scopeKeys.append(key)
                    return scopeKeys.count - 1
                }()
            }
            var members = [[Int]](repeating: [], count: scopeKeys.count)
            for (index, number) in paths.enumerated() { members[scopeOf[number]].append(index) }
            var parents: [String: String] = [:]
            if level > 0 { for number in byLastRun { parents[keys[number][level]] = keys[number][level - 1] } }
            for (key, group) in zip(scopeKeys, members) {
                let parent = level == 0 ? ThroughputFactors.defaults : parents[key].flatMap { scopes[$0] } ?? .defaults
                scopes[key] = fitScope(observations, group, parent: parent, key: key, fitsUtilization: level >= 2)
            }
        }
        return ThroughputCalibration(scopes: scopes)
    }

    /// One scope: four parameters (tensor scale, fp32 scale, memory scale, overhead) by ridge-regularised relative
    /// least squares; without `fitsUtilization` the two compute scales stay at the parent's.
    ///
    /// - Parameter indices: the scope's runs among `observations`, in the order the sums take them.
    func fitScope(
        _ observations: [ThroughputObservation], _ indices: [Int], parent: ThroughputFactors, key: String,
        fitsUtilization: Bool
    ) -> ThroughputFactors {
        let prior = [parent.tensorScale, parent.vectorScale, parent.memoryScale, parent.overheadPerPassSeconds]
        let n = prior.count
        var weights = [Double](repeating: 1, count: indices.count)
        var solution = prior
        for _ in 0..<2 {
            // Normal equations in fixed-size values: no allocation per row (a refit reads tens of thousands).
            var ata = [SIMD4<Double>](repeating: .zero, count: n)
            var atb = SIMD4<Double>.zero
            var typical = SIMD4<Double>.zero
            var counts = SIMD4<Double>.zero
            // Each run read in place: iterating copies of them retained and released their strings.
            for (slot, index) in indices.enumerated() {
                let weight = weights[slot]
                let micro = Double(observations[index].microSteps)
                let tensorCores = observations[index].tensorCores
                let compute = observations[index].computeSeconds
                let measured = observations[index].measuredSeconds
                var x = SIMD4<Double>(
                    tensorCores ? micro * compute : 0, tensorCores ? 0 : micro * compute,
                    micro * observations[index].memorySeconds, micro * observations[index].passes) / measured
                var y = (measured - observations[index].updateSeconds) / measured
                if !fitsUtilization {
                    // Fixed compute scales: move their contribution to the target.
                    y -= x[0] * prior[0] + x[1] * prior[1]
                    x[0] = 0
                    x[1] = 0
                }
                atb += weight * x * y
                for i in 0..<n { ata[i] += weight * x[i] * x }
                let present = x .> 0
                typical.replace(with: typical + x * x, where: present)
                counts.replace(with: counts + 1, where: present)
            }
            // Ridge toward the parent, worth `priorWeight` typical rows per parameter.
            var system = ata.map { Array([$0[0], $0[1], $0[2], $0[3]]) }
            var rhs = [atb[0], atb[1], atb[2], atb[3]]
            for i in 0..<n {
                let d = counts[i] > 0 ? typical[i] / counts[i] : 1
                system[i][i] += priorWeight * d
                rhs[i] += priorWeight * d * prior[i]
            }
            solution = Self.solve(system, rhs) ?? prior
            // Utilisation at most 100% of the peak: a scale no lower than the default utilisation.
            solution[0] = min(max(solution[0], ThroughputFactors.Defaults.tensorCoreUtilization), 20)
            solution[1] = min(max(solution[1], ThroughputFactors.Defaults.fp32Utilization), 20)
            // Memory-bound time cannot beat the spec-sheet bandwidth: efficiency at most 100%.
            solution[2] = min(max(solution[2], ThroughputFactors.Defaults.bandwidthEfficiency), 20)
            solution[3] = min(max(solution[3], 0), 1e-3)
            let factors = ThroughputFactors(
                tensorScale: solution[0], vectorScale: solution[1], memoryScale: solution[2],
                overheadPerPassSeconds: solution[3])
            weights = indices.map { index in
                let r = abs(observations[index].predicted(factors) / observations[index].measuredSeconds - 1)
                return r <= huber ? 1 : huber / r
            }
        }
        let factors = ThroughputFactors(
            tensorScale: solution[0], vectorScale: solution[1], memoryScale: solution[2],
            overheadPerPassSeconds: solution[3], scope: key, runsUsed: indices.count)
        let errors = indices.map { abs(observations[$0].predicted(factors) / observations[$0].measuredSeconds - 1) }
            .sorted()
        var result = factors
        result.medianRelativeError = errors.isEmpty ? 0 : errors[errors.count / 2]
        return result
    }

    /// Gaussian elimination with partial pivoting for a small dense system; `nil` when singular.
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        var m = a
        var v = b
        let n = v.count
        for column in 0..<n {
            guard let pivot = (column..<n).max(by: { abs(m[$0][column]) < abs(m[$1][column]) }),
                abs(m[pivot][column]) > 1e-300
            else { return nil }
            m.swapAt(column, pivot)
            v.swapAt(column, pivot)
            for row in (column + 1)..<n {
                let f = m[row][column] / m[column][column]
                for k in column..<n { m[row][k] -= f * m[column][k] }
                v[row] -= f * v[column]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var sum = v[row]
            for k in (row + 1)..<n { sum -= m[row][k] * x[k] }
            x[row] = sum / m[row][row]
        }
        return x
    }
}
