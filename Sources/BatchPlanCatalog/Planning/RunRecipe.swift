import BatchPlanCore
import Foundation

extension RunEvidence {
    /// What a run's prediction reads from it, apart from its batch, with its model and card by catalog name (a
    /// name stands for one model or card throughout a catalog read; a recipe also keeps the card it was prepared
    /// with, and a run on an unequal card prepares its own).
    struct Recipe: Sendable {
        var model: String
        var gpu: String
        var framework: String
        var trainer: String?
        var notes: String?
        var seqLen: Int?
        var imageSize: Int?
        var task: TrainingTask?
        var attention: AttentionImplementation?
        var precision: Precision?
        var optimizer: OptimizerKind?
        var checkpointing: Checkpointing
        var trainingMode: TrainingMode?
        var loraRank: Int?
        var loraTargets: [String]?
        /// The bits, so that 0 and -0 (equal as `Double`s) stay apart, as they do in a configuration.
        var loraDropoutBits: UInt64?
        var gradAccumSteps: Int
        var gpus: Int
        var zeroStage: Int
        var stack: TrainingStackOverrides?

        init(_ run: MeasuredRun, model: String, gpu: String) {
            self.model = model
            self.gpu = gpu
            framework = run.framework
            trainer = run.trainer
            notes = run.notes
            seqLen = run.seqLen
            imageSize = run.imageSize
            task = run.task
            attention = run.attention
            precision = run.precision
            optimizer = run.optimizer
            checkpointing = run.checkpointing
            trainingMode = run.trainingMode
            loraRank = run.loraRank
            loraTargets = run.loraTargets
            loraDropoutBits = run.loraDropout?.bitPattern
            gradAccumSteps = run.gradAccumSteps
            gpus = run.gpus
            zeroStage = run.zeroStage
            stack = run.stack
        }

        /// Whether `run` has this recipe.
        func matches(_ run: MeasuredRun, model: String, gpu: String) -> Bool {
            self.model == model && self.gpu == gpu && seqLen == run.seqLen && imageSize == run.imageSize
                && task == run.task && attention == run.attention && precision == run.precision
                && optimizer == run.optimizer && checkpointing == run.checkpointing
                && trainingMode == run.trainingMode && loraRank == run.loraRank
                && loraDropoutBits == run.loraDropout?.bitPattern && gradAccumSteps == run.gradAccumSteps
                && gpus == run.gpus && zeroStage == run.zeroStage && stack == run.stack
                && loraTargets == run.loraTargets && framework == run.framework && trainer == run.trainer
                && notes == run.notes
        }

        /// Where to look for `run`'s recipe: its names, numbers and choices, its other texts by samples.
        static func fingerprint(_ run: MeasuredRun, model: String, gpu: String) -> UInt64 {
            var fingerprint = Fingerprint()
            fingerprint.add(model)
            fingerprint.add(gpu)
            fingerprint.add(run.framework)
            fingerprint.add(run.trainer)
            fingerprint.add(run.notes)
            fingerprint.add(run.seqLen)
            fingerprint.add(run.imageSize)
            fingerprint.add(run.loraRank)
            fingerprint.add(run.gradAccumSteps)
            fingerprint.add(run.gpus)
            fingerprint.add(run.zeroStage)
            fingerprint.add(run.task?.rawValue)
            fingerprint.add(run.attention?.rawValue)
            fingerprint.add(run.precision?.rawValue)
            fingerprint.add(run.optimizer?.rawValue)
            fingerprint.add(run.checkpointing.rawValue)
            fingerprint.add(run.trainingMode?.rawValue)
            return fingerprint.value
        }
    }

    /// What the runs of one recipe share: the card, and the accounting, configuration (at the first run's batch) and
    /// phase model, or why the model could not be accounted or the phase model not be built.
    struct PreparedRecipe: Sendable {
        var gpu: GPU
        var shared: Result<RecipeParts, CoreError>
    }

    struct RecipeParts: Sendable {
        var accounting: ModelAccounting
        var accountingKey: String
        var configuration: TrainingConfiguration
        var phase: Result<EstimateCache.Phase, CoreError>
    }

    /// Recipes with what their runs share, found by fingerprint and confirmed field by field.
    struct RecipeTable {
        private var recipes: [Recipe] = []
        private(set) var prepared: [PreparedRecipe] = []
        /// The last recipe added with a fingerprint; `sameFingerprint` leads from each recipe to the one added before
        /// it with the same fingerprint, or -1.
        private var byFingerprint: [UInt64: Int] = [:]
        private var sameFingerprint: [Int] = []

        /// The index of `run`'s recipe on `gpu`, if it is here.
        func index(of run: MeasuredRun, gpu: GPU, model: String, fingerprint: UInt64) -> Int? {
            var index = byFingerprint[fingerprint] ?? -1
            while index >= 0 {
                if recipes[index].matches(run, model: model, gpu: gpu.name), prepared[index].gpu == gpu { return index }
                index = sameFingerprint[index]
            }
            return nil
        }

        /// Adds a recipe; returns its index.
        mutating func add(_ recipe: Recipe, _ prepared: PreparedRecipe, fingerprint: UInt64) -> Int {
            recipes.append(recipe)
            self.prepared.append(prepared)
            sameFingerprint.append(byFingerprint[fingerprint] ?? -1)
            byFingerprint[fingerprint] = recipes.count - 1
            return recipes.count - 1
        }
    }

    /// Recipes the predictors of one prediction prepared on several cores, for each to take what another prepared.
    ///
    /// Two cores meeting a new recipe at once may both prepare it: the same values, kept twice.
    final class SharedRecipes: @unchecked Sendable {
        private var table = RecipeTable()
        private let lock = NSLock()

        func prepared(for run: MeasuredRun, gpu: GPU, model: String, fingerprint: UInt64) -> PreparedRecipe? {
            lock.lock()
            defer { lock.unlock() }
            return table.index(of: run, gpu: gpu, model: model, fingerprint: fingerprint).map { table.prepared[$0] }
        }

        func add(_ recipe: Recipe, _ prepared: PreparedRecipe, fingerprint: UInt64) {
            lock.lock()
            defer { lock.unlock() }
            _ = table.add(recipe, prepared, fingerprint: fingerprint)
        }
    }
}
