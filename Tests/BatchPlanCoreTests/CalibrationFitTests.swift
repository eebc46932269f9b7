import Foundation
import Testing

@testable import BatchPlanCore

/// Shared values for the calibration tests.
enum CalibrationFixtures {
    static let gib = 1_073_741_824.0
    static let mib = 1_048_576.0

    static let path = CalibrationScopePath(
        framework: "pytorch-2.4", architecture: "ampere", gpu: "A100 80GB SXM", family: "llama", model: "llama-2-7b")

    static func path(framework: String = "pytorch-2.4", gpu: String = "A100 80GB SXM", family: String, model: String)
        -> CalibrationScopePath
    {
        CalibrationScopePath(framework: framework, architecture: "ampere", gpu: gpu, family: family, model: model)
    }

    /// Truth with the synthetic generator's defaults (5 % reserve, 512 MiB context) turned into absolute values.
    static func truth(activationScale: Double, modelStateScale: Double = 1, reserve: Double, contextMiB: Double)
        -> CalibrationParameters
    {
        CalibrationParameters(
            logActivationScale: log(activationScale), logModelStateScale: log(modelStateScale),
            reserveRatioDelta: reserve - 0.05, contextDeltaGiB: (contextMiB - 512) / 1024)
    }

    static let fixedDate = Date(timeIntervalSince1970: 1_800_000_000)
    static let options = CalibrationFitter.Options(fittedAt: fixedDate)

    static func measured(
        _ id: String, source: String = "s", path: CalibrationScopePath = path, modelStates: Double = 10 * gib,
        activations: Double, counter: CalibrationCounter = .allocated, bytes: Double
    ) -> CalibrationObservation {
        CalibrationObservation(
            id: id, source: source, path: path,
            decomposition: CalibrationDecomposition(
                modelStates: modelStates, activations: activations, other: 0.2 * gib, defaultReserveRatio: 0.05,
                defaultContextBytes: 512 * mib),
            evidence: .measured(counter: counter, bytes: bytes))
    }
}

@Suite("Calibration fit")
struct CalibrationFitTests {
    typealias F = CalibrationFixtures

    @Test(
        "recovers the factors synthetic runs were generated with, within a few percent",
        arguments: [(1.3, 1.0, 0.08, 900.0), (0.8, 1.2, 0.15, 1_500.0), (1.6, 0.9, 0.02, 400.0)])
    func recoversKnownFactors(activationScale: Double, modelStateScale: Double, reserve: Double, contextMiB: Double) {
        let truth = F.truth(
            activationScale: activationScale, modelStateScale: modelStateScale, reserve: reserve, contextMiB: contextMiB)
        let runs = CalibrationSynthesis.observations(count: 3_000, seed: 7, truth: truth, paths: [F.path])
        let model = CalibrationFitter.fit(runs, options: F.options)
        let f = model.resolve(F.path, defaultReserveRatio: 0.05, defaultContextBytes: 512 * F.mib)
        // Every run shares one path, so the deeper scopes cannot beat the first that fits them held-out, and the gate
        // keeps that one; whichever it is, it carries the truth.
        #expect(F.path.scopes.contains(f.scope) && model.factors[f.scope]!.applied)
        #expect(abs(f.activationScale / activationScale - 1) < 0.02)
        #expect(abs(f.modelStateScale / modelStateScale - 1) < 0.02)
        #expect(abs(f.allocatorReserveRatio! - reserve) < 0.005)
        #expect(abs(Double(f.runtimeContextBytes!) / (contextMiB * F.mib) - 1) < 0.05)
        #expect(abs(f.logSpread - 0.03) < 0.006, "the residual spread is the generator's noise")
    }

    @Test("fitted factors carry their scope, run count, residual spread and time of fitting")
    func factorsCarryProvenance() {
        let runs = CalibrationSynthesis.observations(
            count: 60, seed: 1, truth: .analytic, paths: [F.path], noiseLogSD: 0.05, outcomeShare: 0)
        let model = CalibrationFitter.fit(runs, options: F.options)
        for scope in F.path.scopes {
            let f = model.factors[scope]!
            #expect(f.scope == scope)
            #expect(f.runsUsed == 60)
            #expect(f.fittedAt == F.fixedDate)
            #expect(f.logSpread > 0.02 && f.logSpread < 0.1)
        }
        #expect(model.factors[.global]!.allocatorReserveRatio == nil, "global mixes architectures: no absolute reserve")
        #expect(model.factors[F.path.scopes[2]]!.allocatorReserveRatio != nil)
    }

