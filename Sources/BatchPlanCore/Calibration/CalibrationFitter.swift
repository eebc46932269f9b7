import Foundation

/// Fits calibration factors per scope from measured runs and outcome constraints.
///
/// How it works: every run is a log residual, log(measured / predicted), or, for an outcome, a one-sided (hinge)
/// residual log(capacity / predicted deviceUsed) that counts only when the prediction contradicts the outcome. Scopes
/// are fitted from the top down (global, framework, architecture, GPU, family, model); each scope minimizes a Huber
/// loss over its runs plus a penalty that pulls it toward its parent's fit with the weight of `shrinkageRuns` runs,
/// so θ ≈ (n·θ̂ + k·θ_parent)/(n + k). Scales are fitted at every level; the allocator reserve and runtime context only
/// down to the GPU, since they are properties of a framework on a card, not of a model.
public enum CalibrationFitter {
    /// Knobs of the fit, each with the reason for its default.
    public struct Options: Hashable, Sendable {
        /// The parent's weight, in runs (k above): with 5, one run moves a scope a sixth of the way from its parent
        /// to where that run alone would put it, and 200 runs move it 97.6 % of the way.
        public var shrinkageRuns: Double
        /// Fewest runs a scope needs before `resolve` uses it rather than its parent.
        public var minimumRuns: Int
        /// The Huber corner (log units) while a scope has too few measurements (< 5) to estimate its own noise.
        public var huberDelta: Double
        /// Floor for the Huber corner estimated from the data (1.345 × robust SD), log units.
        public var minimumHuberDelta: Double
        /// Weight of an outcome constraint relative to a measurement, when it is violated.
        public var constraintWeight: Double
        /// Gauss–Newton iterations per scope at most.
        public var maxIterations: Int
        /// Stop when no parameter moves more than this in one iteration.
        public var tolerance: Double
        /// Stamped on every fitted factor.
        public var fittedAt: Date

        public init(
            shrinkageRuns: Double = 5, minimumRuns: Int = 3, huberDelta: Double = 0.1, minimumHuberDelta: Double = 0.02,
            constraintWeight: Double = 1, maxIterations: Int = 30, tolerance: Double = 1e-6, fittedAt: Date = Date()
        ) {
            self.shrinkageRuns = shrinkageRuns
            self.minimumRuns = minimumRuns
            self.huberDelta = huberDelta
            self.minimumHuberDelta = minimumHuberDelta
            self.constraintWeight = constraintWeight
            self.maxIterations = maxIterations
            self.tolerance = tolerance
            self.fittedAt = fittedAt
        }
    }

    /// Fits every scope that at least one observation names.
    public static func fit(_ observations: [CalibrationObservation], options: Options = Options()) -> CalibrationModel {
        let rows = observations.map(SolverRow.init)
        var members: [CalibrationScope: [Int]] = [:]
        var parentOf: [CalibrationScope: CalibrationScope] = [:]
        var order: [[CalibrationScope]] = Array(repeating: [], count: CalibrationScopeLevel.allCases.count)
        // Group by path first: far fewer distinct paths than runs, so each scope key is built once per path.
        var byPath: [CalibrationScopePath: [Int]] = [:]
        for (index, observation) in observations.enumerated() { byPath[observation.path, default: []].append(index) }
        for (path, indices) in byPath.sorted(by: { $0.value[0] < $1.value[0] }) {
            let scopes = path.scopes
            for (depth, scope) in scopes.enumerated() {
                if members[scope] == nil {
                    members[scope] = []
                    order[depth].append(scope)
                    if depth > 0 { parentOf[scope] = scopes[depth - 1] }
                }
                members[scope]!.append(contentsOf: indices)
            }
        }

        let solver = ScopeSolver(options: options)
        var parameters: [CalibrationScope: CalibrationParameters] = [:]
        var factors: [CalibrationScope: CalibrationFactors] = [:]
        var spreads: [CalibrationScope: Double] = [:]
        for (depth, scopes) in order.enumerated() {
            let level = CalibrationScopeLevel.allCases[depth]
            let runtimeFree = level <= .gpu
            let free = [true, true, runtimeFree, runtimeFree]
            for scope in scopes {
                let indices = members[scope]!
                let parent = parentOf[scope].flatMap { parameters[$0] } ?? .analytic
                let result = solver.solve(rows: rows, indices: indices, parent: parent, free: free)
                parameters[scope] = result.parameters
                let spread = result.logSpread ?? parentOf[scope].flatMap { spreads[$0] } ?? 0
                spreads[scope] = spread
                factors[scope] = makeFactors(
                    result.parameters, scope: scope, rows: rows, indices: indices, spread: spread, options: options)
            }
        }
        return CalibrationModel(
            factors: factors, parameters: parameters, minimumRuns: options.minimumRuns, fittedAt: options.fittedAt)
    }

    /// Absolute runtime terms only where one architecture's defaults apply (architecture level and below).
    private static func makeFactors(
        _ p: CalibrationParameters, scope: CalibrationScope, rows: [SolverRow], indices: [Int], spread: Double,
        options: Options
    ) -> CalibrationFactors {
        var reserve: Double?
        var context: Double?
        if scope.level >= .architecture {
            var reserves = indices.map { rows[$0].defaultReserve }
            var contexts = indices.map { rows[$0].defaultContext }
            reserve = ScopeSolver.median(&reserves)
            context = ScopeSolver.median(&contexts)
        }
        var f = p.factors(defaultReserveRatio: reserve, defaultContextBytes: context)
        f.logSpread = spread
        f.scope = scope
        f.runsUsed = indices.count
        f.fittedAt = options.fittedAt
        return f
    }
}
