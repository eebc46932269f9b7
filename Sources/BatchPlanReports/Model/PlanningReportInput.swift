import BatchPlanCore

/// What a planning report is built from: the planner's results and the values around them, before any wording.
///
/// It is `Codable` so a saved plan can keep it and re-export the same report later (`batchplan report --plan NAME`).
/// Everything here is a value the CLI computed; `PlanningReportBuilder` only reshapes it.
public struct PlanningReportInput: Hashable, Codable, Sendable {
    /// A card as the report names it, with the capacity plans used.
    public struct Card: Hashable, Codable, Sendable {
        /// The card's catalog name (or "12.0 GiB card" for `--memory`).
        public var name: String
        /// Capacity in bytes (`GPU.memoryBytes`).
        public var memoryBytes: Int

        public init(name: String, memoryBytes: Int) {
            self.name = name
            self.memoryBytes = memoryBytes
        }
    }

    /// The memory curves of one card × model.
    public struct Curves: Hashable, Codable, Sendable {
        public var gpu: String
        public var model: String
        public var curves: [MemoryCurve]

        public init(gpu: String, model: String, curves: [MemoryCurve]) {
            self.gpu = gpu
            self.model = model
            self.curves = curves
        }
    }

    /// The question asked, in words.
    public var question: String
    /// The cards, in the order asked.
    public var cards: [Card]
    /// The solver options the plans used (headroom, target batch, rounding, ranking).
    public var solver: SolverOptions
    /// The planner's results, one per card × model; alternatives may be trimmed (see `trimmed(alternatives:)`).
    public var results: [FitResult]
    /// Assumptions shown before the planner's own (which come from `results`).
    public var assumptions: [String]
    /// The calibration behind the numbers.
    public var calibration: CalibrationSummary
    /// Memory curves per card × model; a pair without an entry has no chart.
    public var curves: [Curves]
    /// Measured runs of the planned models next to the prediction for them.
    public var measured: [MeasuredPoint]
    /// Throughput curves per card × model (`nil` in plans saved before step times existed).
    public var throughputCurves: [ThroughputCurves]?

    /// The throughput curves of one card × model.
    public struct ThroughputCurves: Hashable, Codable, Sendable {
        public var gpu: String
        public var model: String
        public var curves: [ThroughputCurve]

        public init(gpu: String, model: String, curves: [ThroughputCurve]) {
            self.gpu = gpu
            self.model = model
            self.curves = curves
        }
    }

    public init(
        question: String, cards: [Card], solver: SolverOptions, results: [FitResult], assumptions: [String] = [],
        calibration: CalibrationSummary, curves: [Curves] = [], measured: [MeasuredPoint] = [],
        throughputCurves: [ThroughputCurves]? = nil
    ) {
        self.throughputCurves = throughputCurves
        self.question = question
        self.cards = cards
        self.solver = solver
        self.results = results
        self.assumptions = assumptions
        self.calibration = calibration
        self.curves = curves
        self.measured = measured
    }

    /// The same input with at most `count` alternatives per card × model (the best-ranked ones, which for a pair
    /// where nothing fits start with the closest).
    public func trimmed(alternatives count: Int) -> PlanningReportInput {
        var copy = self
        copy.results = results.map { result in
            var result = result
            result.alternatives = Array(result.alternatives.prefix(max(0, count)))
            return result
        }
        return copy
    }
}
