import Foundation

/// Leave-one-model-out accuracy of the step-time model: each model's runs predicted by a fit that never saw them.
public struct ThroughputCrossValidation: Sendable {
    /// One held-out run: measured and predicted step time.
    public struct Row: Sendable {
        public var observation: ThroughputObservation
        public var predictedSeconds: Double
        /// The scope the held-out prediction used.
        public var scope: String
        public var relativeError: Double { predictedSeconds / observation.measuredSeconds - 1 }
    }

    public var rows: [Row]

    /// Fits without each model in turn and predicts that model's runs (`uncalibrated`: defaults only).
    public init(_ observations: [ThroughputObservation], uncalibrated: Bool = false) {
        var rows: [Row] = []
        let models = Set(observations.map(\.path.model))
        for model in models.sorted() {
            let training = observations.filter { $0.path.model != model }
            let calibration = uncalibrated ? ThroughputCalibration.analytic : ThroughputFitter().fit(training)
            for observation in observations where observation.path.model == model {
                let factors = calibration.factors(for: observation.path)
                rows.append(Row(observation: observation, predictedSeconds: observation.predicted(factors), scope: factors.scope))
            }
        }
        self.rows = rows
    }

    /// Median |relative error| of the step time.
    public var medianAbsoluteError: Double {
        let errors = rows.map { abs($0.relativeError) }.sorted()
        return errors.isEmpty ? 0 : errors[errors.count / 2]
    }

    /// Spearman rank correlation of predicted and measured throughput (samples per second) over `rows`.
    public static func spearman(_ rows: [Row]) -> Double {
        guard rows.count > 2 else { return .nan }
        // Rank time per sample (the inverse of throughput), so plans at different batches compare.
        let measured = ranks(rows.map { $0.observation.measuredSeconds / Double($0.observation.samples) })
        let predicted = ranks(rows.map { $0.predictedSeconds / Double($0.observation.samples) })
        let n = Double(rows.count)
        let mean = (n + 1) / 2
        var numerator = 0.0
        var a = 0.0
        var b = 0.0
        for (x, y) in zip(measured, predicted) {
            numerator += (x - mean) * (y - mean)
            a += (x - mean) * (x - mean)
            b += (y - mean) * (y - mean)
        }
        return numerator / (a * b).squareRoot()
    }

    /// Ranks with ties averaged (1-based).
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var result = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for k in start...end { result[order[k]] = rank }
            start = end + 1
        }
        return result
    }
}
