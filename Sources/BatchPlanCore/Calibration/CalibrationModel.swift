import Foundation

/// The result of a calibration fit: factors for every scope that had runs, and the rule for picking one.
public struct CalibrationModel: Hashable, Codable, Sendable {
    /// Fitted factors per scope, each already shrunk toward its parent. Runtime terms are absolute (`non-nil`) from
    /// the architecture level down, where one architecture's defaults apply; above, they stay `nil` and the
    /// corrections live in `parameters`.
    public var factors: [CalibrationScope: CalibrationFactors]
    /// The fitted corrections behind `factors`, per scope.
    public var parameters: [CalibrationScope: CalibrationParameters]
    /// Fewest runs a scope needs before `resolve` picks it over its parent.
    public var minimumRuns: Int
    public var fittedAt: Date?

    public init(
        factors: [CalibrationScope: CalibrationFactors], parameters: [CalibrationScope: CalibrationParameters],
        minimumRuns: Int, fittedAt: Date?
    ) {
        self.factors = factors
        self.parameters = parameters
        self.minimumRuns = minimumRuns
        self.fittedAt = fittedAt
    }

    /// No runs: the analytic model everywhere.
    public static let analytic = CalibrationModel(factors: [:], parameters: [:], minimumRuns: 3, fittedAt: nil)

    /// The most specific scope on `path` fitted from at least `minimumRuns` runs that its leave-one-run-out gate
    /// applied; `nil` when none is (the analytic model applies).
    public func appliedScope(for path: CalibrationScopePath) -> CalibrationScope? {
        for scope in path.scopes.reversed() {
            if let f = factors[scope], f.runsUsed >= minimumRuns, f.applied, !unseenModel(path, scope, f) { return scope }
        }
        return nil
    }

    /// A family scope fitted from a single model says nothing about the family's other models: it is not carried
    /// to a model without runs of its own there.
    func unseenModel(_ path: CalibrationScopePath, _ scope: CalibrationScope, _ f: CalibrationFactors) -> Bool {
        guard scope.level == .family, f.models < 2, let model = path.scopes.last, model.level == .model else { return false }
        return factors[model] == nil
    }

    /// The scope `resolve` uses for `path`; global when none applies (whose factors are then the analytic model's).
    public func scope(for path: CalibrationScopePath) -> CalibrationScope {
        appliedScope(for: path) ?? .global
    }

    /// The scopes on `path`, more specific than the one applied, that had the runs but that the gate skipped, each
    /// with why: the lines an estimate shows so that a user knows what was left out.
    public func skippedScopes(for path: CalibrationScopePath) -> [String] {
        let applied = appliedScope(for: path)
        var notes: [String] = []
        for scope in path.scopes.reversed() {
            if scope == applied { break }
            guard let f = factors[scope], f.runsUsed >= minimumRuns else { continue }
            if !f.applied {
                notes.append("calibration scope \(scope) skipped: \(f.skipReason ?? "it did not lower the held-out error")")
            } else if unseenModel(path, scope, f) {
                notes.append("calibration scope \(scope) skipped: fitted from one model only, not carried to another")
            }
        }
        return notes
    }

    /// The factors to apply to a run at `path`: those of the most specific scope with enough evidence.
    ///
    /// When the run's runtime defaults are given, the reserve ratio and runtime context are filled in from the
    /// scope's corrections applied to them (so a framework-wide correction reaches an architecture with no runs);
    /// otherwise they are whatever the scope holds (`nil` above the architecture level).
    public func resolve(
        _ path: CalibrationScopePath, defaultReserveRatio: Double? = nil, defaultContextBytes: Double? = nil
    ) -> CalibrationFactors {
        guard let scope = appliedScope(for: path) else {
            var analytic = CalibrationFactors.analytic
            analytic.notes = skippedScopes(for: path)
            return analytic
        }
        var result = factors[scope] ?? .analytic
        result.notes = skippedScopes(for: path)
        result.activationScales = activationScales(path, from: scope, own: result.activationScale)
        if let p = parameters[scope] {
            if let r = defaultReserveRatio { result.allocatorReserveRatio = p.reserveRatio(default: r) }
            if let c = defaultContextBytes { result.runtimeContextBytes = Int(p.contextBytes(default: c).rounded()) }
        }
        return result
    }

    /// The global scope's factors when its gate applied them (and it had the runs), else the analytic model: what an
    /// estimate without a card uses.
    public var globalFactors: CalibrationFactors {
        guard let f = factors[.global], f.runsUsed >= minimumRuns, f.applied else {
            var analytic = CalibrationFactors.analytic
            if let f = factors[.global], f.runsUsed >= minimumRuns, let reason = f.skipReason {
                analytic.notes = ["calibration scope global skipped: \(reason)"]
            }
            return analytic
        }
        return f
    }

    /// Per checkpointing mode, the activation scale of the nearest applied scope at or above `scope` that saw the
    /// mode (family and model scopes) or that is broad enough to span modes (GPU and above); only modes whose scale
    /// differs from `own` are listed.
    func activationScales(_ path: CalibrationScopePath, from scope: CalibrationScope, own: Double) -> [String: Double] {
        let scopes = path.scopes
        guard let start = scopes.firstIndex(of: scope), scope.level > .gpu else { return [:] }
        var result: [String: Double] = [:]
        for mode in Checkpointing.allCases.map(\.rawValue) {
            var scale = 1.0
            for candidate in scopes[...start].reversed() {
                guard let f = factors[candidate], f.runsUsed >= minimumRuns, f.applied else { continue }
                if candidate.level <= .gpu || f.checkpointingModes.contains(mode) || f.checkpointingModes.isEmpty {
                    scale = f.activationScale
                    break
                }
            }
            if scale != own { result[mode] = scale }
        }
        return result
    }

    /// `resolve` with the scope keys spelled out.
    public func resolve(
        framework: String, gpu: String, architecture: String, family: String?, model: String?,
        defaultReserveRatio: Double? = nil, defaultContextBytes: Double? = nil
    ) -> CalibrationFactors {
        resolve(
            CalibrationScopePath(framework: framework, architecture: architecture, gpu: gpu, family: family, model: model),
            defaultReserveRatio: defaultReserveRatio, defaultContextBytes: defaultContextBytes)
    }

    /// The calibrated prediction, in bytes, of what an observation's evidence reads: its counter for a measurement,
    /// deviceUsed for an outcome.
    public func predicted(_ observation: CalibrationObservation) -> Double {
        let factors = resolve(
            observation.path, defaultReserveRatio: observation.decomposition.defaultReserveRatio,
            defaultContextBytes: observation.decomposition.defaultContextBytes)
        var scaled = factors
        scaled.activationScale = factors.activationScale(for: observation.path.checkpointing)
        return observation.decomposition.predicted(observation.evidence.counter, with: scaled)
    }
}

extension CalibrationEvidence {
    /// The counter this evidence is about: an outcome's is the level its capacity is at (deviceUsed for a card,
    /// reserved for a cap on the allocator).
    public var counter: CalibrationCounter {
        switch self {
        case .measured(let counter, _): counter
        case .outcome(_, _, let counter): counter
        }
    }
}
