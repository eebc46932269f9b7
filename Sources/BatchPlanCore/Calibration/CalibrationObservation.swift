/// Which memory reading a measurement is.
///
/// `allocated` is PyTorch's `torch.cuda.max_memory_allocated()`, `reserved` is `max_memory_reserved()`, and
/// `deviceUsed` is what nvidia-smi (NVML) shows, which adds the CUDA context and libraries outside the allocator.
public enum CalibrationCounter: String, CaseIterable, Codable, Sendable {
    case allocated
    case reserved
    case deviceUsed = "device_used"
}

/// The planner's peak for one run's configuration, split into the parts calibration corrects.
///
/// allocated = modelStateScale·modelStates + activationScale·activations + other;
/// reserved = allocated·(1 + reserveRatio); deviceUsed = reserved + runtimeContext. All sizes in bytes.
public struct CalibrationDecomposition: Hashable, Codable, Sendable {
    /// The model-state terms calibration may scale: the optimizer step's temporaries, autocast weight copies, DDP
    /// bucket copies, gather and dequantization buffers, in bytes (weights, gradients, optimizer state and master
    /// weights are exact, in `other`).
    public var modelStates: Double
    /// Saved activations and activation gradients (the part that scales with batch), in bytes.
    public var activations: Double
    /// Exact model states, inputs, workspaces and anything else not scaled by calibration, in bytes.
    public var other: Double
    /// The exact model states inside `other`, bytes: kept so that `scalingExactStates()` can reproduce the earlier
    /// fit, which scaled them.
    public var exactStates: Double = 0
    /// The planner's default allocator reserve ratio for this run's architecture (reserved/allocated − 1).
    public var defaultReserveRatio: Double
    /// The planner's default runtime context (CUDA context, kernels, libraries) for this architecture, in bytes.
    public var defaultContextBytes: Double

    public init(
        modelStates: Double, activations: Double, other: Double, defaultReserveRatio: Double, defaultContextBytes: Double
    ) {
        self.modelStates = modelStates
        self.activations = activations
        self.other = other
        self.defaultReserveRatio = defaultReserveRatio
        self.defaultContextBytes = defaultContextBytes
    }

    /// The same peak as the fit before issue 10 saw it: the exact model states moved into the scaled part.
    public func scalingExactStates() -> CalibrationDecomposition {
        var d = self
        d.modelStates += exactStates
        d.other -= exactStates
        d.exactStates = 0
        return d
    }

    /// The reading `counter` would show if the factors held, in bytes; runtime terms left `nil` use the defaults.
    public func predicted(_ counter: CalibrationCounter, with factors: CalibrationFactors = .analytic) -> Double {
        let allocated = factors.modelStateScale * modelStates + factors.activationScale * activations + other
        if counter == .allocated { return allocated }
        let reserved = allocated * (1 + (factors.allocatorReserveRatio ?? defaultReserveRatio))
        if counter == .reserved { return reserved }
        return reserved + (factors.runtimeContextBytes.map(Double.init) ?? defaultContextBytes)
    }
}

/// What a run tells the fit: a reading of one counter, or only whether it ran.
public enum CalibrationEvidence: Hashable, Codable, Sendable {
    /// A measured peak of `counter`, in bytes.
    case measured(counter: CalibrationCounter, bytes: Double)
    /// The run ran (`ran: true`, so `counter` ≤ capacity) or ran out of memory (`ran: false`, `counter` > capacity).
    ///
    /// `capacityBytes` is what the card could give at the level of `counter`: at deviceUsed, its memory as the
    /// driver reports it; at reserved, a cap on what PyTorch's caching allocator may reserve
    /// (`torch.cuda.set_per_process_memory_fraction`, which leaves the CUDA context and the libraries outside it).
    /// A "max_batch B (bracket_next C)" fact is two of these built by the caller: ran at B, out of memory at C.
    case outcome(ran: Bool, capacityBytes: Double, counter: CalibrationCounter = .deviceUsed)
}