    @Test("one bad row barely moves a scope")
    func outlierBarelyMovesTheFit() {
        let truth = F.truth(activationScale: 1.3, reserve: 0.05, contextMiB: 512)
        let clean = CalibrationSynthesis.observations(
            count: 30, seed: 3, truth: truth, paths: [F.path], outcomeShare: 0)
        let bad = F.measured("bad", activations: 20 * F.gib, bytes: 5 * (10 + 1.3 * 20 + 0.2) * F.gib)
        let before = CalibrationFitter.fit(clean, options: F.options).resolve(F.path)
        let after = CalibrationFitter.fit(clean + [bad], options: F.options).resolve(F.path)
        #expect(abs(log(after.activationScale / before.activationScale)) < 0.01)
        #expect(abs(log(after.modelStateScale / before.modelStateScale)) < 0.01)
        // Least squares (a Huber corner too wide to bind) would have been dragged by the same row.
        var leastSquares = F.options
        leastSquares.huberDelta = 100
        leastSquares.minimumHuberDelta = 100
        let dragged = CalibrationFitter.fit(clean + [bad], options: leastSquares).resolve(F.path)
        let cleanLS = CalibrationFitter.fit(clean, options: leastSquares).resolve(F.path)
        let moved = abs(log(dragged.activationScale / cleanLS.activationScale))
            + abs(log(dragged.modelStateScale / cleanLS.modelStateScale))
        #expect(moved > 0.03)
    }

    @Test("scales, reserve and context stay within their bounds however wild the data")
    func parametersStayBounded() {
        let wild = (0..<20).map {
            F.measured("w\($0)", activations: Double(1 + $0) * F.gib, counter: .deviceUsed, bytes: 500 * F.gib)
        }
        let f = CalibrationFitter.fit(wild, options: F.options).resolve(
            F.path, defaultReserveRatio: 0.05, defaultContextBytes: 512 * F.mib)
        #expect(f.activationScale <= 2.5 + 1e-9 && f.modelStateScale <= 2.5 + 1e-9)
        #expect(f.allocatorReserveRatio! <= 1 && f.allocatorReserveRatio! >= 0)
        #expect(Double(f.runtimeContextBytes!) <= 8 * F.gib)
    }

    @Test("with no runs every scope resolves to the analytic model")
    func noRunsIsAnalytic() {
        let f = CalibrationFitter.fit([], options: F.options).resolve(F.path)
        #expect(f.activationScale == 1 && f.modelStateScale == 1)
        #expect(f.allocatorReserveRatio == nil && f.runtimeContextBytes == nil)
    }

    @Test("the benchmark workload of 100,000 runs is generated deterministically and a slice of it fits to its truth")
    func benchmarkWorkloadFits() {
        let runs = CalibrationSynthesis.benchmarkObservations(count: 5_000)
        #expect(runs == CalibrationSynthesis.benchmarkObservations(count: 5_000))
        let f = CalibrationFitter.fit(runs, options: F.options).factors[.global]!
        #expect(abs(f.activationScale / 1.3 - 1) < 0.02)
        #expect(abs(f.modelStateScale / 1.05 - 1) < 0.02)
    }

    /// One scope of a fit as the straightforward solver and gate (before the one-sweep solver, the shared scope rows
    /// and the parallel refits) fitted it: `Fixtures/calibration_fit_reference.json`, captured from that code.
    struct ReferenceScope: Codable {
        var scope: String
        var parameters: [Double]
        var applied: Bool
        var errorBefore: Double?
        var errorAfter: Double?
        var skipReason: String?
        var logSpread: Double
        var runsUsed: Int
        var models: Int
        var allocatorReserveRatio: Double?
        var runtimeContextBytes: Int?
    }

