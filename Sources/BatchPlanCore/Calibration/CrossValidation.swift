import Foundation

/// How good calibration is: leave-one-source-out cross-validation, before and after calibration.
///
/// Each source (a URL, or one measuring session) is held out in turn; the model is fitted on every other source and
/// scores only the held-out one, so no run is ever scored by a fit that saw it or its siblings from the same source.
public enum CrossValidation {
    /// Cross-validates `CalibrationFitter.fit` with `options`.
    public static func leaveOneSourceOut(
        _ observations: [CalibrationObservation], options: CalibrationFitter.Options = .init()
    ) -> CrossValidationReport {
        leaveOneSourceOut(observations) { CalibrationFitter.fit($0, options: options) }
    }

    /// Cross-validates any fit; `fit` receives each fold's training observations (the tests record what it saw).
    public static func leaveOneSourceOut(
        _ observations: [CalibrationObservation], fit: ([CalibrationObservation]) -> CalibrationModel
    ) -> CrossValidationReport {
        var sources: [String] = []
        var bySource: [String: [Int]] = [:]
        for (index, observation) in observations.enumerated() {
            if bySource[observation.source] == nil { sources.append(observation.source) }
            bySource[observation.source, default: []].append(index)
        }
        var scored: [ScoredObservation] = []
        scored.reserveCapacity(observations.count)
        for (fold, source) in sources.enumerated() {
            let heldOut = bySource[source]!
            let training = observations.filter { $0.source != source }
            let model = fit(training)
            for index in heldOut {
                let observation = observations[index]
                scored.append(
                    ScoredObservation(
                        observation: observation, fold: fold,
                        analytic: CalibrationModel.analytic.predicted(observation),
                        calibrated: model.predicted(observation), scope: model.scope(for: observation.path)))
            }
        }
        return CrossValidationReport(folds: sources, scored: scored)
    }
}

/// One held-out observation with both predictions.
public struct ScoredObservation: Hashable, Codable, Sendable {
    public var observation: CalibrationObservation
    /// Index into `CrossValidationReport.folds`: the source held out when this was scored.
    public var fold: Int
    /// Uncalibrated prediction of the evidence's counter, in bytes.
    public var analytic: Double
    /// Calibrated prediction, in bytes, from a fit that never saw this observation's source.
    public var calibrated: Double
    /// The scope the calibrated prediction used.
    public var scope: CalibrationScope
}

/// Error of a set of measurements' predictions.
public struct ErrorSummary: Hashable, Codable, Sendable {
    public var count: Int
    /// Median of |predicted − measured| / measured.
    public var medianRelativeError: Double
    /// 90th percentile (nearest rank) of the same.
    public var p90RelativeError: Double
    /// Share of predictions below the measurement: the side that causes out-of-memory errors.
    public var underPredictionRate: Double

    /// Summarizes (predicted, measured) pairs in bytes.
    public init(pairs: [(predicted: Double, measured: Double)]) {
        count = pairs.count
        var errors = pairs.map { abs($0.predicted - $0.measured) / $0.measured }
        errors.sort()
        p90RelativeError = errors.isEmpty ? 0 : errors[max(0, Int((0.9 * Double(errors.count)).rounded(.up)) - 1)]
        // After the percentile: the median reorders the errors.
        medianRelativeError = errors.isEmpty ? 0 : ScopeSolver.median(&errors)
        underPredictionRate = pairs.isEmpty ? 0 : Double(pairs.count { $0.predicted < $0.measured }) / Double(pairs.count)
    }
}

/// How many outcome facts (ran, out of memory) a prediction gets right.
public struct OutcomeSummary: Hashable, Codable, Sendable {
    public var count: Int
    /// Share where the prediction agrees: predicted deviceUsed ≤ capacity for a run that ran, > for one that did not.
    public var correctShare: Double

    public init(count: Int, correct: Int) {
        self.count = count
        correctShare = count == 0 ? 0 : Double(correct) / Double(count)
    }
}

/// The cross-validation result, ready for a table: rows per counter, per family, for outcomes and overall.
public struct CrossValidationReport: Hashable, Codable, Sendable {
    public enum Dimension: String, Codable, Sendable { case all, counter, outcome, family }

    public struct Row: Hashable, Codable, Sendable {
        public var dimension: Dimension
        /// "allocated", "llama", …; "" for `all` and `outcome`.
        public var key: String
        public var measuredBefore: ErrorSummary
        public var measuredAfter: ErrorSummary
        public var outcomesBefore: OutcomeSummary
        public var outcomesAfter: OutcomeSummary
    }

    /// The source held out in each fold, in order.
    public var folds: [String]
    public var scored: [ScoredObservation]
    public var rows: [Row]

    public init(folds: [String], scored: [ScoredObservation]) {
        self.folds = folds
        self.scored = scored
        var rows = [Self.row(.all, "", scored)]
        for counter in CalibrationCounter.allCases {
            let matching = scored.filter {
                if case .measured(counter, _) = $0.observation.evidence { return true }
                return false
            }
            if !matching.isEmpty { rows.append(Self.row(.counter, counter.rawValue, matching)) }
        }
        let outcomes = scored.filter { if case .outcome = $0.observation.evidence { true } else { false } }
        if !outcomes.isEmpty { rows.append(Self.row(.outcome, "", outcomes)) }
        let families = Dictionary(grouping: scored) { $0.observation.path.family ?? "" }
        for family in families.keys.sorted() { rows.append(Self.row(.family, family, families[family]!)) }
        self.rows = rows
    }

    private static func row(_ dimension: Dimension, _ key: String, _ scored: [ScoredObservation]) -> Row {
        var before: [(predicted: Double, measured: Double)] = []
        var after: [(predicted: Double, measured: Double)] = []
        var outcomes = 0
        var rightBefore = 0
        var rightAfter = 0
        for s in scored {
            switch s.observation.evidence {
            case .measured(_, let bytes):
                before.append((s.analytic, bytes))
                after.append((s.calibrated, bytes))
            case .outcome(let ran, let capacity, _):
                outcomes += 1
                if (s.analytic <= capacity) == ran { rightBefore += 1 }
                if (s.calibrated <= capacity) == ran { rightAfter += 1 }
            }
        }
        return Row(
            dimension: dimension, key: key, measuredBefore: ErrorSummary(pairs: before),
            measuredAfter: ErrorSummary(pairs: after), outcomesBefore: OutcomeSummary(count: outcomes, correct: rightBefore),
            outcomesAfter: OutcomeSummary(count: outcomes, correct: rightAfter))
    }
}