/// Where a run sits in the scope tree: framework → architecture → GPU → model family → model.
public struct CalibrationScopePath: Hashable, Codable, Sendable {
    /// As the run names it, with its version when known: "pytorch-2.4".
    public var framework: String
    /// The GPU architecture: "ampere", "hopper".
    public var architecture: String
    /// The catalog's GPU name: "A100 80GB SXM".
    public var gpu: String
    /// The model family ("llama", "resnet"); `nil` stops the path at the GPU.
    public var family: String?
    /// The model name; `nil` stops the path at the family.
    public var model: String?
    /// The activation checkpointing of the run or plan (`Checkpointing` raw value); not part of any scope's key.
    ///
    /// A family or model scope's activation scale applies only to the checkpointing modes among its runs: a
    /// correction fitted where every activation is kept does not carry to a layout that keeps block inputs only.
    public var checkpointing: String?

    public init(
        framework: String, architecture: String, gpu: String, family: String? = nil, model: String? = nil,
        checkpointing: String? = nil
    ) {
        self.framework = framework
        self.architecture = architecture
        self.gpu = gpu
        self.family = family
        self.model = model
        self.checkpointing = checkpointing
    }

    /// The scopes on the path, from global to the most specific one named.
    ///
    /// Keys: global "", framework "pytorch-2.4", architecture "pytorch-2.4/ampere", GPU "pytorch-2.4/A100 80GB SXM",
    /// family "pytorch-2.4/A100 80GB SXM/llama", model "pytorch-2.4/A100 80GB SXM/llama/llama-2-7b". A GPU determines
    /// its architecture, so the architecture is left out of the deeper keys.
    public var scopes: [CalibrationScope] {
        var result: [CalibrationScope] = [
            .global,
            CalibrationScope(level: .framework, key: framework),
            CalibrationScope(level: .architecture, key: "\(framework)/\(architecture)"),
            CalibrationScope(level: .gpu, key: "\(framework)/\(gpu)"),
        ]
        guard let family, !family.isEmpty else { return result }
        result.append(CalibrationScope(level: .family, key: "\(framework)/\(gpu)/\(family)"))
        guard let model, !model.isEmpty else { return result }
        result.append(CalibrationScope(level: .model, key: "\(framework)/\(gpu)/\(family)/\(model)"))
        return result
    }
}

/// One usable run (or one side of a max-batch fact) handed to calibration.
public struct CalibrationObservation: Hashable, Codable, Sendable, Identifiable {
    /// Unique among the observations of one fit.
    public var id: String
    /// The group cross-validation leaves out together: a URL, or "measured:<gpu>:<date>".
    public var source: String
    public var path: CalibrationScopePath
    public var decomposition: CalibrationDecomposition
    public var evidence: CalibrationEvidence

    public init(
        id: String, source: String, path: CalibrationScopePath, decomposition: CalibrationDecomposition,
        evidence: CalibrationEvidence
    ) {
        self.id = id
        self.source = source
        self.path = path
        self.decomposition = decomposition
        self.evidence = evidence
    }
}

extension CalibrationObservation {
    /// A "max_batch B (bracket_next C)" fact as its two constraints: ran at B, out of memory at C.
    ///
    /// The caller evaluates the planner's decomposition at both batch sizes; `oomAt` is `nil` when the source tried
    /// nothing larger (a lower bound only), which leaves just the "ran" side, and either is `nil` when another run
    /// states that side already. Ids get "/ran" and "/oom" appended.
    public static func maxBatchFact(
        id: String, source: String, path: CalibrationScopePath, ranAt: CalibrationDecomposition?,
        oomAt: CalibrationDecomposition?, capacityBytes: Double, counter: CalibrationCounter = .deviceUsed
    ) -> [CalibrationObservation] {
        var facts: [CalibrationObservation] = []
        if let ranAt {
            facts.append(
                CalibrationObservation(
                    id: "\(id)/ran", source: source, path: path, decomposition: ranAt,
                    evidence: .outcome(ran: true, capacityBytes: capacityBytes, counter: counter)))
        }
        if let oomAt {
            facts.append(
                CalibrationObservation(
                    id: "\(id)/oom", source: source, path: path, decomposition: oomAt,
                    evidence: .outcome(ran: false, capacityBytes: capacityBytes, counter: counter)))
        }
        return facts
    }
}
