import Foundation
import Testing

@testable import BatchPlanCore

/// A large solve (`Options.largeSolveRows` rows or more) starts from a sample's fit and takes Newton steps: it must
/// end where the reweighted walk from the parent ends, scope by scope, and the gate must reach the same verdicts.
@Suite("Calibration large solves")
struct CalibrationLargeSolveTests {
    typealias F = CalibrationFixtures

    static let paths = [
        F.path(family: "llama", model: "llama-2-7b"), F.path(family: "llama", model: "llama-2-13b"),
        F.path(gpu: "RTX 3090", family: "resnet", model: "resnet50"),
        F.path(framework: "pytorch-1.12", gpu: "RTX 3090", family: "resnet", model: "resnet18"),
    ]

    struct Case: Sendable, CustomTestStringConvertible {
        var noise: Double
        var outcomeShare: Double
        var truth: CalibrationParameters
        var testDescription: String { "noise \(noise), outcomes \(outcomeShare)" }
    }

    @Test(
        "the large path ends where the reweighted walk from the parent ends, with the same verdicts",
        arguments: [
            Case(noise: 0.03, outcomeShare: 0.2, truth: F.truth(activationScale: 1.3, reserve: 0.1, contextMiB: 900)),
            Case(
                noise: 0.12, outcomeShare: 0.45,
                truth: F.truth(activationScale: 0.8, modelStateScale: 1.15, reserve: 0.25, contextMiB: 300)),
        ])
    func sameOptimum(_ c: Case) {
        let runs = CalibrationSynthesis.observations(
            count: 6_000, seed: 5, truth: c.truth, paths: Self.paths, noiseLogSD: c.noise, outcomeShare: c.outcomeShare)
        var large = F.options
        large.largeSolveRows = 1_000
        var walk = F.options
        walk.largeSolveRows = .max
        let fast = CalibrationFitter.fit(runs, options: large)
        let plain = CalibrationFitter.fit(runs, options: walk)
        #expect(fast.parameters.keys.sorted { $0.key < $1.key } == plain.parameters.keys.sorted { $0.key < $1.key })
        // The global, framework and GPU scopes hold 1,500 to 6,000 rows (large here); the model scopes under 1,000.
        #expect(fast.factors.values.filter { $0.runsUsed >= 1_000 }.count >= 4)
        for (scope, p) in plain.parameters {
            let q = fast.parameters[scope]!
            for index in 0..<CalibrationParameters.count {
                #expect(abs(p[index] - q[index]) < 2e-5, "\(scope.key) parameter \(index): \(p[index]) vs \(q[index])")
            }
            let (a, b) = (plain.factors[scope]!, fast.factors[scope]!)
            #expect(a.applied == b.applied, "\(scope.key)")
            if let before = a.gateErrorAfter, let after = b.gateErrorAfter {
                #expect(abs(before - after) <= 1e-4 * before, "\(scope.key) held-out error \(before) vs \(after)")
            }
        }
    }
}