    /// The reference's workloads: a slice of the benchmark (every level, most scopes skipped by the gate, some
    /// applied), a larger one whose big scopes estimate the Huber corner from a strided sample rather than from every
    /// run (captured from the code before the two-pass line search), and three paths under two frameworks with more
    /// noise and outcomes, one path stopping at the family.
    static func referenceWorkloads() -> [String: [CalibrationObservation]] {
        let truth = CalibrationParameters(
            logActivationScale: log(0.85), logModelStateScale: log(1.1), reserveRatioDelta: 0.06, contextDeltaGiB: -0.2)
        let paths = [
            F.path(family: "llama", model: "llama-2-7b"), F.path(family: "llama", model: "llama-2-13b"),
            CalibrationScopePath(framework: "jax-0.4", architecture: "hopper", gpu: "H100 SXM", family: "gpt2"),
        ]
        return [
            "benchmark-2400": CalibrationSynthesis.benchmarkObservations(count: 2_400, seed: 3),
            "benchmark-12000": CalibrationSynthesis.benchmarkObservations(count: 12_000, seed: 11),
            "three-paths-900": CalibrationSynthesis.observations(
                count: 900, seed: 5, truth: truth, paths: paths, noiseLogSD: 0.05, outcomeShare: 0.3),
        ]
    }

    @Test("the fit gives every scope the factors, spread and gate verdict the straightforward fit gave")
    func matchesTheReferenceFit() throws {
        let url = try #require(
            Bundle.module.url(forResource: "calibration_fit_reference", withExtension: "json", subdirectory: "Fixtures"))
        let reference = try JSONDecoder().decode([String: [ReferenceScope]].self, from: Data(contentsOf: url))
        let workloads = Self.referenceWorkloads()
        #expect(Set(reference.keys) == Set(workloads.keys))
        // The same sums in the same order give the same bits here; the tolerance is for another platform's libm.
        func close(_ a: Double?, _ b: Double?) -> Bool {
            guard let a, let b else { return a == nil && b == nil }
            return abs(a - b) <= 1e-9 * max(1, abs(b))
        }
        for (name, runs) in workloads {
            let model = CalibrationFitter.fit(runs, options: F.options)
            let expected = try #require(reference[name])
            #expect(model.factors.count == expected.count, "\(name)")
            for want in expected {
                let (scope, f) = try #require(model.factors.first { "\($0.key)" == want.scope }, "\(name) \(want.scope)")
                let p = try #require(model.parameters[scope])
                let got = [p.logActivationScale, p.logModelStateScale, p.reserveRatioDelta, p.contextDeltaGiB]
                #expect(zip(got, want.parameters).allSatisfy { close($0, $1) }, "\(name) \(want.scope): \(got)")
                #expect(f.applied == want.applied && f.skipReason == want.skipReason, "\(name) \(want.scope)")
                #expect(close(f.gateErrorBefore, want.errorBefore) && close(f.gateErrorAfter, want.errorAfter))
                #expect(close(f.logSpread, want.logSpread) && close(f.allocatorReserveRatio, want.allocatorReserveRatio))
                #expect(f.runsUsed == want.runsUsed && f.models == want.models)
                #expect(f.runtimeContextBytes == want.runtimeContextBytes, "\(name) \(want.scope)")
            }
        }
    }

    @Test("the median by selection is the median by sorting, with ties and even counts")
    func medianBySelection() {
        var random = SplitMix64(state: 9)
        for count in [1, 2, 3, 4, 5, 10, 11, 64, 999, 2_000] {
            for ties in [false, true] {
                var values = (0..<count).map { _ in ties ? Double(random.next() % 7) : Double.random(in: -0.5..<0.5, using: &random) }
                let sorted = values.sorted()
                let mid = count / 2
                let expected = count % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid])
                #expect(ScopeSolver.median(&values) == expected, "\(count) values, ties: \(ties)")
            }
        }
    }
}

@Suite("The calibration's uncertainty factor")
struct UncertaintyFactorTests {
    @Test("a real spread gives its one-sided 90% factor; an absurd or undefined one stays bounded")
    func bounded() {
        #expect(PhaseModel.uncertaintyFactor(logSpread: 0.1) == exp(1.2816 * 0.1))
        #expect(PhaseModel.uncertaintyFactor(logSpread: 0) == 1)
        #expect(PhaseModel.uncertaintyFactor(logSpread: -1) == 1)
        #expect(PhaseModel.uncertaintyFactor(logSpread: 31) == PhaseModel.maximumUncertaintyFactor)
        #expect(PhaseModel.uncertaintyFactor(logSpread: .infinity) == PhaseModel.maximumUncertaintyFactor)
        #expect(PhaseModel.uncertaintyFactor(logSpread: .nan) == 1)
    }
}
