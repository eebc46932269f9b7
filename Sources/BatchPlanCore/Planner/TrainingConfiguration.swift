/// One way to train a model: precision, optimizer, checkpointing, which parameters train, batch and parallelism.
///
/// All choices are the shared vocabulary enums; `batchSize` is the per-GPU micro-batch and `gradAccumSteps` the
/// number of micro-steps whose gradients are accumulated before one optimizer step.
public struct TrainingConfiguration: Hashable, Codable, Sendable {
    public var precision: Precision
    public var optimizer: OptimizerKind
    public var checkpointing: Checkpointing
    public var mode: TrainingMode
    /// LoRA/QLoRA adapter rank `r`; ignored in `full` and `frozen` modes.
    public var loraRank: Int
    /// Module short names that get adapters (`q_proj`, `v_proj`); `nil` uses the family default
    /// (`LoRATargets.defaults(for:)`).
    public var loraTargets: [String]?
    /// LoRA dropout probability on the adapter's input (PEFT `lora_dropout`, LitGPT `lora_dropout`); 0 = none.
    ///
    /// Above 0 each adapter keeps its dropped input (compute dtype) and the dropout mask (1 byte per element) for
    /// backward: PEFT and LitGPT compute `lora_B(lora_A(dropout(x)))`, so `lora_A` saves `dropout(x)`.
    public var loraDropout: Double
    /// Micro-batch per GPU, in samples.
    public var batchSize: Int
    /// Micro-steps per optimizer step; above 1 gradients stay resident during forward.
    public var gradAccumSteps: Int
    /// Data-parallel GPUs (1 = a single card).
    public var gpus: Int
    /// ZeRO stage 0–3 (FSDP `NO_SHARD`, —, `SHARD_GRAD_OP`, `FULL_SHARD`); 0 with `gpus > 1` is plain DDP.
    public var zeroStage: Int
    public var framework: Framework
    /// What runs the loop; `nil` is a plain PyTorch loop.
    public var trainer: Trainer?
    /// Structural choices stated explicitly, over the trainer's defaults (`TrainingStack.resolve`).
    public var stack: TrainingStackOverrides?

    public init(
        precision: Precision = .fp32, optimizer: OptimizerKind = .adamw, checkpointing: Checkpointing = .none,
        mode: TrainingMode = .full, loraRank: Int = 8, loraTargets: [String]? = nil, loraDropout: Double = 0, batchSize: Int = 1,
        gradAccumSteps: Int = 1, gpus: Int = 1, zeroStage: Int = 0, framework: Framework = .pytorch,
        trainer: Trainer? = nil, stack: TrainingStackOverrides? = nil
    ) {
        self.trainer = trainer
        self.stack = stack
        self.precision = precision
        self.optimizer = optimizer
        self.checkpointing = checkpointing
        self.mode = mode
        self.loraRank = loraRank
        self.loraTargets = loraTargets
        self.loraDropout = loraDropout
        self.batchSize = batchSize
        self.gradAccumSteps = gradAccumSteps
        self.gpus = gpus
        self.zeroStage = zeroStage
        self.framework = framework
    }

    /// Samples per optimizer step across all GPUs: micro-batch × accumulation × GPUs.
    public var effectiveBatchSize: Int { batchSize * gradAccumSteps * gpus }

    /// Checks ranges that do not depend on the model or the card.
    public func validated() throws(CoreError) -> TrainingConfiguration {
        guard batchSize >= 1, batchSize <= 1 << 24 else {
            throw .invalidValue(what: "batch size", value: "\(batchSize)", fix: "use a micro-batch of at least 1")
        }
        guard gradAccumSteps >= 1, gradAccumSteps <= 1 << 16 else {
            throw .invalidValue(what: "gradient accumulation steps", value: "\(gradAccumSteps)", fix: "use 1 or more")
        }
        guard gpus >= 1, gpus <= 1 << 16 else {
            throw .invalidValue(what: "GPU count", value: "\(gpus)", fix: "use 1 or more GPUs")
        }
        guard (0...3).contains(zeroStage) else {
            throw .invalidValue(what: "ZeRO stage", value: "\(zeroStage)", fix: "use a stage from 0 to 3")
        }
        if stack?.optimizerInBackward == true, gradAccumSteps > 1 {
            throw .invalidValue(
                what: "optimizer in backward", value: "with \(gradAccumSteps) accumulation steps",
                fix: "stepping in backward frees each gradient at once, so it cannot accumulate: use --grad-accum 1 or --no-optimizer-in-backward")
        }
        if mode == .lora || mode == .qlora {
            guard loraRank >= 1, loraRank <= 1 << 14 else {
                throw .invalidValue(what: "LoRA rank", value: "\(loraRank)", fix: "use a rank such as 8, 16 or 64")
            }
            guard loraDropout >= 0, loraDropout < 1 else {
                throw .invalidValue(what: "LoRA dropout", value: "\(loraDropout)", fix: "use a probability from 0 to below 1")
            }
            if precision == .fp8 {
                throw .unsupported("\(mode.rawValue) with fp8 is not modelled: choose bf16-amp or bf16 for adapters")
            }
        }
        return self
    }
}

/// LoRA target modules: which module short names get adapters by default.
public enum LoRATargets {
    /// The PEFT default targets for a model, chosen from the module names it has.
    ///
    /// Source: PEFT `TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING` (llama/mistral: q_proj, v_proj;
    /// bert/roberta: query, value; gpt2: c_attn; t5: q, v; falcon: query_key_value; phi3: qkv_proj; vit: query, value).
    public static func defaults(for layerShortNames: Set<String>) -> [String] {
        let candidates: [[String]] = [
            ["q_proj", "v_proj"], ["query", "value"], ["c_attn"], ["query_key_value"], ["qkv_proj"], ["Wqkv"], ["qkv"], ["q", "v"],
        ]
        for set in candidates where set.allSatisfy(layerShortNames.contains) {
            return set
        }
        return []
    }
}
