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

    @Test("resolve uses the deepest scope on the path with the minimum evidence that the gate applied")
    func resolveNeedsMinimumEvidence() {
        func expected(_ path: CalibrationScopePath) -> CalibrationScope {
            path.scopes.last { scope in
                guard let f = Self.model.factors[scope] else { return false }
                return f.runsUsed >= Self.model.minimumRuns && f.applied
            } ?? .global
        }
        // One run is below the minimum: the lonely model's own scope is never used.
        #expect(Self.model.resolve(Self.lonely).scope != Self.lonely.scopes.last!)
        #expect(Self.model.resolve(Self.lonely).scope == expected(Self.lonely))
        // 200 runs 1.8× off: the rich model's own scope beats its parent held-out and is used.
        #expect(Self.model.resolve(Self.rich).scope == Self.rich.scopes.last!)
        let unseenAmpereCard = F.path(gpu: "RTX 3090", family: "llama", model: "llama-rich")
        #expect(Self.model.resolve(unseenAmpereCard).scope == expected(unseenAmpereCard))
        #expect(Self.model.resolve(unseenAmpereCard).scope.level <= .architecture, "no runs on that card")
        let unseenArchitecture = CalibrationScopePath(
            framework: "pytorch-2.4", architecture: "hopper", gpu: "H100 SXM", family: "llama", model: "llama-rich")
        #expect(Self.model.resolve(unseenArchitecture).scope.level <= .framework)
    }

    @Test("a scope whose held-out error is not lower than its parent's is skipped, and an estimate says why")
    func gateSkipsScopesThatDoNotHelp() {
        // The five common models follow the analytic model: their own scopes cannot improve on their parent.
        let skipped = Self.common.compactMap { Self.model.factors[$0.scopes.last!] }.filter { !$0.applied }
        #expect(!skipped.isEmpty)
        for f in skipped {
            #expect(f.skipReason != nil && f.gateErrorAfter != nil && f.gateErrorBefore != nil)
            #expect(f.gateErrorAfter! >= f.gateErrorBefore!)
        }
        let path = Self.common[0]
        if let f = Self.model.factors[path.scopes.last!], !f.applied {
            #expect(Self.model.resolve(path).notes.contains { $0.contains("skipped") && $0.contains("llama-0") })
        }
        // Every applied scope lowered its own held-out error.
        for f in Self.model.factors.values where f.applied && f.gateErrorAfter != nil {
            #expect(f.gateErrorAfter! < f.gateErrorBefore!)
        }
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
        let own = model.resolve(F.path, defaultReserveRatio: 0.05, defaultContextBytes: 512 * F.mib)
        let other = model.resolve(F.path, defaultReserveRatio: 0.2, defaultContextBytes: 300 * F.mib)
        #expect(abs(other.allocatorReserveRatio! - 0.25) < 0.01)
        #expect(abs((other.allocatorReserveRatio! - 0.2) - (own.allocatorReserveRatio! - 0.05)) < 1e-9)
        #expect(abs(Double(other.runtimeContextBytes! - own.runtimeContextBytes!) / F.mib + 212) < 1)
        // And the fitted context is near the truth (1,024 MiB on the generator's 512 MiB default).
        #expect(abs(Double(own.runtimeContextBytes!) / F.mib - 1_024) < 60)
    }
}
