/// One measured training run: a memory reading at a batch size, an out-of-memory failure, or only the outcome
/// ("maximum batch 32": 32 ran and 33 did not).
///
/// All memory is in bytes. Settings batchplan does not model are kept as written in `unmodelled`.
public struct MeasuredRun: Codable, Hashable, Sendable {
    public enum Kind: String, CaseIterable, Codable, Sendable {
        /// A memory reading at `batchSize`.
        case memAtBatch = "mem_at_batch"
        /// The largest batch that ran; `bracketNext`, when set, is the first larger one known not to fit.
        case maxBatch = "max_batch"
        /// `batchSize` ran, nothing measured.
        case fits
        /// `batchSize` ran out of memory.
        case oom
    }

    public enum Outcome: String, CaseIterable, Codable, Sendable { case ok, oom }

    /// Identity used to skip duplicates on import: the file's `id`, else a fingerprint of the row.
    public var key: String
    public var kind: Kind
    public var model: String
    public var gpu: String?
    /// The card's memory as the source states it, bytes.
    public var gpuMemoryBytes: Int?
    /// A cap on what the allocator may reserve (`set_per_process_memory_fraction`), emulating a smaller card.
    public var memoryCapBytes: Int?
    public var framework: String
    /// What ran the loop, as `--trainer` names it (`hf-trainer-4.31`); `nil` is a plain PyTorch loop.
    public var trainer: String?
    /// Structural choices the run states over its trainer's defaults (optimizer implementation, step in backward, …).
    public var stack: TrainingStackOverrides?
    public var cudaVersion: String?
    public var driverVersion: String?
    public var precision: Precision?
    public var optimizer: OptimizerKind?
    public var checkpointing: Checkpointing
    public var trainingMode: TrainingMode?
    public var loraRank: Int?
    /// Adapter target modules (short names) as the run states them; `nil` reads its notes, else the family's.
    public var loraTargets: [String]?
    /// Adapter dropout as the run states it; `nil` reads its notes, else the trainer's default.
    public var loraDropout: Double?
    public var attention: AttentionImplementation?
    public var task: TrainingTask?
    public var batchSize: Int?
    public var bracketNext: Int?
    public var gradAccumSteps: Int
    public var seqLen: Int?
    public var imageSize: Int?
    public var gpus: Int
    public var zeroStage: Int
    public var outcome: Outcome
    /// `torch.cuda.max_memory_allocated()`.
    public var peakAllocatedBytes: Int?
    /// `torch.cuda.max_memory_reserved()`.
    public var peakReservedBytes: Int?
    /// What nvidia-smi shows for the device (context included).
    public var deviceUsedBytes: Int?
    /// A peak whose source does not say which counter it is.
    public var peakUnspecifiedBytes: Int?
    /// Device memory used before the model was built (CUDA context and libraries).
    public var contextBytes: Int?
    public var stepTimeMs: Double?
    /// Who/where it came from: a short source id with `url`, or "measured" with the host's GPU.
    public var source: String
    public var url: String?
    public var notes: String?
    /// Settings as written that batchplan does not model (e.g. `["optimizer": "lamb"]`).
    public var unmodelled: [String: String]
    public var origin: RowOrigin
    /// ISO-8601 UTC.
    public var recordedAt: String
    /// Training (`nil`, how every run before 0005 reads) or inference. `nil` rather than `.training` so that the
    /// content fingerprint of a training row without an id stays what it was.
    public var phase: RunPhase?
    /// Inference runs: the weight format served (`--weights`), the KV cache dtype and the tensor-parallel GPUs.
    public var weightFormat: WeightFormat?
    public var kvCacheDType: KVCacheDType?
    public var tensorParallel: Int?

    public init(
        key: String, kind: Kind, model: String, gpu: String?, gpuMemoryBytes: Int? = nil, memoryCapBytes: Int? = nil,
        framework: String = "pytorch", trainer: String? = nil, stack: TrainingStackOverrides? = nil,
        cudaVersion: String? = nil, driverVersion: String? = nil,
        precision: Precision? = nil, optimizer: OptimizerKind? = nil, checkpointing: Checkpointing = .none,
        trainingMode: TrainingMode? = .full, loraRank: Int? = nil, loraTargets: [String]? = nil,
        loraDropout: Double? = nil, attention: AttentionImplementation? = nil,
        task: TrainingTask? = nil, batchSize: Int? = nil, bracketNext: Int? = nil, gradAccumSteps: Int = 1,
        seqLen: Int? = nil, imageSize: Int? = nil, gpus: Int = 1, zeroStage: Int = 0, outcome: Outcome = .ok,
        peakAllocatedBytes: Int? = nil, peakReservedBytes: Int? = nil, deviceUsedBytes: Int? = nil,
        peakUnspecifiedBytes: Int? = nil, contextBytes: Int? = nil, stepTimeMs: Double? = nil, source: String,
        url: String? = nil, notes: String? = nil, unmodelled: [String: String] = [:], origin: RowOrigin = .user,
        recordedAt: String
    ) {
        self.key = key
        self.kind = kind
        self.model = model
        self.gpu = gpu
        self.gpuMemoryBytes = gpuMemoryBytes
        self.memoryCapBytes = memoryCapBytes
        self.framework = framework
        self.trainer = trainer
        self.stack = stack
        self.cudaVersion = cudaVersion
        self.driverVersion = driverVersion
        self.precision = precision
        self.optimizer = optimizer
        self.checkpointing = checkpointing
        self.trainingMode = trainingMode
        self.loraRank = loraRank
        self.loraTargets = loraTargets
        self.loraDropout = loraDropout
        self.attention = attention
        self.task = task
        self.batchSize = batchSize
        self.bracketNext = bracketNext
        self.gradAccumSteps = gradAccumSteps
        self.seqLen = seqLen
        self.imageSize = imageSize
        self.gpus = gpus
        self.zeroStage = zeroStage
        self.outcome = outcome
        self.peakAllocatedBytes = peakAllocatedBytes
        self.peakReservedBytes = peakReservedBytes
        self.deviceUsedBytes = deviceUsedBytes
        self.peakUnspecifiedBytes = peakUnspecifiedBytes
        self.contextBytes = contextBytes
        self.stepTimeMs = stepTimeMs
        self.source = source
        self.url = url
        self.notes = notes
        self.unmodelled = unmodelled
        self.origin = origin
        self.recordedAt = recordedAt
    }

