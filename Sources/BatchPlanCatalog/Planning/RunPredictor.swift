import BatchPlanCore
import Dispatch
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
        /// What a run's prediction reads from it, apart from its batch, with its model and card by catalog name (a
        /// name stands for one model or card throughout a catalog read; a recipe also keeps the card it was prepared
        /// with, and a run on an unequal card prepares its own).
        private struct Recipe: Hashable {
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

            /// Hashes what tells recipes apart cheaply: the model, the card and the numbers and choices, with the other
            /// strings (the notes are a sentence or two) by length only; `==` compares every field. Hashing every
            /// string in full was most of a run's cost here.
            func hash(into hasher: inout Hasher) {
                hasher.combine(model)
                hasher.combine(gpu)
                hasher.combine(framework.utf8.count)
                hasher.combine(trainer?.utf8.count)
                hasher.combine(notes?.utf8.count)
                hasher.combine(seqLen)
                hasher.combine(imageSize)
                hasher.combine(task)
                hasher.combine(attention)
                hasher.combine(precision)
                hasher.combine(optimizer)
                hasher.combine(checkpointing)
                hasher.combine(trainingMode)
                hasher.combine(loraRank)
                hasher.combine(loraTargets?.count)
                hasher.combine(loraDropoutBits)
                hasher.combine(gradAccumSteps)
                hasher.combine(gpus)
                hasher.combine(zeroStage)
                hasher.combine(stack)
            }

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
        }

        /// What the runs of one recipe share: the accounting and the configuration (at the first run's batch), or
        /// why the model could not be accounted; and the phase model, or why it could not be built.
        private struct Prepared {
            var gpu: GPU
            var shared: Result<Shared, CoreError>
        }

        private struct Shared {
            var accounting: ModelAccounting
            var accountingKey: String
            var configuration: TrainingConfiguration
            var phase: Result<EstimateCache.Phase, CoreError>
        }

        private var accountings: [String: ModelAccounting] = [:]
        private var estimates = EstimateCache()
        private var parser = ConfigurationParser()
        private var recipes: [Recipe: Prepared] = [:]

        /// Predicts the usable runs among `entries`, in order, handing each prediction to `body`; returns the runs
        /// the planner rejects, with the reason.
        mutating func predict(
            _ entries: ArraySlice<Catalog.RunWithUsability>, _ body: (consuming Prediction) -> Void
        ) -> [(StoredRun, String)] {
            var skipped: [(StoredRun, String)] = []
            for index in entries.indices where entries[index].unusableReason == nil {
                guard let gpu = entries[index].gpu, let model = entries[index].model else { continue }
                do throws(CoreError) {
                    body(try prediction(for: entries[index].stored.run, gpu: gpu, model: model))
                } catch {
                    skipped.append((entries[index].stored, error.description))
                }
            }
            return skipped
        }

        /// The prediction of one run, or what the per-run path throws for it: the accounting's error, else the
        /// configuration's validation error at the run's batch, else the phase model's error.
        mutating func prediction(for run: MeasuredRun, gpu: GPU, model: CatalogModel) throws(CoreError) -> Prediction {
            let recipe = Recipe(run, model: model.name, gpu: gpu.name)
            let prepared: Prepared
            if let known = recipes[recipe], known.gpu == gpu {
                prepared = known
            } else {
                prepared = prepare(run, gpu: gpu, model: model)
                recipes[recipe] = prepared
            }
            let shared = try prepared.shared.get()
            var configuration = shared.configuration
            configuration.batchSize = run.batchSize ?? 1
            _ = try configuration.validated()
            let estimate = estimates.estimate(
                try shared.phase.get(), batch: configuration.batchSize, model: shared.accounting, gpu: gpu)
            return Prediction(
                run: run, gpu: gpu, model: model, accounting: shared.accounting, accountingKey: shared.accountingKey,
                configuration: configuration, estimate: estimate)
        }

        /// Accounts the model and builds the phase model for `run`'s recipe. Each distinct model × input × trainer
        /// adjustment is accounted once (the accounting key).
        private mutating func prepare(_ run: MeasuredRun, gpu: GPU, model: CatalogModel) -> Prepared {
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
                return Prepared(gpu: gpu, shared: .success(Shared(
                    accounting: accounting, accountingKey: key, configuration: configuration, phase: phase)))
            } catch {
                return Prepared(gpu: gpu, shared: .failure(error))
            }
        }
    }

    /// Predictions for `runs`, and the runs skipped with the reason, split into consecutive stretches predicted at
    /// once, one per core, joined in order: the same predictions, in the same order, as one predictor over all of them
    /// (each stretch repeats the recipes it shares with the others, which a stretch of a few thousand runs repays).
    ///
    /// Each stretch writes its predictions straight into the result, from the position of its first run on (a
    /// stretch predicts at most one run per entry, so stretches never overlap), and the gaps left by unusable and
    /// skipped runs are closed by moving each stretch down after the previous one: no prediction is copied.
    ///
    /// - Parameters:
    ///   - concurrency: stretches at most; 1 predicts on the calling thread.
    ///   - minimumRunsPerPart: fewest runs worth a stretch of their own (tests lower it to split a small catalog).
    static func predictions(
        _ runs: [Catalog.RunWithUsability], concurrency: Int, minimumRunsPerPart: Int = RunEvidence.minimumRunsPerPart
    ) -> (predictions: [Prediction], skipped: [(StoredRun, String)]) {
        let parts = max(1, min(concurrency, runs.count / minimumRunsPerPart))
        let bounds = (0...parts).map { runs.count * $0 / parts }
        let skipped = PartSlots<[(StoredRun, String)]>(count: parts)
        let predictions = [Prediction](unsafeUninitializedCapacity: runs.count) { buffer, initialized in
            let output = PredictionSlots(buffer: buffer)
            let counts = PartSlots<Int>(count: parts)
            let predict: @Sendable (Int) -> Void = { part in
                var predictor = RunPredictor()
                var count = 0
                let rejected = predictor.predict(runs[bounds[part]..<bounds[part + 1]]) { prediction in
                    output.initialize(bounds[part] + count, to: prediction)
                    count += 1
                }
                counts.store(count, at: part)
                skipped.store(rejected, at: part)
            }
            if parts == 1 {
                predict(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: parts, execute: predict)
            }
            initialized = 0
            for (part, count) in counts.values().enumerated() {
                output.move(count, from: bounds[part], to: initialized)
                initialized += count
            }
        }
        return (predictions, skipped.values().flatMap { $0 })
    }

    /// Fewest runs worth a stretch of their own: each stretch prepares again the recipes it shares with the others.
    static let minimumRunsPerPart = 4096

    /// The result's storage while stretches write into it: each stretch initializes its own positions.
    private struct PredictionSlots: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<Prediction>

        func initialize(_ index: Int, to prediction: consuming Prediction) {
            (buffer.baseAddress! + index).initialize(to: prediction)
        }

        /// Moves `count` predictions from `source` down to `destination` (the ranges may overlap).
        func move(_ count: Int, from source: Int, to destination: Int) {
            guard count > 0, source != destination else { return }
            (buffer.baseAddress! + destination).moveInitialize(from: buffer.baseAddress! + source, count: count)
        }
    }

    /// Each stretch's results, written once from worker threads.
    private final class PartSlots<Value>: @unchecked Sendable {
        private var storage: [Value?]
        private let lock = NSLock()

        init(count: Int) { storage = Array(repeating: nil, count: count) }

        func store(_ value: Value, at index: Int) {
            lock.lock()
            storage[index] = value
            lock.unlock()
        }

        func values() -> [Value] {
            lock.lock()
            defer { lock.unlock() }
            return storage.map { $0! }
        }
    }
}
