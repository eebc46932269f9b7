import Foundation

/// The card's peak rates at a precision, from the catalog's spec-sheet columns (dense, no sparsity).
public struct DeviceRates: Hashable, Sendable {
    /// Matmul peak for tensor-core layers, FLOP/s.
    public var matmul: Double
    /// Peak for linear layers (fp8 under Transformer Engine; otherwise `matmul`), FLOP/s.
    public var linear: Double
    /// CUDA-core fp32 peak for everything else, FLOP/s.
    public var vector: Double
    /// Memory bandwidth, bytes/s.
    public var bandwidth: Double
    /// True when the matmul rate is a tensor-core rate (not fp32 on CUDA cores).
    public var tensorCores: Bool

    /// The rates of `gpu` under `precision`, or the name of the catalog column that is missing.
    ///
    /// fp32 is "tensor cores off" (TF32 disabled: `torch.backends.cuda.matmul.allow_tf32 = False`, as
    /// `tools/measure_torch.py` sets it), so its matmuls run at the fp32 column; tf32 at the tf32 column; AMP and pure
    /// half at the fp16/bf16 column; fp8 at the fp8 column for linear layers only (Transformer Engine replaces
    /// `nn.Linear`; attention and convolutions stay bf16).
    public static func of(_ gpu: GPU, precision: Precision) -> Result<DeviceRates, MissingRate> {
        guard let bandwidth = gpu.bandwidthGBs else { return .failure(MissingRate(column: "bandwidth_gb_s", gpu: gpu.name)) }
        guard let fp32 = gpu.fp32TFLOPS else { return .failure(MissingRate(column: "fp32_tflops", gpu: gpu.name)) }
        func column(_ value: Double?, _ name: String) -> Result<Double, MissingRate> {
            value.map { .success($0 * 1e12) } ?? .failure(MissingRate(column: name, gpu: gpu.name))
        }
        let matmul: Result<Double, MissingRate>
        var linear: Result<Double, MissingRate>?
        switch precision {
        case .fp32: matmul = .success(fp32 * 1e12)
        case .tf32: matmul = column(gpu.tf32TFLOPS, "tf32_tflops")
        case .fp16Amp, .fp16: matmul = column(gpu.fp16TFLOPS, "fp16_tflops")
        case .bf16Amp, .bf16: matmul = column(gpu.bf16TFLOPS, "bf16_tflops")
        case .fp8:
            matmul = column(gpu.bf16TFLOPS, "bf16_tflops")
            linear = column(gpu.fp8TFLOPS, "fp8_tflops")
        }
        switch (matmul, linear ?? matmul) {
        case let (.success(m), .success(l)):
            return .success(
                DeviceRates(matmul: m, linear: l, vector: fp32 * 1e12, bandwidth: bandwidth * 1e9, tensorCores: precision != .fp32))
        case let (.failure(error), _), let (_, .failure(error)):
            return .failure(error)
        }
    }
}

/// A catalog column the step-time model needs and the card lacks.
public struct MissingRate: Error, Hashable, Sendable, CustomStringConvertible {
    public var column: String
    public var gpu: String
    public var description: String { "step time not estimated: the catalog has no \(column) for \(gpu)" }
}

/// How long one optimizer step takes, and what it buys.
public struct StepTimeEstimate: Hashable, Codable, Sendable {
    /// Wall time of one optimizer step (all micro-steps and the update), milliseconds.
    public var stepTimeMs: Double
    /// Samples per second over all data-parallel GPUs (communication not modelled).
    public var samplesPerSecond: Double
    /// Tokens per second for sequence models (`nil` for images and tensors).
    public var tokensPerSecond: Double?
    /// Of one micro-step: matmul/compute-bound time, memory-bound time, launch overhead, milliseconds.
    public var computeMs: Double
    public var memoryMs: Double
    public var overheadMs: Double
    /// The optimizer update (and autocast casts, QLoRA dequantization), bandwidth-bound, milliseconds per step.
    public var optimizerMs: Double
    /// Achieved FLOP rate (recomputation and adapters included) over the precision's matmul peak.
    public var flopsUtilization: Double
    /// Which step-time calibration scope applied.
    public var scope: String

