import BatchPlanCatalog
import BatchPlanCore
import Foundation

/// What one fit produced, with everything needed to explain it: the cards, the accounted models, the calibration.
struct FitOutcome {
    var query: FitQuery
    var gpus: [GPU]
    /// The models planned, each with its catalog row, in the order asked.
    var models: [(catalog: CatalogModel, accounting: ModelAccounting)]
    var solver: SolverOptions
    var framework: Framework
    /// What runs the loop (`--trainer`); `nil` is a plain PyTorch loop.
    var trainer: Trainer? = nil
    /// The calibration the plans used (`CalibrationModel.analytic` with --no-calibration).
    var calibration: CalibrationModel
    /// The step-time calibration the plans used (`.analytic` with --no-calibration).
    var throughput: ThroughputCalibration
    var results: [FitResult]

    /// The factors a card × model was planned with.
    func factors(for model: CatalogModel, gpu: GPU) -> CalibrationFactors {
        calibration.factors(for: model, gpu: gpu, framework: framework, trainer: trainer)
    }

    /// True when no card × model has a plan that fits (the "nothing fits" exit code).
    var nothingFits: Bool { !results.isEmpty && results.allSatisfy { $0.best == nil } }
}

/// Runs a fit from a `FitQuery`: the one path `fit`, `report` and `report --plan --compare` share.
struct FitRunner {
    var catalog: Catalog

    /// - Parameter flags: the parsed flags `query` was made from, when the caller has them (`fit`, `report`);
    ///   without them (a saved plan asked again) they are rebuilt from the query, which parses them afresh.
    func run(_ query: FitQuery, flags: FitFlags? = nil) throws -> FitOutcome {
        let flags = try flags ?? FitFlags(query)
        let gpus = try flags.cards.cards(in: catalog)
        do {
            try Planner.checkSupport(anyOf: query.precisions, on: gpus)
        } catch {
            throw CatalogError.core(error)
        }
        let options = try flags.accounting.options()
        let selected = query.models.isEmpty ? try catalog.models() : try query.models.map { try catalog.model(named: $0) }
        let base = try flags.training.base()
        // The optimizer and the training mode are what the user trains, not knobs to trade for batch size: unless
        // asked, plans use AdamW and compare full training with LoRA and QLoRA (frozen only on request).
        let filters = FitFilters(
            precisions: query.precisions.isEmpty ? nil : query.precisions,
            optimizers: query.optimizers.isEmpty ? [.adamw] : query.optimizers,
            checkpointing: query.checkpointing.isEmpty ? nil : query.checkpointing,
            modes: query.modes.isEmpty ? [.full, .lora, .qlora] : query.modes, base: base)
        let solver = try flags.solver.options()
        try solver.headroom.check(against: gpus, flag: flags.solver.headroom)
        var accounted: [(catalog: CatalogModel, accounting: ModelAccounting)] = []
        let accountings = ModelLoading.account(each: selected, options, in: catalog)
        for (model, accounting) in zip(selected, accountings) {
            switch accounting {
            case let .success(value):
                accounted.append((model, value.asTrained(by: base)))
            case let .failure(error):
                // A model asked for by name must account; over the whole catalog, one that cannot is skipped.
                guard query.models.isEmpty else { throw error }
                Output.warning("skipped \(model.name): \(error.description)")
            }
        }
        let (calibration, throughput) = query.noCalibration
            ? (CalibrationModel.analytic, ThroughputCalibration.analytic)
            : try Progress.during("calibrating from the catalog's runs") { try catalog.currentCalibrations() }
        let byName = Dictionary(accounted.map { ($0.accounting.name, $0.catalog) }, uniquingKeysWith: { a, _ in a })
        let framework = base.framework
        let results: [FitResult]
        do {
            let count = "\(accounted.count) model\(accounted.count == 1 ? "" : "s") × \(gpus.count) card\(gpus.count == 1 ? "" : "s")"
            results = try Progress.during("planning \(count)") {
                try Planner.fit(
                    models: accounted.map(\.accounting), gpus: gpus, filters: filters, options: solver,
                    calibration: { model, gpu in
                        guard let catalogModel = byName[model.name] else { return .analytic }
                        return calibration.factors(for: catalogModel, gpu: gpu, framework: framework, trainer: base.trainer)
                    },
                    throughput: { model, gpu in
                        guard let catalogModel = byName[model.name] else { return .defaults }
                        return throughput.factors(for: catalogModel, gpu: gpu)
                    })
            }
        } catch let error as CoreError {
            throw CatalogError.core(error)
        }
        return FitOutcome(
            query: query, gpus: gpus, models: accounted, solver: solver, framework: framework, trainer: base.trainer,
            calibration: calibration, throughput: throughput, results: results)
    }
}
