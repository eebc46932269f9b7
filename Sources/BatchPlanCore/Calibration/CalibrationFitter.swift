import Foundation

/// Fits calibration factors per scope from measured runs and outcome constraints.
///
/// How it works: every run is a log residual, log(measured / predicted), or, for an outcome, a one-sided (hinge)
/// residual log(capacity / predicted deviceUsed) that counts only when the prediction contradicts the outcome. Scopes
/// are fitted from the top down (global, framework, architecture, GPU, family, model); each scope minimizes a Huber
/// loss over its runs plus a penalty that pulls it toward its parent's fit with the weight of `shrinkageRuns` runs,
/// so θ ≈ (n·θ̂ + k·θ_parent)/(n + k). The activation scale is fitted at every level; the scale of the
/// implementation-dependent model-state terms only globally and per framework (a property of the training stack);
/// the allocator reserve and runtime context down to the GPU, since they are properties of a framework on a card.
///
/// Each scope then passes `ScopeGate` or is skipped: it applies only when its held-out error on its own runs is
/// lower than without it, so calibrating cannot make a scope's runs worse.
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
        /// Apply a scope only when, fitted without each of its runs in turn, it predicts those runs better than the
        /// model without it (`ScopeGate`). Off reproduces the fit before issue 10, which applied every scope.
        public var gate: Bool
        /// Folds of the gate's cross-validation at most: leave-one-run-out up to this many runs, then this many
        /// folds of runs (every run held out once), so a scope of 100,000 runs costs ten refits, not 100,000.
        public var gateFolds: Int

        public init(
            shrinkageRuns: Double = 5, minimumRuns: Int = 3, huberDelta: Double = 0.1, minimumHuberDelta: Double = 0.02,
            constraintWeight: Double = 1, maxIterations: Int = 30, tolerance: Double = 1e-6, fittedAt: Date = Date(),
            gate: Bool = true, gateFolds: Int = 10
        ) {
            self.gate = gate
            self.gateFolds = gateFolds
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
        let gate = ScopeGate(folds: options.gateFolds)
        // Labels as dense ids, made once: per scope, grouping and counting by them then hashes no strings.
        let runGroups = Labels(observations.map(\.runGroup))
        let modelGroups = Labels(observations.map { $0.path.model ?? $0.runGroup })
        let sourceGroups = Labels(observations.map(\.source))
        let modelNames = Labels(observations.map(\.path.model))
        let checkpointingModes = Labels(observations.map(\.path.checkpointing))
        var parameters: [CalibrationScope: CalibrationParameters] = [:]
        // What a scope's children and runs fall back to: its own parameters when applied, else its parent's.
        var effective: [CalibrationScope: CalibrationParameters] = [:]
        var factors: [CalibrationScope: CalibrationFactors] = [:]
        var spreads: [CalibrationScope: Double] = [:]
        for (depth, scopes) in order.enumerated() {
            let level = CalibrationScopeLevel.allCases[depth]
            let runtimeFree = level <= .gpu
            // The temporaries (optimizer step, autocast and bucket copies) are a property of the training stack, not
            // of a card or a model: fitted per framework only, so that one model's correction never reaches another
            // model whose step is the peak.
            let free = [true, level <= .framework, runtimeFree, runtimeFree]
            let jobs = scopes.map { scope in
                let indices = members[scope]!
                let models = modelNames.distinct(in: indices).count
                var job = Job(
                    rows: indices.map { rows[$0] }, parent: parentOf[scope].flatMap { effective[$0] } ?? .analytic,
                    models: models)
                if options.gate {
                    let sources = sourceGroups.distinct(in: indices).count
                    let (groups, unit) =
                        level <= .gpu && sources >= 2 ? (sourceGroups, "source")
                        : level == .family && models >= 2 ? (modelGroups, "model") : (runGroups, "run")
                    job.unit = unit
                    job.folds = gate.folds(indices: job.all, groups: indices.map { groups.ids[$0] })
                }
                return job
            }
            // Given the level above, every scope's fit and every fold's refit here is independent: all of them are
            // solved at once on every core, each result in its own slot, so the fit is the same on any thread count.
            var tasks: [(job: Int, fold: Int?)] = []
            for (number, job) in jobs.enumerated() {
                tasks.append((number, nil))
                for fold in 0..<(job.folds?.count ?? 0) { tasks.append((number, fold)) }
            }
            let solved = ParallelMap.map(tasks.count) { [tasks] task -> Solved in
                let job = jobs[tasks[task].job]
                guard let fold = tasks[task].fold, let folds = job.folds else {
                    return Solved(fit: solver.solve(rows: job.rows, indices: job.all, parent: job.parent, free: free))
                }
                let (training, held) = folds.split(fold)
                let refit = solver.solve(
                    rows: job.rows, indices: training, parent: job.parent, free: free, spread: false)
                return Solved(heldOutError: ScopeGate.totalError(job.rows, held, refit.parameters))
            }
            var next = 0
            for (scope, job) in zip(scopes, jobs) {
                let result = solved[next].fit!
                let heldOut = solved[(next + 1)..<(next + 1 + (job.folds?.count ?? 0))].map(\.heldOutError)
                next += 1 + heldOut.count
                parameters[scope] = result.parameters
                let spread = result.logSpread ?? parentOf[scope].flatMap { spreads[$0] } ?? 0
                spreads[scope] = spread
                var f = makeFactors(result.parameters, scope: scope, rows: job.rows, spread: spread, options: options)
                f.models = job.models
                f.checkpointingModes = checkpointingModes.distinct(in: members[scope]!)
                    .map { checkpointingModes.names[$0] }.sorted()
                if options.gate {
                    let verdict = gate.verdict(
                        rows: job.rows, indices: job.all, folds: job.folds, heldOut: heldOut, unit: job.unit,
                        parent: job.parent)
                    f.applied = verdict.applied
                    f.gateErrorBefore = verdict.errorBefore
                    f.gateErrorAfter = verdict.errorAfter
                    f.skipReason = verdict.reason
                }
                effective[scope] = f.applied ? result.parameters : job.parent
                factors[scope] = f
            }
        }
        return CalibrationModel(
            factors: factors, parameters: parameters, minimumRuns: options.minimumRuns, fittedAt: options.fittedAt)
    }

    /// One scope of a level, ready to solve: its observations, the parent it shrinks to, and the gate's folds.
    ///
    /// The scope's rows are copied together, in order, so that its solves read memory in sequence: read through the
    /// indices of every run, a model's rows lay 120 rows apart and waiting for them was a third of the fit.
    private struct Job: Sendable {
        var rows: [SolverRow]
        var parent: CalibrationParameters
        var models: Int
        var unit = "run"
        var folds: ScopeGate.Folds?

        init(rows: [SolverRow], parent: CalibrationParameters, models: Int) {
            self.rows = rows
            self.parent = parent
            self.models = models
            all = Array(rows.indices)
        }

        /// Every row's position in `rows`.
        var all: [Int]
    }

    /// A solve's result: a scope's fit, or for a fold's refit the |log error| summed over what that fold held out.
    private struct Solved: Sendable {
        var fit: ScopeSolver.Result?
        var heldOutError = 0.0
    }

    /// Absolute runtime terms only where one architecture's defaults apply (architecture level and below).
    private static func makeFactors(
        _ p: CalibrationParameters, scope: CalibrationScope, rows: [SolverRow], spread: Double, options: Options
    ) -> CalibrationFactors {
        var reserve: Double?
        var context: Double?
        if scope.level >= .architecture {
            var reserves = rows.map(\.defaultReserve)
            var contexts = rows.map(\.defaultContext)
            reserve = ScopeSolver.median(&reserves)
            context = ScopeSolver.median(&contexts)
        }
        var f = p.factors(defaultReserveRatio: reserve, defaultContextBytes: context)
        f.logSpread = spread
        f.scope = scope
        f.runsUsed = rows.count
        f.fittedAt = options.fittedAt
        return f
    }
}

/// String labels of the observations (run, source, model) as dense ids, numbered in order of first appearance.
struct Labels {
    /// Each observation's id; -1 where it has no label.
    private(set) var ids: [Int] = []
    /// The label of each id.
    private(set) var names: [String] = []

    init(_ labels: [String?]) {
        var idOf: [String: Int] = [:]
        ids.reserveCapacity(labels.count)
        for label in labels {
            guard let label else {
                ids.append(-1)
                continue
            }
            if let id = idOf[label] {
                ids.append(id)
            } else {
                idOf[label] = names.count
                ids.append(names.count)
                names.append(label)
            }
        }
    }

    /// The distinct ids of the observations at `indices`, in order of first appearance; unlabelled ones count none.
    func distinct(in indices: [Int]) -> [Int] {
        var seen = [Bool](repeating: false, count: names.count)
        var result: [Int] = []
        for index in indices where ids[index] >= 0 && !seen[ids[index]] {
            seen[ids[index]] = true
            result.append(ids[index])
        }
        return result
    }
}