    /// The largest memory reading the run carries, bytes.
    public var largestReading: Int? {
        [peakAllocatedBytes, peakReservedBytes, deviceUsedBytes, peakUnspecifiedBytes].compactMap { $0 }.max()
    }

    /// Checks the run is self-consistent; the message says what is wrong and how to fix it.
    public func validate() throws(CoreError) {
        func fail(_ problem: String) -> CoreError { .invalidValue(what: "run", value: key, fix: problem) }
        guard !model.trimmingSpaces().isEmpty else { throw fail("model is required") }
        for (name, value) in [("batch_size", batchSize), ("bracket_next", bracketNext), ("seq_len", seqLen),
                              ("image_size", imageSize), ("lora_rank", loraRank)] {
            if let value, value <= 0 || value > 1 << 30 { throw fail("\(name) must be a positive integer, got \(value)") }
        }
        guard gradAccumSteps > 0, gradAccumSteps < 1 << 20 else { throw fail("grad_accum_steps must be positive") }
        if let loraDropout, !(loraDropout >= 0 && loraDropout < 1) { throw fail("lora_dropout must be from 0 to below 1") }
        guard gpus > 0, gpus <= 1 << 16 else { throw fail("gpus must be positive") }
        guard (0...3).contains(zeroStage) else { throw fail("zero_stage must be 0, 1, 2 or 3") }
        for (name, value) in [("peak_allocated_bytes", peakAllocatedBytes), ("peak_reserved_bytes", peakReservedBytes),
                              ("device_used_bytes", deviceUsedBytes), ("peak_bytes", peakUnspecifiedBytes),
                              ("gpu_memory_bytes", gpuMemoryBytes), ("memory_cap_bytes", memoryCapBytes)] {
            if let value, value <= 0 || value > ByteSize.maximum {
                throw fail("\(name) must be between 1 byte and 1 PiB, got \(value)")
            }
        }
        // No training step reads less: PyTorch's caching allocator reserves whole segments of 2 MiB at least
        // (c10/cuda/CUDACachingAllocator.cpp, kSmallBuffer), nvidia-smi's figure includes the CUDA context (hundreds
        // of MiB), and allocations are rounded up to 512 bytes (kMinBlockSize). A reading below these floors is a
        // size written without its unit, which is read as bytes.
        for (name, value, floor) in [("peak_reserved_bytes", peakReservedBytes, 1 << 20),
                                     ("device_used_bytes", deviceUsedBytes, 1 << 20),
                                     ("peak_allocated_bytes", peakAllocatedBytes, 1 << 10),
                                     ("peak_bytes", peakUnspecifiedBytes, 1 << 10)] {
            if let value, value < floor {
                throw fail("\(name) is \(value) bytes, below the \(ByteSize.format(floor)) any training step reads: check the unit (a size without a unit is bytes), e.g. 9.8GB")
            }
        }
        if let contextBytes, contextBytes < 0 || contextBytes > ByteSize.maximum { throw fail("context_bytes is out of range") }
        if let stepTimeMs, !(stepTimeMs > 0 && stepTimeMs.isFinite) { throw fail("step_time_ms must be positive") }
        switch kind {
        case .memAtBatch:
            guard batchSize != nil else { throw fail("a mem_at_batch run needs batch_size") }
            guard largestReading != nil else {
                throw fail("a mem_at_batch run needs a reading: peak_allocated_bytes, peak_reserved_bytes or device_used_bytes")
            }
        case .maxBatch:
            guard let batchSize else { throw fail("a max_batch run needs batch_size (the largest batch that ran)") }
            if let bracketNext, bracketNext <= batchSize { throw fail("bracket_next must be larger than batch_size") }
        case .fits, .oom:
            guard batchSize != nil else { throw fail("a \(kind.rawValue) run needs batch_size") }
        }
        if kind == .oom && outcome != .oom { throw fail("an oom run must have outcome oom") }
        if let allocated = peakAllocatedBytes, let reserved = peakReservedBytes, allocated > reserved {
            throw fail("peak_allocated_bytes (\(allocated)) cannot exceed peak_reserved_bytes (\(reserved))")
        }
        if outcome == .ok, let capacity = [gpuMemoryBytes, memoryCapBytes].compactMap({ $0 }).min(),
            let reading = [peakAllocatedBytes, peakReservedBytes].compactMap({ $0 }).max(), reading > capacity {
            throw fail("a peak of \(ByteSize.format(reading)) is larger than the card's \(ByteSize.format(capacity)); mark the run as oom or fix the units")
        }
    }
}
