import ArgumentParser
import BatchPlanCore

/// `--trainer` and one flag per structural choice it decides, shared by `estimate`, `fit`, `report` and `runs record`.
struct StackFlags: ParsableArguments {
    @Option(help: ArgumentHelp(
        "What runs the loop, with an optional version: \(Trainer.Kind.allCases.map(\.rawValue).joined(separator: ", ")) (default pytorch, a plain loop), e.g. hf-trainer-4.31.",
        valueName: "trainer"))
    var trainer: String?
    @Option(help: "Optimizer step implementation: for-loop, foreach or fused (default: the trainer's).")
    var optimizerImpl: OptimizerImplementation?
    @Flag(inversion: .prefixedNo, help: "Step each parameter in a backward hook (torchtune's optimizer_in_bwd).")
    var optimizerInBackward: Bool?
    @Flag(inversion: .prefixedNo, help: "zero_grad(set_to_none=True): gradients absent during forward (PyTorch 2 default).")
    var gradSetToNone: Bool?
    @Flag(inversion: .prefixedNo, help: "DDP gradient_as_bucket_view=True: no extra gradient copy in the buckets.")
    var bucketView: Bool?
    @Option(help: ArgumentHelp("Loss on fp32-upcast logits (fp32) or in the compute dtype (compute).", valueName: "fp32|compute"))
    var lossDtype: String?
    @Flag(inversion: .prefixedNo, help: "Keep autocast's half-precision weight copies for the step (torch default).")
    var autocastCache: Bool?
    @Option(help: ArgumentHelp("Paged optimizer state: resident (default) or evictable to host memory in forward/backward.", valueName: "resident|evictable"))
    var pagedState: String?

    /// The trainer and the explicit choices; `implementation` is what an optimizer alias fixed (`adamw_torch_fused`).
    func parsed(implementation: OptimizerImplementation? = nil) throws -> (Trainer?, TrainingStackOverrides?) {
        let parsedTrainer = try trainer.map { text in try Usage.parse { () throws(CoreError) in try Trainer(parsing: text) } }
        var stack = TrainingStackOverrides(
            optimizerImplementation: optimizerImpl ?? implementation, optimizerInBackward: optimizerInBackward,
            gradientsSetToNone: gradSetToNone, gradientAsBucketView: bucketView, autocastWeightCache: autocastCache)
        if let lossDtype {
            guard ["fp32", "compute"].contains(lossDtype.lowercased()) else {
                throw Usage.error("--loss-dtype must be fp32 or compute, got \(lossDtype)")
            }
            stack.lossInComputeDtype = lossDtype.lowercased() == "compute"
        }
        if let pagedState {
            guard ["resident", "evictable"].contains(pagedState.lowercased()) else {
                throw Usage.error("--paged-state must be resident or evictable, got \(pagedState)")
            }
            stack.pagedStateEvictable = pagedState.lowercased() == "evictable"
        }
        return (parsedTrainer, stack.isEmpty ? nil : stack)
    }

    /// Sets the flags from stored values (a saved plan's question).
    mutating func set(trainer: String?, stack: TrainingStackOverrides?) {
        self.trainer = trainer
        optimizerImpl = stack?.optimizerImplementation
        optimizerInBackward = stack?.optimizerInBackward
        gradSetToNone = stack?.gradientsSetToNone
        bucketView = stack?.gradientAsBucketView
        lossDtype = stack?.lossInComputeDtype.map { $0 ? "compute" : "fp32" }
        autocastCache = stack?.autocastWeightCache
        pagedState = stack?.pagedStateEvictable.map { $0 ? "evictable" : "resident" }
    }

    /// The flags that ask for these values again.
    var arguments: [String] {
        var args: [String] = []
        if let trainer { args += ["--trainer", trainer] }
        if let optimizerImpl { args += ["--optimizer-impl", optimizerImpl.rawValue] }
        for (name, value) in [("optimizer-in-backward", optimizerInBackward), ("grad-set-to-none", gradSetToNone),
                              ("bucket-view", bucketView), ("autocast-cache", autocastCache)] {
            if let value { args.append(value ? "--\(name)" : "--no-\(name)") }
        }
        if let lossDtype { args += ["--loss-dtype", lossDtype] }
        if let pagedState { args += ["--paged-state", pagedState] }
        return args
    }
}

