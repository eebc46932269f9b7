import BatchPlanCatalog
import BatchPlanCore
import BatchPlanReports
import Foundation

/// Saving a fit in the catalog and reading it back: the three JSON documents of `saved_plan`.
///
/// `query_json` is a `FitQuery`, `result_json` a `SavedPlanResult` (the report input with the versions and time it
/// was made), `calibration_json` the `CalibrationModel` the plans used.
enum SavedPlans {
    /// One saved plan, decoded.
    struct Loaded {
        var plan: SavedPlan
        var query: FitQuery
        var result: SavedPlanResult
        var calibration: CalibrationModel
    }

    static func save(_ outcome: FitOutcome, name: String, replacing: Bool, in catalog: Catalog) throws {
        let assembly = ReportAssembly(catalog: catalog)
        let versions = try assembly.versions()
        let result = SavedPlanResult(
            input: try assembly.input(for: outcome), catalogSchema: versions.catalogSchema, data: versions.data,
            generatedAt: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
        let plan = try SavedPlan(
            name: name.trimmingSpaces(), query: outcome.query, result: result,
            calibration: outcome.calibration, batchplanVersion: BatchPlan.version,
            createdAt: Catalog.timestamp(result.generatedAt))
        try catalog.savePlan(plan, replacing: replacing)
    }

    static func load(_ name: String, from catalog: Catalog) throws -> Loaded {
        let plan = try catalog.savedPlan(named: name)
        return Loaded(
            plan: plan, query: try plan.decode(FitQuery.self, from: plan.queryJSON, what: "query"),
            result: try plan.decode(SavedPlanResult.self, from: plan.resultJSON, what: "result"),
            calibration: try plan.decode(CalibrationModel.self, from: plan.calibrationJSON, what: "calibration"))
    }

    /// The plan's calibration summary, with each scope's observations read off the saved calibration where a plan
    /// saved before they were recorded lacks them.
    static func calibrationSummary(_ loaded: Loaded) -> CalibrationSummary {
        var summary = loaded.result.input.calibration
        guard summary.scopeObservations == nil, summary.runsUsed > 0 else { return summary }
        let byName = Dictionary(
            loaded.calibration.factors.map { ($0.key.description, $0.value.runsUsed) }, uniquingKeysWith: { first, _ in first })
        let counts = summary.scope.components(separatedBy: "; ").map { byName[$0] }
        if counts.allSatisfy({ $0 != nil }) { summary.scopeObservations = counts.compactMap { $0 } }
        return summary
    }

    /// The report exactly as it was when the plan was saved.
    static func report(_ loaded: Loaded, alternatives: Int) -> PlanningReport {
        PlanningReportBuilder.report(
            loaded.result.input,
            versions: ReportVersions(
                batchplan: loaded.plan.batchplanVersion, catalogSchema: loaded.result.catalogSchema, data: loaded.result.data),
            generatedAt: loaded.result.generatedAt, title: "Training memory plan \"\(loaded.plan.name)\"",
            alternatives: alternatives)
    }
}
