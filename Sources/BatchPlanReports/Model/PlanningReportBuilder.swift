import BatchPlanCore
import Foundation

/// Builds a `PlanningReport` from the planner's values: a pure reshaping, no catalog, clock or environment.
public enum PlanningReportBuilder {
    /// The report for `input`, showing at most `alternatives` runners-up per card × model.
    ///
    /// Cards keep the order of `input.cards`, models the order of `input.results`. When nothing fits a card × model,
    /// the closest combination (the first-ranked candidate) is shown as the plan with `fits == false`. A pair with no
    /// candidate at all is left out and said so among the assumptions.
    public static func report(
        _ input: PlanningReportInput, versions: ReportVersions, generatedAt: Date,
        title: String = "Training memory plan", alternatives: Int = 5
    ) -> PlanningReport {
        var notes: [String] = []
        let cards = input.cards.map { card -> CardSection in
            let models = input.results.filter { $0.gpu == card.name }.compactMap { result -> ModelPlans? in
                guard let plans = modelPlans(result, input: input, alternatives: alternatives) else {
                    notes.append("\(result.model) on \(card.name): no combination could be planned with the filters given.")
                    return nil
                }
                return plans
            }
            return CardSection(gpuName: card.name, memoryBytes: card.memoryBytes, models: models)
        }
        return PlanningReport(
            title: title, question: input.question, generatedAt: generatedAt, versions: versions,
            assumptions: assumptions(input) + notes, calibration: input.calibration, cards: cards,
            measuredVsPredicted: input.measured)
    }

    /// The input's own assumptions, then every distinct assumption of the results, in first-seen order.
    static func assumptions(_ input: PlanningReportInput) -> [String] {
        var seen = Set<String>()
        var ordered: [String] = []
        for line in input.assumptions + input.results.flatMap(\.assumptions) where seen.insert(line).inserted {
            ordered.append(line)
        }
        return ordered
    }

    static func modelPlans(_ result: FitResult, input: PlanningReportInput, alternatives: Int) -> ModelPlans? {
        var losers = result.alternatives
        let chosen: PlanCandidate
        if let best = result.best {
            chosen = best
        } else if !losers.isEmpty {
            chosen = losers.removeFirst()
        } else {
            return nil
        }
        let accumulation = input.solver.targetBatch != nil
        let curves = input.curves.first { $0.gpu == result.gpu && $0.model == result.model }?.curves ?? []
        let throughput = input.throughputCurves?.first { $0.gpu == result.gpu && $0.model == result.model }?.curves ?? []
        return ModelPlans(
            model: result.model, best: row(chosen, accumulation: accumulation),
            alternatives: losers.prefix(max(0, alternatives)).map {
                Alternative(plan: row($0, accumulation: accumulation), whyLost: $0.whyNot ?? "ranked lower")
            },
            curves: curves, input: result.input.map(String.init(describing:)), task: result.task?.rawValue,
            throughputCurves: throughput, requiredMemoryBytes: result.best == nil ? result.nothingFits?.requiredMemoryBytes : nil)
    }

    /// One candidate as a report row; accumulation steps only when a target batch was asked and the plan fits.
    public static func row(_ candidate: PlanCandidate, accumulation: Bool) -> PlanRow {
        let c = candidate.configuration
        return PlanRow(
            model: candidate.model, precision: c.precision, optimizer: c.optimizer, checkpointing: c.checkpointing,
            mode: c.mode, fits: candidate.fits, maxBatchSize: candidate.fits ? candidate.maxBatchSize : 0,
            gradAccumSteps: accumulation && candidate.fits ? candidate.gradAccumSteps : nil,
            deviceUsedBytes: candidate.deviceUsedBytes, headroomBytes: candidate.headroomBytes,
            components: candidate.estimate.components.keyed.map { MemoryComponent(key: $0.key, bytes: $0.bytes) },
            stepTimeMs: candidate.fits ? candidate.stepTime?.stepTimeMs : nil,
            samplesPerSecond: candidate.fits ? candidate.stepTime?.samplesPerSecond : nil,
            tokensPerSecond: candidate.fits ? candidate.stepTime?.tokensPerSecond : nil,
            precisionNote: candidate.precisionNote)
    }
}
