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

    /// The most specific scope on `path` fitted from at least `minimumRuns` runs; global when none is.
    public func scope(for path: CalibrationScopePath) -> CalibrationScope {
        for scope in path.scopes.reversed() {
            if let f = factors[scope], f.runsUsed >= minimumRuns { return scope }
        }
        return .global
    }

    /// The factors to apply to a run at `path`: those of the most specific scope with enough evidence.
    ///
    /// When the run's runtime defaults are given, the reserve ratio and runtime context are filled in from the
    /// scope's corrections applied to them (so a framework-wide correction reaches an architecture with no runs);
    /// otherwise they are whatever the scope holds (`nil` above the architecture level).
    public func resolve(
        _ path: CalibrationScopePath, defaultReserveRatio: Double? = nil, defaultContextBytes: Double? = nil
    ) -> CalibrationFactors {
        let scope = scope(for: path)
        var result = factors[scope] ?? .analytic
        if let p = parameters[scope] {
            if let r = defaultReserveRatio { result.allocatorReserveRatio = p.reserveRatio(default: r) }
            if let c = defaultContextBytes { result.runtimeContextBytes = Int(p.contextBytes(default: c).rounded()) }
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
        return observation.decomposition.predicted(observation.evidence.counter, with: factors)
    }
}

extension CalibrationEvidence {
    /// The counter this evidence is about: outcomes are judged at deviceUsed against the card's capacity.
    public var counter: CalibrationCounter {
        switch self {
        case .measured(let counter, _): counter
        case .outcome: .deviceUsed
        }
    }
}
