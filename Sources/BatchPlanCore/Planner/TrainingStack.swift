/// How an optimizer's step runs over the parameters: the `--optimizer-impl` values.
public enum OptimizerImplementation: String, CaseIterable, Codable, Sendable {
    /// One parameter at a time (`foreach=False`, transformers' own AdamW): temporaries the size of one parameter.
    case forLoop = "for-loop"
    /// Multi-tensor `_foreach_*` kernels over all parameters at once: parameter-sized temporary lists.
    case foreach
    /// One fused kernel (`fused=True`, DeepSpeed FusedAdam, bitsandbytes): no temporaries.
    case fused
}

/// Structural choices a trainer makes that decide where the peak is, as stated by the user or a run; `nil` keeps
/// the trainer's default.
public struct TrainingStackOverrides: Hashable, Codable, Sendable {
    public var optimizerImplementation: OptimizerImplementation?
    /// The optimizer steps each parameter in a backward hook as soon as its gradient is ready (torchtune's
    /// `optimizer_in_bwd`), so gradients never all exist at once and there is no separate step phase.
    public var optimizerInBackward: Bool?
    /// `zero_grad(set_to_none=True)`: gradients do not exist during the next forward.
    public var gradientsSetToNone: Bool?
    /// DDP's `gradient_as_bucket_view=True`: gradients live in the communication buckets, no second copy.
    public var gradientAsBucketView: Bool?
    /// The loss runs on the logits in the compute dtype (LitGPT's `chunked_cross_entropy`) instead of upcasting them
    /// to fp32 first (transformers' `ForCausalLMLoss`, torchtune's chunked loss).
    public var lossInComputeDtype: Bool?
    /// `torch.autocast(cache_enabled=True)`: the half-precision copies of the weights are kept for the whole step.
    public var autocastWeightCache: Bool?
    /// Paged optimizer state (bitsandbytes `Paged*`) may be evicted to host memory while forward and backward need
    /// the room; only the step needs it on the device.
    public var pagedStateEvictable: Bool?

    public init(
        optimizerImplementation: OptimizerImplementation? = nil, optimizerInBackward: Bool? = nil,
        gradientsSetToNone: Bool? = nil, gradientAsBucketView: Bool? = nil, lossInComputeDtype: Bool? = nil,
        autocastWeightCache: Bool? = nil, pagedStateEvictable: Bool? = nil
    ) {
        self.optimizerImplementation = optimizerImplementation
        self.optimizerInBackward = optimizerInBackward
        self.gradientsSetToNone = gradientsSetToNone
        self.gradientAsBucketView = gradientAsBucketView
        self.lossInComputeDtype = lossInComputeDtype
        self.autocastWeightCache = autocastWeightCache
        self.pagedStateEvictable = pagedStateEvictable
    }

    public var isEmpty: Bool { self == TrainingStackOverrides() }
}

/// The structural defaults of a training stack, resolved for one configuration, each with where it comes from.
public struct TrainingStack: Hashable, Sendable {
    public var optimizerImplementation: OptimizerImplementation
    public var optimizerInBackward: Bool
    public var gradientsSetToNone: Bool
    public var gradientAsBucketView: Bool
    public var lossInComputeDtype: Bool
    public var autocastWeightCache: Bool
    public var pagedStateEvictable: Bool

    /// The trainer's defaults for `configuration`, then its overrides.
    public static func resolve(_ configuration: TrainingConfiguration) -> TrainingStack {
        var unused: [String]?
        return resolve(configuration, notes: &unused)
    }

    /// One line per choice that can matter for `configuration`: its value and its source (or "set explicitly"),
    /// as the assumptions list them.
    ///
    /// Worked out apart from `resolve`, which a fit calls for every precision × mode × optimizer: writing the lines
    /// (about seven interpolated sentences) was most of what resolving cost, and only a winning plan shows them.
    public static func notes(for configuration: TrainingConfiguration) -> [String] {
        var notes: [String]? = []
        _ = resolve(configuration, notes: &notes)
        return notes ?? []
    }

