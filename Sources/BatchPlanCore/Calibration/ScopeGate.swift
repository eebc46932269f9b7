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
///
/// The gate deals the folds and judges their refits; the fitter runs the refits (`Folds.split`), with every other
/// solve of the level, on every core.
struct ScopeGate {
    var folds: Int

    struct Verdict {
        var applied: Bool
        /// Mean |log error| without the scope (parent as applied, or analytic when lower).
        var errorBefore: Double?
        /// Mean |log error| with the scope fitted without the held-out runs.
        var errorAfter: Double?
        var reason: String?
    }

    /// A scope's observations ordered by group, groups numbered by first appearance in the scope (stable within a
    /// group): every fold's training and held-out runs are then runs of this order, in the order the refits have
    /// always summed them.
    struct Folds: Sendable {
        /// Folds (k).
        var count: Int
        var groupCount: Int
        /// The scope's observation indices, by group.
        var ordered: [Int]
        /// Group g is `ordered[bounds[g]..<bounds[g + 1]]`.
        var bounds: [Int]

        /// The observations to refit on without fold `fold`, and those it holds out.
        func split(_ fold: Int) -> (training: [Int], held: [Int]) {
            var training: [Int] = []
            var held: [Int] = []
            training.reserveCapacity(ordered.count - ordered.count / count)
            for group in 0..<groupCount {
                let members = ordered[bounds[group]..<bounds[group + 1]]
                if group % count == fold { held += members } else { training += members }
            }
            return (training, held)
        }
    }

    /// The folds of the observations at `indices`; `nil` when they form one group, which nothing can be held out of.
    ///
    /// - Parameters:
    ///   - groups: the group each observation is held out with (indexed like the rows): its run, its source, or its
    ///     model, as `Labels` ids (−1 for none, a group of its own kind).
    ///   - groupIDs: how many ids there are (`Labels.names.count`): groups are numbered through an array that long.
    func folds(indices: [Int], groups: [Int], groupIDs: Int) -> Folds? {
        var numberOf = [Int](repeating: -1, count: groupIDs + 1)
        var groupCount = 0
        var numbers: [Int] = []
        numbers.reserveCapacity(indices.count)
        for index in indices {
            let id = groups[index] + 1
            if numberOf[id] < 0 {
                numberOf[id] = groupCount
                groupCount += 1
            }
            numbers.append(numberOf[id])
        }
        guard groupCount >= 2 else { return nil }
        var bounds = [Int](repeating: 0, count: groupCount + 1)
        for number in numbers { bounds[number + 1] += 1 }
        for number in 0..<groupCount { bounds[number + 1] += bounds[number] }
        var next = bounds
        var ordered = [Int](repeating: 0, count: indices.count)
        for (slot, index) in indices.enumerated() {
            ordered[next[numbers[slot]]] = index
            next[numbers[slot]] += 1
        }
        return Folds(count: min(groupCount, max(2, folds)), groupCount: groupCount, ordered: ordered, bounds: bounds)
    }

    /// - Parameters:
    ///   - count: the scope's observations.
    ///   - heldOut: per fold, in fold order, the total |log error| of its held-out observations under the refit
    ///     without them (`totalError`); `nil` folds means one group.
    ///   - withParent, analytic: the total |log error| of the scope's observations, in their order, under the parent
    ///     as applied and under the analytic model (`totalError`).
    ///   - unit: what a group is, for the verdict's wording ("run", "source", "model").
    func verdict(
        count: Int, folds: Folds?, heldOut: [Double], withParent: Double, analytic: Double, unit: String
    ) -> Verdict {
        guard let folds else {
            return Verdict(
                applied: false, errorBefore: nil, errorAfter: nil,
                reason: "one \(unit): nothing to check it against (leave-one-\(unit)-out needs two)")
        }
        var heldOutError = 0.0
        for error in heldOut { heldOutError += error }
        let count = Double(count)
        let after = heldOutError / count
        let before = min(withParent / count, analytic / count)
        if after < before {
            return Verdict(applied: true, errorBefore: before, errorAfter: after, reason: nil)
        }
        let method = folds.groupCount <= self.folds ? "leave-one-\(unit)-out" : "\(folds.count)-fold by \(unit)"
        return Verdict(
            applied: false, errorBefore: before, errorAfter: after,
            reason: String(
                format: "%@ error %.1f%% is not below %.1f%% without it (%d %@s)", method, Self.percent(after),
                Self.percent(before), folds.groupCount, unit))
    }

    /// The sum of |log residual| over the observations at `indices` under `p`; an outcome on the right side adds 0.
    static func totalError(
        _ rows: [SolverRow], _ indices: [Int], _ p: CalibrationParameters, runtimes: [SolverRuntime]
    ) -> Double {
        let point = SolverPoint(p, runtimes: runtimes)
        var total = 0.0
        for i in indices { total += abs(rows[i].residual(point)) }
        return total
    }

    /// The sum of |log residual| over `residuals`, in order: `totalError` of the rows they are the residuals of.
    static func totalError(_ residuals: some Sequence<Double>) -> Double {
        var total = 0.0
        for r in residuals { total += abs(r) }
        return total
    }

    /// A mean |log error| as the relative error it corresponds to, in percent.
    static func percent(_ logError: Double) -> Double { (exp(logError) - 1) * 100 }
}

extension CalibrationObservation {
    /// The run an observation comes from: the counters of one run ("KEY#allocated") and both sides of a
    /// maximum-batch fact ("KEY/ran", "KEY/oom") share it, so the gate holds them out together.
    public var runGroup: String { String(runGroupOfID) }

    /// `runGroup` as part of the id, before a string is made of it.
    var runGroupOfID: Substring {
        // By bytes: searching the characters from the end took 8,000 instructions an observation.
        if let hash = id.utf8.lastIndex(of: UInt8(ascii: "#")) { return id[..<hash] }
        if id.hasSuffix("/ran") || id.hasSuffix("/oom") { return id.dropLast(4) }
        return id[...]
    }
}
