import BatchPlanCatalog
import BatchPlanCore
import BatchPlanReports
import Foundation

/// What a saved plan keeps as its result (`saved_plan.result_json`): the report input and the versions it was made
/// with, so `report --plan NAME` writes the same report again.
struct SavedPlanResult: Codable {
    var input: PlanningReportInput
    var catalogSchema: String
    var data: String
    var generatedAt: Date
}

/// Gathers what a report shows around a fit: curves, measured runs, the calibration's evidence and versions.
struct ReportAssembly {
    var catalog: Catalog

    /// Alternatives kept per card × model in a report input (a fit has hundreds; a report shows a few).
    static let keptAlternatives = 10
    /// Measured-versus-predicted points kept, the first runs in catalog order.
    static let maximumMeasuredPoints = 40

    func input(for outcome: FitOutcome) throws -> PlanningReportInput {
        let names = outcome.models.map(\.catalog.name)
        var input = PlanningReportInput(
            question: outcome.query.question(models: names, cards: outcome.gpus.map(\.name)),
            cards: outcome.gpus.map { .init(name: $0.name, memoryBytes: $0.memoryBytes) },
            solver: outcome.solver, results: outcome.results,
            assumptions: outcome.query.noCalibration ? ["Calibration: off (--no-calibration); the analytic model alone."] : [],
            calibration: try calibrationSummary(outcome), curves: curves(outcome),
            measured: try measured(outcome), throughputCurves: throughputCurves(outcome))
        input = input.trimmed(alternatives: Self.keptAlternatives)
        return input
    }

    func versions() throws -> ReportVersions {
        ReportVersions(
            batchplan: BatchPlan.version, catalogSchema: try catalog.appliedMigrations().last ?? "none",
            data: try catalog.seedVersion() ?? "unknown")
    }

    func curves(_ outcome: FitOutcome) -> [PlanningReportInput.Curves] {
        outcome.results.compactMap { result in
            guard let gpu = outcome.gpus.first(where: { $0.name == result.gpu }),
                  let model = outcome.models.first(where: { $0.accounting.name == result.model })
            else { return nil }
            let curves = MemoryCurveSampler.curves(
                for: result, model: model.accounting, gpu: gpu, calibration: outcome.factors(for: model.catalog, gpu: gpu))
            return curves.isEmpty ? nil : .init(gpu: result.gpu, model: result.model, curves: curves)
        }
    }

    func throughputCurves(_ outcome: FitOutcome) -> [PlanningReportInput.ThroughputCurves] {
        outcome.results.compactMap { result in
            guard let gpu = outcome.gpus.first(where: { $0.name == result.gpu }),
                  let model = outcome.models.first(where: { $0.accounting.name == result.model })
            else { return nil }
            let curves = ThroughputCurveSampler.curves(
                for: result, model: model.accounting, gpu: gpu, calibration: outcome.factors(for: model.catalog, gpu: gpu),
                throughput: outcome.throughput.factors(for: model.catalog, gpu: gpu), options: outcome.solver)
            return curves.isEmpty ? nil : .init(gpu: result.gpu, model: result.model, curves: curves)
        }
    }

    /// The scopes the chosen plans used, the runs behind the fit and its leave-one-source-out error (stored with the
    /// fit, `Catalog.calibrationAccuracy()`).
    func calibrationSummary(_ outcome: FitOutcome) throws -> CalibrationSummary {
        guard !outcome.query.noCalibration else { return CalibrationSummary(scope: "analytic (--no-calibration)", runsUsed: 0) }
        // A plan on which no scope applied carries the global scope with no runs behind it: the analytic model,
        // which is named as such rather than as a scope that calibrate shows as skipped.
        var scopes: [CalibrationScope?] = []
        for result in outcome.results {
            guard let plan = result.best ?? result.alternatives.first else { continue }
            let scope: CalibrationScope? = plan.estimate.isCalibrated ? plan.estimate.calibrationScope : nil
            if !scopes.contains(scope) { scopes.append(scope) }
        }
        let accuracy = try catalog.calibrationAccuracy()
        if scopes.isEmpty || scopes.allSatisfy({ $0 == nil }) {
            return CalibrationSummary(scope: "analytic (no calibrated scope applies to these plans)", runsUsed: 0)
        }
        return CalibrationSummary(
            scope: scopes.map { $0?.description ?? "analytic" }.joined(separator: "; "), runsUsed: accuracy.runsUsed,
            scopeObservations: scopes.map { $0.flatMap { outcome.calibration.factors[$0]?.runsUsed } ?? 0 },
            crossValidatedMedianError: accuracy.medianRelativeError, crossValidatedP90Error: accuracy.p90RelativeError)
    }

    /// Runs with a memory reading of the planned models, each next to the (calibrated) prediction of the same
    /// counter at the run's own configuration.
    func measured(_ outcome: FitOutcome) throws -> [MeasuredPoint] {
        var points: [MeasuredPoint] = []
        for model in outcome.models where points.count < Self.maximumMeasuredPoints {
            let runs = try catalog.runsWithUsability(model: model.catalog.name)
                .filter { $0.unusableReason == nil && $0.stored.run.kind == .memAtBatch }
            for prediction in RunEvidence.predictions(runs).predictions where points.count < Self.maximumMeasuredPoints {
                let run = prediction.run
                let factors = outcome.query.noCalibration ? .analytic : outcome.calibration.factors(
                    for: prediction.model, gpu: prediction.gpu, framework: prediction.configuration.framework)
                guard let estimate = try? Planner.estimate(
                    model: prediction.accounting, gpu: prediction.gpu, configuration: prediction.configuration,
                    calibration: factors)
                else { continue }
                let readings: [(String, Int?, Int)] = [
                    ("device used", run.deviceUsedBytes, estimate.deviceUsedBytes),
                    ("reserved", run.peakReservedBytes, estimate.peakReservedBytes),
                    ("allocated", run.peakAllocatedBytes, estimate.peakAllocatedBytes),
                ]
                guard let (counter, measured, predicted) = readings.first(where: { $0.1 != nil }), let measured else { continue }
                let c = prediction.configuration
                let size = run.seqLen.map { " seq \($0)" } ?? run.imageSize.map { " \($0)px" } ?? ""
                points.append(MeasuredPoint(
                    label: "\(prediction.model.name)\(c.mode == .full ? "" : " " + c.mode.rawValue) bs \(c.batchSize)\(size) \(c.precision.rawValue) on \(prediction.gpu.name) (\(counter))",
                    measuredBytes: measured, predictedBytes: predicted))
            }
        }
        return points
    }
}