extension OptimizerImplementation: ExpressibleByArgument {}

/// The configuration flags `estimate` and `runs record` share, with the same names and defaults: a run is recorded
/// exactly as it would be estimated.
struct ConfigurationFlags: ParsableArguments {
    @OptionGroup var accounting: AccountingFlags
    @Option(help: ArgumentHelp(
        "Precision: \(Precision.allCases.map(\.rawValue).joined(separator: ", ")). Default fp32; with --mode lora or qlora, their usual recipe: bf16-amp (fp16-amp on a card without bf16).",
        valueName: "precision"))
    var precision: Precision?
    @Option(help: ArgumentHelp(
        "Optimizer: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")); also Hugging Face optim values (adamw_torch_fused, paged_adamw_8bit, …) and bitsandbytes class names (Adam8bit, PagedAdamW).",
        valueName: "optimizer"))
    var optimizer: String = "adamw"
    @Option(help: "Activation checkpointing: none, selective, block.") var checkpointing: Checkpointing = .none
    @Option(help: "Training mode: full, frozen, lora, qlora.") var mode: TrainingMode = .full
    @Option(help: "Gradient accumulation steps.") var gradAccum: Int = 1
    @OptionGroup var training: TrainingFlags

    /// The optimizer and the implementation its name fixes.
    func optimizerMeaning() throws -> OptimizerNames.Meaning {
        try Usage.parse { () throws(CoreError) in try OptimizerNames.parse(optimizer) }
    }

    /// The precision to plan: the one given; else PyTorch's default, fp32, except for LoRA and QLoRA, whose usual
    /// recipe keeps the frozen base in bf16 (NF4 for QLoRA) and the adapters in fp32 under autocast (PEFT
    /// `autocast_adapter_dtype`): bf16-amp, or fp16-amp on a card without bf16 (`card` when known).
    func effectivePrecision(card: GPU?) -> Precision {
        if let precision { return precision }
        guard mode == .lora || mode == .qlora else { return .fp32 }
        return card?.supportsBF16 == false ? .fp16Amp : .bf16Amp
    }

    /// What the output says when the precision was not given and the mode chose it; `nil` otherwise.
    func precisionNote(card: GPU?) -> String? {
        guard precision == nil, mode == .lora || mode == .qlora else { return nil }
        let precision = effectivePrecision(card: card)
        let half = precision == .fp16Amp ? "fp16" : "bf16"
        return "precision \(precision.rawValue): \(mode.rawValue)'s usual recipe (frozen base in "
            + (mode == .qlora ? "NF4, computing in \(half)" : half) + ", adapters in fp32 under autocast)"
            + (precision == .fp16Amp ? ", fp16 as the card has no bf16" : "") + "; pass --precision to choose another"
    }

    /// The configuration at `batch`, on `card` when known (it picks LoRA's default precision).
    func configuration(batch: Int, card: GPU? = nil) throws -> TrainingConfiguration {
        let precision = effectivePrecision(card: card)
        guard batch >= 1, batch <= 1 << 24 else { throw Usage.error("--batch must be a positive micro-batch size, got \(batch)") }
        guard gradAccum >= 1 else { throw Usage.error("--grad-accum must be at least 1") }
        let meaning = try optimizerMeaning()
        var configuration = try training.base(
            precision: precision, optimizer: meaning.optimizer, checkpointing: checkpointing, mode: mode, batch: batch,
            gradAccum: gradAccum)
        if meaning.implementation != nil, configuration.stack?.optimizerImplementation == nil {
            var stack = configuration.stack ?? TrainingStackOverrides()
            stack.optimizerImplementation = meaning.implementation
            configuration.stack = stack
        }
        return configuration
    }
}

/// `--no-calibration`, for the commands that plan (`estimate`, `fit`, `report`).
struct CalibrationFlags: ParsableArguments {
    @Flag(help: "Show the analytic model alone, without factors calibrated from measured runs.") var noCalibration = false
}

extension OptimizerKind: ExpressibleByArgument {
    /// Our names, Hugging Face optim values and bitsandbytes class names (the implementation they fix is dropped:
    /// `fit --optimizer` compares optimizers; give `--optimizer-impl` for the implementation).
    public init?(argument: String) {
        guard let meaning = OptimizerNames.meaning(of: argument) else { return nil }
        self = meaning.optimizer
    }
}