    /// Time for `samples` samples (an epoch with `--dataset-size`), seconds.
    public func seconds(forSamples samples: Int) -> Double { Double(samples) / samplesPerSecond }
}

/// Predicts the step time of a configuration: a per-layer roofline (the larger of FLOPs over the precision's peak ×
/// utilisation and bytes over bandwidth × efficiency), a launch overhead per layer pass, and the bandwidth-bound
/// optimizer step.
///
/// Calibrated by `ThroughputFactors` (a multiplier on the roofline time per compute class and the overhead per layer
/// pass, fitted from runs' `step_time_ms`). Not modelled: data-parallel communication, data loading, cuDNN algorithm
/// choice, kernel fusion by `torch.compile`, Python-side work other than launches.
public struct StepTimeModel: Sendable {
    public var work: StepWork
    public var configuration: TrainingConfiguration
    public var rates: DeviceRates
    public var factors: ThroughputFactors

    public init(work: StepWork, configuration: TrainingConfiguration, rates: DeviceRates, factors: ThroughputFactors) {
        self.work = work
        self.configuration = configuration
        self.rates = rates
        self.factors = factors
    }

    /// Uncalibrated parts of one micro-step at `batch`, seconds: roofline time and layer passes.
    public func microStep(batch: Int) -> (roofline: Double, compute: Double, memory: Double, passes: Double) {
        let storage = PrecisionStorage.of(configuration.precision)
        let activationBytes = Double(storage.activationBytes)
        let weightBytes = Double(configuration.mode == .lora || configuration.mode == .qlora ? storage.frozenBaseBytes : storage.weightBytes)
        let u = ThroughputFactors.Defaults.self
        let b = Double(batch)
        var compute = 0.0
        var memory = 0.0
        var passes = 0.0
        for layer in work.layers {
            let peak = layer.tensorCore ? (layer.linear ? rates.linear : rates.matmul) * u.matmulUtilization(tensorCores: rates.tensorCores)
                : rates.vector * u.vectorUtilization
            let c = b * layer.flops / peak
            let m = (b * layer.activationElements * activationBytes + layer.weightElements * weightBytes)
                / (rates.bandwidth * u.bandwidthEfficiency)
            if c >= m { compute += c } else { memory += m }
            passes += layer.passes
        }
        return (compute + memory, compute, memory, passes)
    }

    /// Bytes the optimizer step and the per-micro-step casts move, bandwidth-bound, seconds per optimizer step.
    public func updateSeconds(microSteps: Int) -> Double {
        let storage = PrecisionStorage.of(configuration.precision)
        let rule = OptimizerStateRule.of(configuration.optimizer)
        let trainable = Double(work.trainable) / Double(configuration.zeroStage >= 1 ? configuration.gpus : 1)
        // The adapters and their optimizer state stay fp32 under LoRA/QLoRA (PEFT autocast_adapter_dtype).
        let adapters = configuration.mode == .lora || configuration.mode == .qlora
        let weight = Double(adapters ? 4 : storage.weightBytes)
        let gradient = Double(adapters ? 4 : storage.gradientBytes)
        let slot = Double(rule.fixedSlotBytes ?? (adapters ? 4 : storage.optimizerSlotBytes))
        // Read and write weights, slots and master; read gradients; foreach temporaries written and read.
        var perParameter = 2 * weight + gradient + 2 * Double(rule.fullSlots) * slot + 2 * Double(storage.masterBytes)
            + 2 * 4 * Double(rule.stepTemporarySlots) + rule.blockStatisticsBytesPerParameter * 2
        if configuration.precision == .fp16Amp { perParameter += 2 * gradient }  // GradScaler unscale_ + inf check
        let micro = Double(microSteps)
        // Autocast casts each trainable matmul weight to half once per micro-step (fp32 read, 2-byte write).
        let casts = storage.castCopyBytes > 0 && !adapters ? Double(work.trainableCastable) * 6 * micro : 0
        // QLoRA dequantizes each NF4 weight to the compute dtype in every pass that reads it (NF4 read, half write).
        let dequant = Double(work.quantized) * (NF4.bytesPerParameter + 2) * work.quantizedPasses * micro
        let bytes = trainable * perParameter + casts + dequant
        return bytes / (rates.bandwidth * ThroughputFactors.Defaults.bandwidthEfficiency)
    }

