import Foundation

/// Synthetic runs drawn from the calibrated memory model itself, with known factors and log-normal noise.
///
/// Used by the tests (does the fit recover the factors it was generated with?) and by the benchmark (how long does a
/// fit over 100,000 runs take?). Deterministic for a given seed.
public enum CalibrationSynthesis {
    /// Draws `count` observations at the given paths (round robin), with `truth` applied to every one.
    ///
    /// Sizes are drawn log-uniformly: model states 0.5–20 GiB, activations 0.5–40 GiB, other 0.05–0.5 GiB; the defaults
    /// are a 5 % reserve and a 512 MiB context. A share `outcomeShare` become outcome constraints whose capacity lies
    /// 2–30 % above or below the true deviceUsed; the rest are measurements of the three counters in turn, with
    /// multiplicative noise exp(N(0, noiseLogSD)). Every ten consecutive observations share a source.
    public static func observations(
        count: Int, seed: UInt64, truth: CalibrationParameters, paths: [CalibrationScopePath],
        noiseLogSD: Double = 0.03, outcomeShare: Double = 0.2, sourcePrefix: String = "synthetic"
    ) -> [CalibrationObservation] {
        precondition(!paths.isEmpty, "need at least one scope path")
        var random = SplitMix64(seed: seed)
        let gib = CalibrationParameters.gib
        var result: [CalibrationObservation] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            let decomposition = CalibrationDecomposition(
                modelStates: random.logUniform(0.5, 20) * gib, activations: random.logUniform(0.5, 40) * gib,
                other: random.logUniform(0.05, 0.5) * gib, defaultReserveRatio: 0.05, defaultContextBytes: 0.5 * gib)
            let factors = truth.factors(
                defaultReserveRatio: decomposition.defaultReserveRatio,
                defaultContextBytes: decomposition.defaultContextBytes)
            let evidence: CalibrationEvidence
            if random.unit() < outcomeShare {
                let need = decomposition.predicted(.deviceUsed, with: factors)
                let ran = random.unit() < 0.5
                let margin = 0.02 + 0.28 * random.unit()
                evidence = .outcome(ran: ran, capacityBytes: need * exp(ran ? margin : -margin))
            } else {
                let counter = CalibrationCounter.allCases[index % 3]
                let exact = decomposition.predicted(counter, with: factors)
                evidence = .measured(counter: counter, bytes: exact * exp(noiseLogSD * random.gaussian()))
            }
            result.append(
                CalibrationObservation(
                    id: "\(sourcePrefix)-\(index)", source: "\(sourcePrefix):\(index / 10)",
                    path: paths[index % paths.count], decomposition: decomposition, evidence: evidence))
        }
        return result
    }

    /// 100,000 (or `count`) runs over 2 frameworks × 3 GPUs × 5 families × 4 models: the benchmark's workload.
    public static func benchmarkObservations(count: Int = 100_000, seed: UInt64 = 42) -> [CalibrationObservation] {
        var paths: [CalibrationScopePath] = []
        for framework in ["pytorch-2.4", "pytorch-1.12"] {
            for (gpu, architecture) in [("A100 80GB SXM", "ampere"), ("H100 SXM", "hopper"), ("RTX 3090", "ampere")] {
                for family in ["llama", "gpt2", "resnet", "vit", "bert"] {
                    for model in 1...4 {
                        paths.append(
                            CalibrationScopePath(
                                framework: framework, architecture: architecture, gpu: gpu, family: family,
                                model: "\(family)-\(model)"))
                    }
                }
            }
        }
        let truth = CalibrationParameters(
            logActivationScale: log(1.3), logModelStateScale: log(1.05), reserveRatioDelta: 0.03,
            contextDeltaGiB: 0.4)
        return observations(count: count, seed: seed, truth: truth, paths: paths)
    }

    /// Fits the benchmark workload once and returns the seconds the fit took (generation excluded).
    public static func timeBenchmarkFit(count: Int = 100_000) -> (seconds: Double, model: CalibrationModel) {
        let observations = benchmarkObservations(count: count)
        let clock = ContinuousClock()
        var model = CalibrationModel.analytic
        let elapsed = clock.measure { model = CalibrationFitter.fit(observations) }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return (seconds, model)
    }
}

/// A small, fast, seedable generator (SplitMix64, Steele et al. 2014), so synthetic runs are reproducible.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    mutating func logUniform(_ low: Double, _ high: Double) -> Double { exp(log(low) + (log(high) - log(low)) * unit()) }

    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Double {
        let u = max(unit(), 1e-300)
        return sqrt(-2 * log(u)) * cos(2 * Double.pi * unit())
    }
}
