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
        /// Observations from which a solve is large (`ScopeSolver`): it starts where the same problem over a
        /// quarter as many of its rows ends, and steps with the Huber loss's own curvature. `Int.max` solves every
        /// scope the way small ones are.
        public var largeSolveRows: Int

        public init(
            shrinkageRuns: Double = 5, minimumRuns: Int = 3, huberDelta: Double = 0.1, minimumHuberDelta: Double = 0.02,
            constraintWeight: Double = 1, maxIterations: Int = 30, tolerance: Double = 1e-6, fittedAt: Date = Date(),
            gate: Bool = true, gateFolds: Int = 10, largeSolveRows: Int = 16_384
        ) {
            self.gate = gate
            self.largeSolveRows = largeSolveRows
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
        let input = FitInput(observations)
        let (rows, runtimes) = (input.rows, input.runtimes)
        var members: [CalibrationScope: [Int]] = [:]
        var parentOf: [CalibrationScope: CalibrationScope] = [:]
        var order: [[CalibrationScope]] = Array(repeating: [], count: CalibrationScopeLevel.allCases.count)
        // By path first: far fewer distinct paths than runs, so each scope key is built once per path.
        for (path, indices) in zip(input.paths, input.pathMembers) {
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
        let (runGroups, modelGroups, sourceGroups) = (input.runs, input.modelsOrRuns, input.sources)
        let (modelNames, checkpointingModes) = (input.models, input.checkpointing)
        // Every scope's gate compares with the analytic model, and most start from it: its residuals, once.
        let analytic = SolverRow.residuals(rows, at: .analytic, runtimes: runtimes)
        var parameters: [CalibrationScope: CalibrationParameters] = [:]
        // What a scope's children and runs fall back to: its own parameters when applied, else its parent's.
        var effective: [CalibrationScope: CalibrationParameters] = [:]
        var factors: [CalibrationScope: CalibrationFactors] = [:]
        var spreads: [CalibrationScope: Double] = [:]
        // The level above's solved scopes, for a scope that repeats its parent's problem.
        var solvedAbove: [CalibrationScope: SolvedScope] = [:]
        for (depth, scopes) in order.enumerated() {
            let level = CalibrationScopeLevel.allCases[depth]
            let runtimeFree = level <= .gpu
            // The temporaries (optimizer step, autocast and bucket copies) are a property of the training stack, not
            // of a card or a model: fitted per framework only, so that one model's correction never reaches another
            // model whose step is the peak.
            let free = [true, level <= .framework, runtimeFree, runtimeFree]
            var jobs = scopes.map { scope in
                let indices = members[scope]!
                let models = modelNames.distinct(in: indices).count
                var job = Job(
                    indices: indices, rows: indices.map { rows[$0] },
                    parent: parentOf[scope].flatMap { effective[$0] } ?? .analytic, free: free, models: models)
                if options.gate {
                    let sources = sourceGroups.distinct(in: indices).count
                    let (groups, unit) =
                        level <= .gpu && sources >= 2 ? (sourceGroups, "source")
                        : level == .family && models >= 2 ? (modelGroups, "model") : (runGroups, "run")
                    job.unit = unit
                    job.folds = gate.folds(
                        indices: job.all, groups: indices.map { groups.ids[$0] }, groupIDs: groups.names.count)
                }
                // A scope with its parent's runs, under a parent that did not apply, with the same free parameters
                // and folds, solves its parent's problem again (an architecture with one card, a family with one
                // model): the same sums give the same bits, so its parent's results are taken.
                if let above = parentOf[scope].flatMap({ solvedAbove[$0] }), above.repeated(by: job) {
                    job.solved = above
                }
                return job
            }
            // Each scope's residuals at its starting point (its parent as applied): every solve of the scope starts
            // there, and the gate's error without the scope is theirs.
            for number in jobs.indices where jobs[number].solved == nil {
                let parent = jobs[number].parent
                jobs[number].start =
                    parent.bitPattern == CalibrationParameters.analytic.bitPattern
                    ? jobs[number].indices.map { analytic[$0] }
                    : SolverRow.residuals(rows, jobs[number].indices, at: parent, runtimes: runtimes)
            }
            // Given the level above, every scope's fit and every fold's refit here is independent: all of them are
            // solved at once on every core, each result in its own slot, so the fit is the same on any thread count.
            var tasks: [(job: Int, fold: Int?)] = []
            for (number, job) in jobs.enumerated() where job.solved == nil {
                tasks.append((number, nil))
                for fold in 0..<(job.folds?.count ?? 0) { tasks.append((number, fold)) }
            }
            let solved = ParallelMap.map(tasks.count) { [tasks, jobs] task -> Solved in
                let job = jobs[tasks[task].job]
                guard let fold = tasks[task].fold, let folds = job.folds else {
                    return Solved(
                        fit: solver.solve(
                            rows: job.rows, start: job.start, parent: job.parent, free: job.free, runtimes: runtimes))
                }
                let (training, held) = folds.split(fold)
                let refit = solver.solve(
                    rows: training.map { job.rows[$0] }, start: training.map { job.start[$0] }, parent: job.parent,
                    free: job.free, spread: false, runtimes: runtimes)
                return Solved(
                    heldOutError: ScopeGate.totalError(job.rows, held, refit.parameters, runtimes: runtimes))
            }
            var next = 0
            for number in jobs.indices where jobs[number].solved == nil {
                let job = jobs[number]
                let heldOut = solved[(next + 1)..<(next + 1 + (job.folds?.count ?? 0))].map(\.heldOutError)
                var done = SolvedScope(
                    count: job.rows.count, parent: job.parent, free: job.free, unit: job.unit, folds: job.folds,
                    fit: solved[next].fit!, heldOut: heldOut)
                if options.gate {
                    let withParent = ScopeGate.totalError(job.start)
                    let analytic = ScopeGate.totalError(job.indices.lazy.map { analytic[$0] })
                    done.verdict = gate.verdict(
                        count: job.rows.count, folds: job.folds, heldOut: heldOut, withParent: withParent,
                        analytic: analytic, unit: job.unit)
                }
                jobs[number].solved = done
                next += 1 + heldOut.count
            }
            solvedAbove = [:]
            for (scope, job) in zip(scopes, jobs) {
                let done = job.solved!
                solvedAbove[scope] = done
                let result = done.fit
                parameters[scope] = result.parameters
                let spread = result.logSpread ?? parentOf[scope].flatMap { spreads[$0] } ?? 0
                spreads[scope] = spread
                var f = makeFactors(
                    result.parameters, scope: scope, rows: job.rows, runtimes: runtimes, spread: spread,
                    options: options)
                f.models = job.models
                f.checkpointingModes = checkpointingModes.distinct(in: job.indices)
                    .map { checkpointingModes.names[$0] }.sorted()
                if let verdict = done.verdict {
                    f.applied = verdict.applied
                    f.gateErrorBefore = verdict.errorBefore
                    f.gateErrorAfter = verdict.errorAfter
                    f.skipReason = verdict.reason
                }
                solvedAbove[scope]!.applied = f.applied
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
        /// The scope's observations, by index, and their rows in that order.
        var indices: [Int]
        var rows: [SolverRow]
        var parent: CalibrationParameters
        var free: [Bool]
        var models: Int
        var unit = "run"
        var folds: ScopeGate.Folds?
        /// Each row's residual at `parent`.
        var start: [Double] = []
        /// The scope's results, when taken from its parent or once solved.
        var solved: SolvedScope?

        init(indices: [Int], rows: [SolverRow], parent: CalibrationParameters, free: [Bool], models: Int) {
            self.indices = indices
            self.rows = rows
            self.parent = parent
            self.free = free
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

    /// A scope's fit and gate, with what defined its problem: a scope below with the same problem has the same results.
    private struct SolvedScope: Sendable {
        var count: Int
        var parent: CalibrationParameters
        var free: [Bool]
        var unit: String
        var folds: ScopeGate.Folds?
        var fit: ScopeSolver.Result
        var heldOut: [Double]
        var verdict: ScopeGate.Verdict?
        var applied = true

        /// Whether `job`, a scope under this one, poses the same problem: the same observations (a child's are
        /// among its parent's, in the same order, so the same count means the same), this one not applied (so the
        /// child starts where this one did), the same free parameters, and the same folds.
        func repeated(by job: Job) -> Bool {
            !applied && job.rows.count == count && job.parent.bitPattern == parent.bitPattern && job.free == free
                && job.unit == unit && job.folds?.ordered == folds?.ordered && job.folds?.bounds == folds?.bounds
                && job.folds?.count == folds?.count
        }
    }

    /// Absolute runtime terms only where one architecture's defaults apply (architecture level and below).
    private static func makeFactors(
        _ p: CalibrationParameters, scope: CalibrationScope, rows: [SolverRow], runtimes: [SolverRuntime],
        spread: Double, options: Options
    ) -> CalibrationFactors {
        var reserve: Double?
        var context: Double?
        if scope.level >= .architecture {
            var reserves = rows.map { runtimes[Int($0.runtime)].defaultReserve }
            var contexts = rows.map { runtimes[Int($0.runtime)].defaultContext }
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
