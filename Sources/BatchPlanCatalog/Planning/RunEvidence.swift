import BatchPlanCore
import Foundation

/// Turns usable measured runs into what the planner predicts for them and what the calibration fitter fits.
public struct RunEvidence: Sendable {
    /// One usable run with the model accounting and configuration it was predicted at.
    public struct Prediction: Sendable {
        public var run: MeasuredRun
        public var gpu: GPU
        public var model: CatalogModel
        public var accounting: ModelAccounting
        /// Identifies `accounting` among a batch of predictions (model, input, task, attention, trainer
        /// adjustments): equal keys, equal accountings.
        public var accountingKey: String
        public var configuration: TrainingConfiguration
        /// The analytic (uncalibrated) estimate at the run's batch.
        public var estimate: MemoryEstimate
    }

    /// Accounting options a run was measured at: its sequence length or image size, task and attention.
    public static func accountingOptions(for run: MeasuredRun, family: ModelFamily) -> AccountingOptions {
        var input: InputSize?
        if let seq = run.seqLen, family != .cnn {
            input = .sequence(length: seq)
        } else if let image = run.imageSize {
            input = .image(channels: 3, height: image, width: image)
        }
        return AccountingOptions(input: input, task: run.task, attention: run.attention ?? defaultAttention(run))
    }

    /// The attention a run used when it does not say: eager on PyTorch 1.x, which has no
    /// `torch.nn.functional.scaled_dot_product_attention` (added in PyTorch 2.0, "Beta: SDPA" in the 2.0 release
    /// notes), so timm, transformers and torchvision fell back to `softmax(q·kᵀ)·v` and kept the S×S
    /// probabilities; SDPA otherwise.
    static func defaultAttention(_ run: MeasuredRun) -> AttentionImplementation {
        guard let framework = try? Framework(parsing: run.framework), framework.name == .pytorch,
            let version = framework.version, let major = Int(version.prefix { $0.isNumber })
        else { return .sdpa }
        return major < 2 ? .eager : .sdpa
    }

    /// The training configuration a run used, at batch `batch` (default: the run's own).
    ///
    /// With `accounting`, LoRA/QLoRA runs also take the adapter targets and dropout their notes state
    /// (`RunAdapterSettings`); without it, or when the notes say nothing, the planner's defaults apply.
    public static func configuration(
        for run: MeasuredRun, batch: Int? = nil, accounting: ModelAccounting? = nil
    ) -> TrainingConfiguration {
        var parser = ConfigurationParser()
        return parser.configuration(for: run, batch: batch, accounting: accounting)
    }

    /// `configuration(for:batch:accounting:)` with what it reads from a run's strings (framework, trainer, the
    /// adapter settings its notes state) parsed once per distinct string: a calibration's runs repeat a few of
    /// them, and parsing them per run was a third of predicting it.
    struct ConfigurationParser {
        private var frameworks: [String: Framework] = [:]
        private var trainers: [String: Trainer?] = [:]
        private var notedTrainers: [String: Trainer?] = [:]
        private var targets: [String: [String]?] = [:]
        private var dropouts: [String: Double?] = [:]

        /// - Parameter accountingKey: identifies `accounting` (as `Prediction.accountingKey`), so the adapter targets
        ///   its notes resolve to are kept per model; `nil` resolves them every time.
        mutating func configuration(
            for run: MeasuredRun, batch: Int? = nil, accounting: ModelAccounting? = nil, accountingKey: String? = nil
        ) -> TrainingConfiguration {
            let mode = run.trainingMode ?? .full
            let framework = frameworks[run.framework] ?? {
                let parsed = (try? Framework(parsing: run.framework)) ?? .pytorch
                frameworks[run.framework] = parsed
                return parsed
            }()
            let notes = run.notes ?? ""
            let trainer: Trainer?
            if let stated = run.trainer {
                if let known = trainers[stated] {
                    trainer = known
                } else {
                    trainer = try? Trainer(parsing: stated)
                    trainers[stated] = .some(trainer)
                }
            } else if let known = notedTrainers[notes] {
                trainer = known
            } else {
                trainer = RunAdapterSettings.trainer(notes: run.notes)
                notedTrainers[notes] = .some(trainer)
            }
            var configuration = TrainingConfiguration(
                precision: run.precision ?? .fp32, optimizer: run.optimizer ?? .sgd, checkpointing: run.checkpointing,
                mode: mode, loraRank: run.loraRank ?? 8, batchSize: batch ?? run.batchSize ?? 1,
                gradAccumSteps: run.gradAccumSteps, gpus: run.gpus, zeroStage: run.zeroStage,
                framework: framework, trainer: trainer, stack: run.stack)
            if mode == .lora || mode == .qlora {
                if let stated = run.loraTargets {
                    configuration.loraTargets = stated
                } else if let accounting {
                    if let accountingKey {
                        let key = accountingKey + "\u{0}" + notes
                        if let known = targets[key] {
                            configuration.loraTargets = known
                        } else {
                            let resolved = RunAdapterSettings.targets(notes: run.notes, accounting: accounting)
                            targets[key] = .some(resolved)
                            configuration.loraTargets = resolved
                        }
                    } else {
                        configuration.loraTargets = RunAdapterSettings.targets(notes: run.notes, accounting: accounting)
                    }
                }
                if let stated = run.loraDropout {
                    configuration.loraDropout = stated
                } else if let known = dropouts[notes] {
                    configuration.loraDropout = known ?? 0
                } else {
                    let parsed = RunAdapterSettings.dropout(notes: run.notes)
                    dropouts[notes] = .some(parsed)
                    configuration.loraDropout = parsed ?? 0
                }
            }
            return configuration
        }
    }

