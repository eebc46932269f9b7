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
    /// What a run had room for, and the counter it is judged at there: a cap bounds what PyTorch's caching allocator
    /// may reserve (`set_per_process_memory_fraction`; the CUDA context and the libraries' memory lie outside it), so
    /// a capped run is judged at the reserved level against the cap; a run on a card at the device-used level against
    /// the card's memory.
    static func room(of run: MeasuredRun, on gpu: GPU) -> (bytes: Int, counter: CalibrationCounter) {
        if let cap = run.memoryCapBytes { return (cap, .reserved) }
        return (run.gpuMemoryBytes ?? gpu.memoryBytes, .deviceUsed)
    }

    /// The card a capped run emulates, for the planner's maximum batch: the cap of allocator room, and the planner's
    /// runtime context (calibrated, else the card's default) beside it.
    static func emulatedCard(_ gpu: GPU, cap: Int, calibration: CalibrationFactors, framework: Framework) -> GPU {
        var card = gpu
        card.memoryBytes = cap
            + (calibration.runtimeContextBytes ?? RuntimeDefaults.resolve(gpu: gpu, framework: framework).runtimeContextBytes)
        return card
    }

    /// How far a reading may be from its prediction before the run is left out of calibration as a mistake.
    ///
    /// The analytic model is within a factor of 2 of the measured runs it is checked on; a unit mix-up (MB for GB,
    /// bytes for GB) is a factor of 1,000 or more. One such run made its scopes' spread a factor of e^31, which no
    /// plan survives.
    static let implausibleRatio = 100.0

    /// Throws when one of the run's memory readings is more than `implausibleRatio` times larger or smaller than
    /// the prediction of that counter: such a run is left out of the fit, with the reason, as a run the planner
    /// cannot predict is.
    static func checkPlausible(_ run: MeasuredRun, _ estimate: MemoryEstimate) throws(CoreError) {
        guard run.kind == .memAtBatch else { return }
        let readings: [(String, Int?, Int)] = [
            ("peak_allocated_bytes", run.peakAllocatedBytes, estimate.peakAllocatedBytes),
            ("peak_reserved_bytes", run.peakReservedBytes, estimate.peakReservedBytes),
            ("device_used_bytes", run.deviceUsedBytes, estimate.deviceUsedBytes),
        ]
        for (name, reading, predicted) in readings {
            guard let reading, predicted > 0 else { continue }
            let ratio = Double(reading) / Double(predicted)
            if ratio > implausibleRatio || ratio < 1 / implausibleRatio {
                throw .invalidValue(
                    what: "run", value: run.key,
                    fix: "\(name) \(ByteSize.format(reading)) is "
                        + (ratio > 1 ? String(format: "%.0f×", ratio) : String(format: "1/%.0f of", 1 / ratio))
                        + " the predicted \(ByteSize.format(predicted)), more than 100× off: probably a unit left off; "
                        + "the run is left out of calibration until it is fixed (runs remove, then record it again)")
            }
        }
    }

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
    /// OOMs, "fits" and "maximum batch" facts (which ran at B and, with `bracket_next`, failed at the next size),
    /// less the facts another run states already (`statedSides`): each run's `RunFacts`, then the check across runs.
    public static func observations(_ predictions: [Prediction]) -> [CalibrationObservation] {
        observations(facts(predictions))
    }

    /// `observations(_:)` with the runs' facts worked out in up to `concurrency` stretches of at least
    /// `minimumRunsPerPart` runs (tests lower it to split a small catalog).
    static func observations(
        _ predictions: [Prediction], minimumRunsPerPart: Int, concurrency: Int = ParallelMap.defaultConcurrency
    ) -> [CalibrationObservation] {
        observations(facts(predictions, minimumRunsPerPart: minimumRunsPerPart, concurrency: concurrency))
    }

    /// Which sides of maximum-batch facts another run already states, by the max_batch run's index: a run of the
    /// same source, accounting and configuration (all but the batch), card and cap that ran at its batch (a reading
    /// or a "fits") or ran out of memory at its next one (an "oom").
    ///
    /// A search (`tools/measure_torch.py --find-max`) writes every probe as a run of its own and then the bracket
    /// as a max_batch run, whose two sides are its last good probe and its first failing one again. Counted twice,
    /// each search's facts weighed double in the fit; a bracket whose probes are not in the catalog keeps both sides.
    /// A fits or oom run that repeats an earlier run's outcome (the same source, configuration, batch and room) is
    /// in `repeated`: a search whose first probe already ran out of memory also writes its bracket, "batch 0", which
    /// reads as an OOM at batch 1 again.
    struct StatedSides: Sendable {
        var ran: Set<Int> = []
        var outOfMemory: Set<Int> = []
        var repeated: Set<Int> = []
    }

    static func statedSides(_ predictions: [Prediction]) -> StatedSides {
        statedSides(facts(predictions))
    }

    /// "KEY#counter", written in one allocation.
    static func id(_ key: String, _ counter: CalibrationCounter) -> String {
        var key = key
        let suffix = counter.rawValue
        return key.withUTF8 { key in
            String(unsafeUninitializedCapacity: key.count + 1 + suffix.utf8.count) { buffer in
                var end = buffer.initialize(fromContentsOf: key)
                buffer[end] = UInt8(ascii: "#")
                end += 1
                for byte in suffix.utf8 {
                    buffer[end] = byte
                    end += 1
                }
                return end
            }
        }
    }

    /// The scope path and runtime defaults of the last card, model and stack seen (runs of one configuration follow
    /// each other), compared field by field with a prediction read in place.
    struct Lookups {
        private var path:
            (
                gpu: String, architecture: String, family: ModelFamily, model: String, framework: Framework.Name,
                trainer: Trainer.Kind?, checkpointing: Checkpointing, path: CalibrationScopePath
            )?
        private var defaults: (architecture: String, framework: Framework, values: RuntimeDefaults)?

        /// `RunEvidence.scopePath` for prediction `i`.
        mutating func path(_ all: UnsafeBufferPointer<Prediction>, _ i: Int) -> CalibrationScopePath {
            if let path, path.gpu == all[i].gpu.name, path.architecture == all[i].gpu.architecture,
                path.family == all[i].model.family, path.model == all[i].model.name,
                path.framework == all[i].configuration.framework.name,
                path.trainer == all[i].configuration.trainer?.kind,
                path.checkpointing == all[i].configuration.checkpointing
            {
                return path.path
            }
            let made = RunEvidence.scopePath(
                gpu: all[i].gpu, model: all[i].model, framework: all[i].configuration.framework,
                trainer: all[i].configuration.trainer, checkpointing: all[i].configuration.checkpointing)
            path = (
                all[i].gpu.name, all[i].gpu.architecture, all[i].model.family, all[i].model.name,
                all[i].configuration.framework.name, all[i].configuration.trainer?.kind,
                all[i].configuration.checkpointing, made
            )
            return made
        }

        /// `RunEvidence.decomposition` of prediction `i` with its estimate's peak replaced by `peak`.
        mutating func decomposition(
            _ all: UnsafeBufferPointer<Prediction>, _ i: Int, _ peak: PeakDecomposition
        ) -> CalibrationDecomposition {
            if defaults == nil || defaults!.architecture != all[i].gpu.architecture
                || defaults!.framework != all[i].configuration.framework
            {
                defaults = (
                    all[i].gpu.architecture, all[i].configuration.framework,
                    RuntimeDefaults.resolve(gpu: all[i].gpu, framework: all[i].configuration.framework)
                )
            }
            let values = defaults!.values
            var d = CalibrationDecomposition(
                modelStates: Double(peak.modelStates), activations: Double(peak.activations), other: Double(peak.other),
                defaultReserveRatio: values.allocatorReserveRatio,
                defaultContextBytes: Double(values.runtimeContextBytes))
            d.exactStates = Double(peak.exactStates)
            return d
        }
    }
}

extension MeasuredRun {
    /// The run's reading of `counter`, if it has one.
    func reading(_ counter: CalibrationCounter) -> Int? {
        switch counter {
        case .allocated: peakAllocatedBytes
        case .reserved: peakReservedBytes
        case .deviceUsed: deviceUsedBytes
        }
    }
}
