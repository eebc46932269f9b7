import Foundation
import Testing

@testable import BatchPlanCore

@Suite("Calibration shrinkage")
struct CalibrationShrinkageTests {
    typealias F = CalibrationFixtures

    /// 500 runs of a family where the analytic model is right, plus two models whose activations are really 1.8×:
    /// one with a single run, one with 200.
    static let common = (0..<5).map { F.path(family: "llama", model: "llama-\($0)") }
    static let lonely = F.path(family: "llama", model: "llama-lonely")
    static let rich = F.path(family: "llama", model: "llama-rich")
    static let skewed = F.truth(activationScale: 1.8, reserve: 0.05, contextMiB: 512)

    static let model: CalibrationModel = {
        let base = CalibrationSynthesis.observations(
            count: 500, seed: 5, truth: .analytic, paths: common, outcomeShare: 0, sourcePrefix: "base")
        let one = CalibrationSynthesis.observations(
            count: 1, seed: 6, truth: skewed, paths: [lonely], noiseLogSD: 0, outcomeShare: 0, sourcePrefix: "lonely")
        let many = CalibrationSynthesis.observations(
            count: 200, seed: 7, truth: skewed, paths: [rich], outcomeShare: 0, sourcePrefix: "rich")
        return CalibrationFitter.fit(base + one + many, options: F.options)
    }()

    @Test("a scope with one run stays near its parent")
    func oneRunStaysNearParent() {
        let own = Self.model.factors[Self.lonely.scopes.last!]!
        let parent = Self.model.factors[Self.lonely.scopes[4]]!
        #expect(own.runsUsed == 1)
        #expect(abs(log(own.activationScale / parent.activationScale)) < log(1.8) / 4)
    }

    @Test("a scope with 200 runs follows its own data")
    func manyRunsFollowData() {
        let own = Self.model.factors[Self.rich.scopes.last!]!
        #expect(own.runsUsed == 200)
        #expect(abs(own.activationScale / 1.8 - 1) < 0.03)
    }

    @Test("resolve skips a scope with fewer runs than the minimum and uses its parent")
    func resolveNeedsMinimumEvidence() {
        #expect(Self.model.resolve(Self.lonely).scope == Self.lonely.scopes[4])
        #expect(Self.model.resolve(Self.rich).scope == Self.rich.scopes.last!)
        let unseenAmpereCard = F.path(gpu: "RTX 3090", family: "llama", model: "llama-rich")
        #expect(Self.model.resolve(unseenAmpereCard).scope == CalibrationScope(level: .architecture, key: "pytorch-2.4/ampere"))
        let unseenArchitecture = CalibrationScopePath(
            framework: "pytorch-2.4", architecture: "hopper", gpu: "H100 SXM", family: "llama", model: "llama-rich")
        #expect(Self.model.resolve(unseenArchitecture).scope == CalibrationScope(level: .framework, key: "pytorch-2.4"))
    }

    @Test("the parent's weight is the documented k runs: one exact run moves a fresh scope 1/(1+k) of the way")
    func shrinkageWeightIsKRuns() {
        // A single reading 5 % above the analytic value (inside the Huber corner, so it counts as a full run), k = 5.
        let path = F.path(family: "x", model: "y")
        let run = F.measured("one", path: path, modelStates: 0, activations: 10 * F.gib, bytes: 10.71 * F.gib)
        var options = F.options
        options.minimumRuns = 1
        let global = CalibrationFitter.fit([run], options: options).factors[.global]!
        let share = log(global.activationScale) / log(1.051)
        #expect(abs(share - 1.0 / 6.0) < 0.02, "share \(share)")
    }
}

@Suite("Calibration resolve")
struct CalibrationResolveTests {
    typealias F = CalibrationFixtures

    @Test("resolving by spelled-out keys matches resolving by path, and fills runtime terms from given defaults")
    func resolveBySpelledOutKeys() {
        let truth = F.truth(activationScale: 1.2, reserve: 0.1, contextMiB: 1_024)
        let model = CalibrationFitter.fit(
            CalibrationSynthesis.observations(count: 300, seed: 2, truth: truth, paths: [F.path]), options: F.options)
        let byKeys = model.resolve(
            framework: "pytorch-2.4", gpu: "A100 80GB SXM", architecture: "ampere", family: "llama",
            model: "llama-2-7b")
        #expect(byKeys == model.resolve(F.path))
        // A run on a card with other defaults gets the same corrections applied to its own defaults.
        let other = model.resolve(F.path, defaultReserveRatio: 0.2, defaultContextBytes: 300 * F.mib)
        #expect(abs(other.allocatorReserveRatio! - 0.25) < 0.01)
        #expect(abs(Double(other.runtimeContextBytes!) / F.mib - 812) < 30)
    }
}