    /// The calibration scope path of a run: framework (name only, so versions pool their evidence), architecture,
    /// card, family, model.
    ///
    /// A trainer other than a plain PyTorch loop is part of the framework's key ("pytorch+hf-trainer"): its
    /// structural choices (optimizer implementation, loss dtype) are the stack's, not the card's or the model's.
    public static func scopePath(
        gpu: GPU, model: CatalogModel, framework: Framework, trainer: Trainer? = nil, checkpointing: Checkpointing? = nil
    ) -> CalibrationScopePath {
        let stack = trainer.map { $0.kind == .pytorch ? "" : "+\($0.kind.rawValue)" } ?? ""
        return CalibrationScopePath(
            framework: framework.name.rawValue + stack, architecture: gpu.architecture, gpu: gpu.name,
            family: model.family.rawValue, model: model.name, checkpointing: checkpointing?.rawValue)
    }

    /// Predictions for every usable run, in order; runs whose configuration the planner rejects are skipped with the
    /// reason.
    ///
    /// Runs that share a recipe (all but the batch) are accounted and configured once, and each distinct
    /// configuration's phase model is built once (`RunPredictor`): a run costs one evaluation at its batch. Large
    /// catalogs are predicted in stretches, one per core, joined in run order.
    public static func predictions(_ runs: [Catalog.RunWithUsability]) -> (predictions: [Prediction], skipped: [(StoredRun, String)]) {
        predictions(runs, concurrency: ProcessInfo.processInfo.activeProcessorCount)
    }
}

extension RunEvidence {
    /// The fitter's view of one prediction: the peak split with the card's runtime defaults.
    static func decomposition(_ prediction: Prediction) -> CalibrationDecomposition {
        let defaults = RuntimeDefaults.resolve(gpu: prediction.gpu, framework: prediction.configuration.framework)
        let peak = prediction.estimate.decomposition
        var d = CalibrationDecomposition(
            modelStates: Double(peak.modelStates), activations: Double(peak.activations), other: Double(peak.other),
            defaultReserveRatio: defaults.allocatorReserveRatio, defaultContextBytes: Double(defaults.runtimeContextBytes))
        d.exactStates = Double(peak.exactStates)
        return d
    }

    /// Observations for the calibration fitter: one per memory counter a run reports, and outcome constraints for
    /// OOMs, "fits" and "maximum batch" facts (which ran at B and, with `bracket_next`, failed at the next size).
    public static func observations(_ predictions: [Prediction]) -> [CalibrationObservation] {
        var observations: [CalibrationObservation] = []
        // The failing side of a maximum-batch fact is the same configuration at the next batch: one more evaluation
        // of a phase model the cache usually has already.
        var estimates = EstimateCache()
        for prediction in predictions {
            let run = prediction.run
            let path = scopePath(
                gpu: prediction.gpu, model: prediction.model, framework: prediction.configuration.framework,
                trainer: prediction.configuration.trainer, checkpointing: prediction.configuration.checkpointing)
            let source = run.url ?? run.source
            let decomposition = decomposition(prediction)
            // What the card could give at the device-used level: the cap plus the context outside it, or the card.
            let capacity = Double(run.memoryCapBytes.map { $0 + (run.contextBytes ?? 0) } ?? run.gpuMemoryBytes ?? prediction.gpu.memoryBytes)
            let readings: [(CalibrationCounter, Int?)] = [
                (.allocated, run.peakAllocatedBytes), (.reserved, run.peakReservedBytes), (.deviceUsed, run.deviceUsedBytes),
            ]
            switch run.kind {
            case .memAtBatch:
                for (counter, bytes) in readings {
                    guard let bytes else { continue }
                    observations.append(CalibrationObservation(
                        id: "\(run.key)#\(counter.rawValue)", source: source, path: path, decomposition: decomposition,
                        evidence: .measured(counter: counter, bytes: Double(bytes))))
                }
            case .fits, .oom:
                observations.append(CalibrationObservation(
                    id: run.key, source: source, path: path, decomposition: decomposition,
                    evidence: .outcome(ran: run.outcome == .ok, capacityBytes: capacity)))
            case .maxBatch:
                var oomAt: CalibrationDecomposition?
                var nextConfiguration = prediction.configuration
                if let next = run.bracketNext { nextConfiguration.batchSize = next }
                if run.bracketNext != nil, let nextEstimate = try? estimates.estimate(
                    model: prediction.accounting, key: prediction.accountingKey, gpu: prediction.gpu,
                    configuration: nextConfiguration)
                {
                    var failing = prediction
                    failing.estimate = nextEstimate
                    oomAt = Self.decomposition(failing)
                }
                observations += CalibrationObservation.maxBatchFact(
                    id: run.key, source: source, path: path, ranAt: decomposition, oomAt: oomAt, capacityBytes: capacity)
            }
        }
        return observations
    }
}
