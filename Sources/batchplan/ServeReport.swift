import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import BatchPlanReports
import Foundation

/// `serve --format md|html|csv` and `serve --format json -o FILE`: the inference plan as a report.
enum ServeReport {
    static func write(
        plans: [(gpu: GPU, solution: InferenceSolution)], model: InferenceModel, kind: InferenceQuestion,
        workload: InferenceWorkload, budget: InferenceBudget, modelName: String, format: ReportFormat, output: String?,
        catalog: Catalog
    ) throws {
        let versions = try ReportAssembly(catalog: catalog).versions()
        let report: InferenceReport
        do {
            report = try InferenceReportBuilder.report(
                model: model, plans: plans, question: describe(kind, workload, budget: budget, model: modelName),
                versions: versions, generatedAt: Date())
        } catch {
            throw CatalogError.core(error)
        }
        let text: String
        do {
            text = try InferenceReportRenderer(format: format).render(report)
        } catch {
            throw CatalogError.invalidInput(error.description)
        }
        if let output {
            try AtomicFile.write(text, to: output)
            Output.note("wrote \(format.rawValue) inference report to \(output)")
        } else {
            Output.data(text)
        }
    }

    static func describe(_ kind: InferenceQuestion, _ w: InferenceWorkload, budget: InferenceBudget, model: String) -> String {
        let what: String
        switch kind {
        case .largestBatch: what = "the largest batch at \(w.contextTokens) tokens per sequence"
        case .longestContext: what = "the longest context for \(w.sequences) sequences"
        case .concurrency: what = "the most concurrent requests of \(w.promptTokens) prompt + \(w.contextTokens - w.promptTokens) generated tokens"
        case .check: what = "whether \(w.sequences) sequences of \(w.contextTokens) tokens fit"
        }
        return "\(model): \(what), \(budget)"
    }
}