    /// `resolve`, writing the notes into `lines` when it is not `nil`.
    private static func resolve(_ configuration: TrainingConfiguration, notes lines: inout [String]?) -> TrainingStack {
        let trainer = configuration.trainer ?? .pytorch
        let overrides = configuration.stack ?? TrainingStackOverrides()
        let torch = configuration.framework.name == .pytorch ? configuration.framework : nil
        let torchMajor = torch?.version.flatMap { Int($0.prefix { $0.isNumber }) }
        let torchVersion = Trainer(kind: .pytorch, version: torch?.version)
        let optimizer = configuration.optimizer
        let writing = lines != nil
        var notes: [String] = []
        // `source` is an autoclosure: its interpolations are only made when the notes are written.
        func pick<T>(_ name: String, _ override: T?, _ value: T, _ source: @autoclosure () -> String, show: (T) -> String) -> T {
            if let override {
                if writing { notes.append("\(name): \(show(override)) (set explicitly)") }
                return override
            }
            if writing { notes.append("\(name): \(show(value)) (\(trainer) default: \(source()))") }
            return value
        }

        // The optimizer's implementation.
        var implementation = OptimizerImplementation.foreach
        var source = "torch.optim defaults to foreach on CUDA since PyTorch 2.0 (torch/optim/optimizer.py _default_to_fused_or_foreach)"
        let torchOptimizer = [.adam, .adamw, .adagrad, .rmsprop, .rmspropMomentum, .sgd, .sgdMomentum].contains(optimizer)
        if !torchOptimizer {
            implementation = OptimizerImplementation.forLoop
            source = "\(optimizer.rawValue) is not a torch.optim optimizer: its own step (see the optimizer line)"
            if [.adamw8bit, .adam8bit, .pagedAdamw, .pagedAdamw8bit].contains(optimizer) {
                implementation = .fused
                source = "bitsandbytes updates each tensor in one fused kernel"
            }
        } else if let torchMajor, torchMajor < 2 {
            implementation = .forLoop
            source = "torch.optim used the for-loop step before PyTorch 2.0 (foreach=None meant False)"
        }
        if torchOptimizer, optimizer == .adam || optimizer == .adamw {
            switch trainer.kind {
            case .hfTrainer where trainer.isOlder(than: [4, 32]):
                implementation = .forLoop
                source = "TrainingArguments.optim defaulted to adamw_hf, transformers' own per-parameter AdamW, before "
                    + "huggingface/transformers#25109 (July 2023, transformers 4.32)"
            case .hfTrainer where !torchVersion.isOlder(than: [2, 8]) && torch?.version != nil:
                implementation = .fused
                source = "TrainingArguments.optim defaults to adamw_torch_fused with PyTorch ≥ 2.8 (training_args.py "
                    + "default_optim)"
            case .hfTrainer:
                source = "TrainingArguments.optim defaults to adamw_torch, torch.optim.AdamW (foreach), since "
                    + "huggingface/transformers#25109; adamw_torch_fused with PyTorch ≥ 2.8"
            case .deepspeed:
                implementation = .fused
                source = "DeepSpeed builds FusedAdam for an Adam/AdamW config (deepspeed/ops/adam/fused_adam.py)"
            default:
                break
            }
        }
        let impl = pick("optimizer step", overrides.optimizerImplementation, implementation, source, show: \.rawValue)

        let singleDeviceFull = configuration.gpus == 1 && configuration.mode == .full && configuration.gradAccumSteps == 1
        let inBackward = pick(
            "optimizer in backward", overrides.optimizerInBackward, trainer.kind == .torchtune && singleDeviceFull,
            trainer.kind == .torchtune
                ? "single-device full fine-tune configs set optimizer_in_bwd: True (recipes/configs/*_full_single_device.yaml; "
                    + "needs gradient_accumulation_steps: 1)"
                : "the step runs after backward",
            show: { $0 ? "yes (each parameter stepped in a backward hook, its gradient freed at once)" : "no" })

        let setToNone = pick(
            "gradients after zero_grad", overrides.gradientsSetToNone, torchMajor.map { $0 >= 2 } ?? true,
            (torchMajor.map { $0 < 2 } ?? false)
                ? "zero_grad() zeroed in place before PyTorch 2.0 (set_to_none=False)"
                : "zero_grad(set_to_none=True) is the default since PyTorch 2.0 (torch/optim/optimizer.py)"
                    + (trainer.kind == .lightning ? "; Lightning's automatic optimization calls it" : ""),
            show: { $0 ? "set to None (absent during forward)" : "zeroed in place (resident during forward)" })

        let bucketView = pick(
            "DDP gradient buckets", overrides.gradientAsBucketView, false,
            "DistributedDataParallel(gradient_as_bucket_view=False) (torch/nn/parallel/distributed.py)",
            show: { $0 ? "gradients are bucket views (no copy)" : "one extra gradient copy in the buckets (with --gpus > 1)" })

        let lossCompute = pick(
            "loss dtype", overrides.lossInComputeDtype, trainer.kind == .litgpt,
            trainer.kind == .litgpt
                ? "chunked_cross_entropy runs on the compute-dtype logits (litgpt/utils.py)"
                : "logits upcast to fp32 for the loss (transformers loss_utils.py ForCausalLMLoss; torchtune CEWithChunkedOutputLoss upcasts each chunk)",
            show: { $0 ? "compute dtype (no fp32 copy of the logits)" : "fp32 (an fp32 copy of the logits is saved)" })

        let cache = pick(
            "autocast weight cache", overrides.autocastWeightCache, true,
            "torch.autocast(cache_enabled=True) is the default (torch/amp/autocast_mode.py)",
            show: { $0 ? "kept for the step (with AMP)" : "off: one layer's cast at a time" })

        let evictable = pick(
            "paged optimizer state", overrides.pagedStateEvictable, false,
            "counted as resident: bitsandbytes pages it to the host only under pressure (bitsandbytes/optim/optimizer.py)",
            show: { $0 ? "evicted to the host during forward and backward, on the device for the step" : "resident on the device" })

        if writing {
            // Only the lines that can matter for this configuration.
            let relevant = notes.enumerated().filter { index, _ in
                switch index {
                case 3: configuration.gpus > 1 && configuration.zeroStage == 0
                case 5: configuration.precision == .fp16Amp || configuration.precision == .bf16Amp
                case 6: OptimizerStateRule.of(optimizer).paged
                default: true
                }
            }.map(\.element)
            lines = relevant.map { "training stack \(trainer): " + $0 }
        }
        return TrainingStack(
            optimizerImplementation: impl, optimizerInBackward: inBackward, gradientsSetToNone: setToNone,
            gradientAsBucketView: bucketView, lossInComputeDtype: lossCompute, autocastWeightCache: cache,
            pagedStateEvictable: evictable)
    }
}