    /// The calibrated step time at the configuration's micro-batch and accumulation.
    public func estimate(tokensPerSample: Int? = nil) -> StepTimeEstimate {
        let batch = max(1, configuration.batchSize)
        let micro = max(1, configuration.gradAccumSteps)
        let parts = microStep(batch: batch)
        let scale = factors.scale(tensorCores: rates.tensorCores)
        let overhead = parts.passes * factors.overheadPerPassSeconds
        let microSeconds = parts.compute * scale + parts.memory * factors.memoryScale + overhead
        let update = updateSeconds(microSteps: micro)
        let step = microSeconds * Double(micro) + update
        let samples = Double(batch * micro * configuration.gpus)
        let perSecond = samples / step
        let tokens = (tokensPerSample ?? work.tokensPerSample).map { perSecond * Double($0) }
        let useful = work.layers.reduce(0.0) { $0 + $1.flops } * Double(batch * micro)
        return StepTimeEstimate(
            stepTimeMs: step * 1000, samplesPerSecond: perSecond, tokensPerSecond: tokens,
            computeMs: parts.compute * scale * 1000, memoryMs: parts.memory * factors.memoryScale * 1000,
            overheadMs: overhead * 1000,
            optimizerMs: update * 1000, flopsUtilization: min(1, useful / step / rates.matmul), scope: factors.scope)
    }
}

/// Step times and throughputs in words, one definition for every output.
public enum ThroughputText {
    /// "1,410" from 100 up (thousands grouped), "23.4", "0.83".
    public static func rate(_ value: Double) -> String {
        guard value >= 100 else { return NumberFormat.string(value >= 10 ? "%.1f" : "%.2f", value) }
        let digits = String(Int(value.rounded()))
        var grouped = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return grouped
    }

    /// "0.42 ms", "58.1 ms", "737 ms", "1.24 s", "12.5 s", "125 s", "16.7 min", "1.81 h", "4.17 days".
    ///
    /// About three significant digits, in seconds up to 1,000 s, then the larger unit that keeps the number short
    /// (minutes up to an hour, hours up to 100 h, then days): a step of 6,522.33 s reads as 1.81 h.
    public static func milliseconds(_ ms: Double) -> String {
        if ms < 1 { return NumberFormat.string("%.2f ms", ms) }
        if ms < 1000 { return NumberFormat.string(ms < 100 ? "%.1f ms" : "%.0f ms", ms) }
        let seconds = ms / 1000
        if seconds < 1000 { return significant(seconds) + " s" }
        if seconds < 3600 { return significant(seconds / 60) + " min" }
        if seconds < 360_000 { return significant(seconds / 3600) + " h" }
        return significant(seconds / 86_400) + " days"
    }

    /// `value` (1 or more) to about three significant digits: "1.24", "12.5", "125", "1250".
    public static func significant(_ value: Double) -> String {
        // Decided on the rounded text, so that 9.996 becomes "10.0" rather than "10.00".
        if (value * 100).rounded() < 1000 { return NumberFormat.string("%.2f", value) }
        if (value * 10).rounded() < 1000 { return NumberFormat.string("%.1f", value) }
        return NumberFormat.string("%.0f", value)
    }
}
