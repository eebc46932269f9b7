import BatchPlanCore
import Foundation

extension RunEvidence {
    /// Predicts runs one after another, doing once what runs of the same recipe share.
    ///
    /// A catalog's runs repeat recipes: a sweep over batch sizes, the same recipe on several cards, repeats. Everything
    /// a prediction reads from a run but its batch (model, card, input, trainer, notes, precision, optimizer, …) is its
    /// `Recipe`; per recipe the predictor accounts the model, parses the configuration and builds the phase model
    /// once (`EstimateCache.phase`), and a run then costs a look-up, a validation of its batch and one evaluation of
    /// the phase model. The predictions are the values the per-run path gives (`RunPredictorTests`).
    ///
    /// Not thread-safe: one predictor per loop.
    struct RunPredictor {
        private var accountings: [String: ModelAccounting] = [:]
        private var estimates = EstimateCache()
        private var parser = ConfigurationParser()
        /// The recipes this predictor met, with what their runs share.
        private var recipes = RecipeTable()
        /// Recipes any predictor of the same prediction prepared, taken instead of preparing them again.
        private let shared: SharedRecipes?

        /// - Parameter shared: where the predictors working on one prediction on several cores leave and take the
        ///   recipes they prepare; `nil` for a predictor working alone.
        init(sharing shared: SharedRecipes? = nil) {
            self.shared = shared
        }

        /// Predicts the usable runs among `entries`, in order, initializing one prediction after another from
        /// `output` on; returns how many, and the runs the planner rejects with the reason.
        mutating func predict(
            _ entries: ArraySlice<Catalog.RunWithUsability>, into output: UnsafeMutablePointer<Prediction>
        ) -> (count: Int, skipped: [(StoredRun, String)]) {
            var count = 0
            var skipped: [(StoredRun, String)] = []
            for index in entries.indices where entries[index].unusableReason == nil {
                guard entries[index].gpu != nil, entries[index].model != nil else { continue }
                do throws(CoreError) {
                    try predict(entries[index], into: output + count)
                    count += 1
                } catch {
                    skipped.append((entries[index].stored, error.description))
                }
            }
            return (count, skipped)
        }

        /// Initializes `slot` with the prediction of one run with its card and model (built in place: a prediction
        /// is 1,480 bytes), or throws what the per-run path throws for it: the accounting's error, else the
        /// configuration's validation error at the run's batch, else the phase model's error.
        mutating func predict(
            _ entry: borrowing Catalog.RunWithUsability, into slot: UnsafeMutablePointer<Prediction>
        ) throws(CoreError) {
            let (gpu, model) = (entry.gpu!, entry.model!)
            let run = entry.stored.run
            let recipe = recipeIndex(run, gpu: gpu, model: model)
            switch recipes.prepared[recipe].shared {
            case .failure(let error):
                throw error
            case .success(let shared):
                var configuration = shared.configuration
                configuration.batchSize = run.batchSize ?? 1
                _ = try configuration.validated()
                let estimate = estimates.estimate(
                    try shared.phase.get(), batch: configuration.batchSize, model: shared.accounting, gpu: gpu)
                try RunEvidence.checkPlausible(run, estimate)
                slot.initialize(to: Prediction(
                    run: run, gpu: gpu, model: model, accounting: shared.accounting, accountingKey: shared.accountingKey,
                    configuration: configuration, estimate: estimate))
            }
        }

        /// The index of `run`'s recipe, taken from the other cores' or prepared first when it is new.
        private mutating func recipeIndex(_ run: MeasuredRun, gpu: GPU, model: CatalogModel) -> Int {
            let fingerprint = Recipe.fingerprint(run, model: model.name, gpu: gpu.name)
            if let index = recipes.index(of: run, gpu: gpu, model: model.name, fingerprint: fingerprint) { return index }
            let prepared = shared?.prepared(for: run, gpu: gpu, model: model.name, fingerprint: fingerprint)
                ?? prepare(run, gpu: gpu, model: model)
            let recipe = Recipe(run, model: model.name, gpu: gpu.name)
            shared?.add(recipe, prepared, fingerprint: fingerprint)
            return recipes.add(recipe, prepared, fingerprint: fingerprint)
        }

