import Foundation

/// The rule that keeps calibration from making a prediction worse: a scope is applied only if, fitted without each
/// of its runs in turn, it predicts the held-out runs better than the model does without it.
///
/// "Without it" is the better of two: the scope's parent as applied (what its runs would use otherwise) and the
/// analytic model. The error is the mean |log(measured / predicted)| over the scope's observations, an outcome
/// counting only when its prediction is on the wrong side of the card (by how far, in log units). Runs, not
/// observations, are held out: the three counters of one run, or both sides of a maximum-batch fact, leave together.
/// Up to `folds` runs this is leave-one-run-out; beyond, the runs are dealt round-robin into `folds` folds.
///
/// A family scope exists to carry a correction to the family's other models, so when it holds several models it
/// is checked leave-one-model-out: fitted on the other models, does it predict this one better?
struct ScopeGate {
    var solver: ScopeSolver
    var minimumRuns: Int
    var folds: Int

    struct Verdict {
        var applied: Bool
        /// Mean |log error| without the scope (parent as applied, or analytic when lower).
        var errorBefore: Double?
        /// Mean |log error| with the scope fitted without the held-out runs.
        var errorAfter: Double?
        var reason: String?
    }

    /// - Parameters:
    ///   - runs: the group each observation is held out with (indexed like `rows`): its run, or its model.
    ///   - unit: what a group is, for the verdict's wording ("run", "model").
    func check(
        rows: [SolverRow], indices: [Int], runs: [String], unit: String = "run", parent: CalibrationParameters,
        free: [Bool]
    ) -> Verdict {
        var order: [String] = []
        var byRun: [String: [Int]] = [:]
        for index in indices {
            if byRun[runs[index]] == nil { order.append(runs[index]) }
            byRun[runs[index], default: []].append(index)
        }
        guard order.count >= 2 else {
            return Verdict(
                applied: false, errorBefore: nil, errorAfter: nil,
                reason: "one \(unit): nothing to check it against (leave-one-\(unit)-out needs two)")
        }
        let k = min(order.count, max(2, folds))
        var heldOutError = 0.0
        for fold in 0..<k {
            var training: [Int] = []
            var held: [Int] = []
            for (position, run) in order.enumerated() {
                if position % k == fold { held += byRun[run]! } else { training += byRun[run]! }
            }
            let fitted = solver.solve(rows: rows, indices: training, parent: parent, free: free).parameters
            heldOutError += held.reduce(0) { $0 + Self.error(rows[$1], fitted) }
        }
        let count = Double(indices.count)
        let after = heldOutError / count
        let withParent = indices.reduce(0) { $0 + Self.error(rows[$1], parent) } / count
        let analytic = indices.reduce(0) { $0 + Self.error(rows[$1], .analytic) } / count
        let before = min(withParent, analytic)
        if after < before {
            return Verdict(applied: true, errorBefore: before, errorAfter: after, reason: nil)
        }
        let method = order.count <= folds ? "leave-one-\(unit)-out" : "\(k)-fold by \(unit)"
        return Verdict(
            applied: false, errorBefore: before, errorAfter: after,
            reason: String(
                format: "%@ error %.1f%% is not below %.1f%% without it (%d %@s)", method, Self.percent(after),
                Self.percent(before), order.count, unit))
    }

    /// |log residual| of one observation under `p`; 0 for an outcome on the right side.
    static func error(_ row: SolverRow, _ p: CalibrationParameters) -> Double {
        var j = (0.0, 0.0, 0.0, 0.0)
        return abs(row.residual(p, jacobian: &j))
    }

    /// A mean |log error| as the relative error it corresponds to, in percent.
    static func percent(_ logError: Double) -> Double { (exp(logError) - 1) * 100 }
}

extension CalibrationObservation {
    /// The run an observation comes from: the counters of one run ("KEY#allocated") and both sides of a
    /// maximum-batch fact ("KEY/ran", "KEY/oom") share it, so the gate holds them out together.
    public var runGroup: String {
        if let hash = id.lastIndex(of: "#") { return String(id[..<hash]) }
        if id.hasSuffix("/ran") || id.hasSuffix("/oom") { return String(id.dropLast(4)) }
        return id
    }
}