        /// Accounts the model and builds the phase model for `run`'s recipe. Each distinct model × input × trainer
        /// adjustment is accounted once (the accounting key).
        private mutating func prepare(_ run: MeasuredRun, gpu: GPU, model: CatalogModel) -> PreparedRecipe {
            let options = accountingOptions(for: run, family: model.family)
            let base = "\(model.name)|\(options.input.map(String.init(describing:)) ?? "-")|\(options.task?.rawValue ?? "-")|\(options.attention.rawValue)"
            let trainedBy = parser.configuration(for: run)
            let key = base + "|" + ModelAccounting.trainedVariant(trainedBy)
            do throws(CoreError) {
                let accounting: ModelAccounting
                if let cached = accountings[key] {
                    accounting = cached
                } else if let untrained = accountings[base] {
                    accounting = untrained.asTrained(by: trainedBy)
                    accountings[key] = accounting
                } else {
                    let untrained = try model.definition.account(options)
                    accountings[base] = untrained
                    accounting = untrained.asTrained(by: trainedBy)
                    accountings[key] = accounting
                }
                let configuration = parser.configuration(for: run, accounting: accounting, accountingKey: key)
                let phase: Result<EstimateCache.Phase, CoreError>
                do throws(CoreError) {
                    phase = .success(try estimates.phase(model: accounting, key: key, gpu: gpu, configuration: configuration))
                } catch {
                    phase = .failure(error)
                }
                return PreparedRecipe(gpu: gpu, shared: .success(RecipeParts(
                    accounting: accounting, accountingKey: key, configuration: configuration, phase: phase)))
            } catch {
                return PreparedRecipe(gpu: gpu, shared: .failure(error))
            }
        }
    }

    /// Predictions for `runs`, and the runs skipped with the reason, predicted on up to `concurrency` cores: the same
    /// predictions, in the same order, as one predictor over all of them.
    ///
    /// The runs are cut into consecutive stretches, eight per core, that the cores take in turn, each core keeping
    /// its own predictor (recipes one core prepared, the others take: `SharedRecipes`); a core that starts late on a
    /// busy machine takes fewer stretches. Each stretch writes its predictions straight into the result, from the
    /// position after the predictable runs before it on (a stretch predicts at most its predictable runs, so
    /// stretches never overlap), and the gaps left by runs the planner rejects are closed by moving each stretch down
    /// after the previous one: no prediction is copied.
    ///
    /// - Parameters:
    ///   - concurrency: cores at most; 1 predicts on the calling thread.
    ///   - minimumRunsPerPart: fewest runs worth a core of their own (tests lower it to split a small catalog).
    static func predictions(
        _ runs: [Catalog.RunWithUsability], concurrency: Int, minimumRunsPerPart: Int = RunEvidence.minimumRunsPerPart
    ) -> (predictions: [Prediction], skipped: [(StoredRun, String)]) {
        guard !runs.isEmpty else { return ([], []) }
        let cores = max(1, min(concurrency, runs.count / minimumRunsPerPart))
        let stretches = cores == 1 ? 1 : cores * 8
        let bounds = (0...stretches).map { runs.count * $0 / stretches }
        // Where each stretch starts writing: after the runs before it that can be predicted, so that only runs the
        // planner rejects leave gaps to close (closing the unusable runs' gaps moved nearly every prediction).
        let starts = (0..<stretches).reduce(into: [0]) { starts, stretch in
            let predictable = runs[bounds[stretch]..<bounds[stretch + 1]].count {
                $0.unusableReason == nil && $0.gpu != nil && $0.model != nil
            }
            starts.append(starts[stretch] + predictable)
        }
        var skipped: [(StoredRun, String)] = []
        let predictions = [Prediction](unsafeUninitializedCapacity: runs.count) { buffer, initialized in
            let output = PredictionSlots(buffer: buffer)
            let recipes = SharedRecipes()
            let parts = ParallelMap.map(stretches, concurrency: cores, state: { RunPredictor(sharing: recipes) }) {
                predictor, stretch in
                predictor.predict(runs[bounds[stretch]..<bounds[stretch + 1]], into: output.pointer(at: starts[stretch]))
            }
            initialized = 0
            for (stretch, part) in parts.enumerated() {
                output.move(part.count, from: starts[stretch], to: initialized)
                initialized += part.count
            }
            skipped = parts.flatMap(\.skipped)
        }
        return (predictions, skipped)
    }

    /// Fewest runs worth a core of their own.
    static let minimumRunsPerPart = 4096

    /// The result's storage while stretches write into it: each stretch initializes its own positions.
    private struct PredictionSlots: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<Prediction>

        func pointer(at index: Int) -> UnsafeMutablePointer<Prediction> { buffer.baseAddress! + index }

        /// Moves `count` predictions from `source` down to `destination` (the ranges may overlap).
        func move(_ count: Int, from source: Int, to destination: Int) {
            guard count > 0, source != destination else { return }
            (buffer.baseAddress! + destination).moveInitialize(from: buffer.baseAddress! + source, count: count)
        }
    }
}
