import Foundation

extension PhaseModel {
    /// The full estimate at `batch`: components at the peak phase, the three counters, phases and assumptions.
    ///
    /// `withAssumptions: false` leaves the assumptions empty (fit's alternatives, where they are shared).
    func estimate(
        batch: Int, model: ModelAccounting, gpu: GPU?, gradAccumSteps: Int? = nil, withAssumptions: Bool = true
    ) -> MemoryEstimate {
        let peak = peak(batch: batch)
        let components = components(batch: batch, phase: peak.phase)
        let allocated = components.allocated
        let reservedBytes = allocated + components.allocatorReserve
        let deviceUsed = reservedBytes + components.runtimeContext

        // The worst backward entry stands for backward in the phase list.
        var phases = [PhaseMemory(name: "forward", allocatedBytes: self.components(batch: batch, phase: -1).allocated)]
        if !profile.backward.isEmpty {
            let b = Double(batch)
            var worst = 0
            var worstBytes = -Double.infinity
            for index in backwardScan {
                let l = backwardLine(index)
                let value = l.constant + l.perSample * b
                if value > worstBytes { (worst, worstBytes) = (index, value) }
            }
            phases.append(
                PhaseMemory(name: phaseName(worst), allocatedBytes: self.components(batch: batch, phase: worst).allocated))
        }
        phases.append(
            PhaseMemory(
                name: "optimizer-step",
                allocatedBytes: self.components(batch: batch, phase: profile.backward.count).allocated))

        let parts = parts(peak.phase)
        let b = Double(batch)
        let decomposition = PeakDecomposition(
            modelStates: Int(parts.temporaries.rounded()),
            activations: Int((parts.activationsPerSample * b).rounded()),
            other: Int((parts.exact + parts.other + parts.inputsPerSample * b).rounded()),
            exactStates: Int(parts.exact.rounded()))

        var configuration = self.configuration
        configuration.batchSize = batch
        if let gradAccumSteps { configuration.gradAccumSteps = gradAccumSteps }
        return MemoryEstimate(
            configuration: configuration, components: components, peakAllocatedBytes: allocated,
            peakReservedBytes: reservedBytes, deviceUsedBytes: deviceUsed,
            uncertaintyBytes: uncertainty(deviceUsed: deviceUsed), peakPhase: phaseName(peak.phase), phases: phases,
            activationBytesPerSample: Int(
                (Double(profile.forwardSaved.bytes(activationBytes: activationBytes)) * activationScale)
                    .rounded()),
            parameters: profile.parameters, trainableParameters: profile.trainable, decomposition: decomposition,
            calibrationScope: calibration.scope, assumptions: withAssumptions ? assumptions(model: model, gpu: gpu) : [])
    }

    /// Each component's largest value over every phase at `batch` (forward, each backward entry, the step), with
    /// the first phase that has it.
    func componentMaxima(batch: Int) -> [ComponentMaximum] {
        var maxima: [ComponentMaximum] = []
        for phase in -1...profile.backward.count {
            for (index, entry) in components(batch: batch, phase: phase).keyed.enumerated() {
                if index == maxima.count {
                    maxima.append(ComponentMaximum(key: entry.key, bytes: entry.bytes, phase: phaseName(phase)))
                } else if entry.bytes > maxima[index].bytes {
                    maxima[index] = ComponentMaximum(key: entry.key, bytes: entry.bytes, phase: phaseName(phase))
                }
            }
        }
        return maxima
    }

    /// What this estimate assumed, each default with its source.
    func assumptions(model: ModelAccounting, gpu: GPU?) -> [String] {
        var notes = ["framework: \(configuration.framework)", "attention: \(model.attention.rawValue)"]
        notes.append(storage.note)
        notes.append("optimizer \(configuration.optimizer.rawValue): \(optimizer.source)")
        notes.append(contentsOf: TrainingStack.notes(for: configuration))

        if optimizer.fixedSlotBytes == 1 {
            notes.append("8-bit states assumed for every tensor (bitsandbytes keeps 32-bit states below min_8bit_size = 4096 elements)")
        }
        notes.append(
            "activations: tensors saved for backward from the model accounting, at \(activationBytes) B per compute element; "
                + "fp32/int64/bool tensors keep their width")
        switch configuration.mode {
        case .full: break
        case .frozen: notes.append("frozen: only head layers train; the body keeps no activations for backward")
        case .lora, .qlora:
            notes.append(
                "\(configuration.mode.rawValue): rank \(configuration.loraRank) adapters r·(in+out) in fp32 with full optimizer state"
                    + (configuration.loraTargets.map { " on \($0.joined(separator: ","))" } ?? " on the family's default targets")
                    + (configuration.loraDropout > 0
                        ? "; lora_dropout = \(configuration.loraDropout): each adapter keeps a dropped copy of its input and the mask"
                        : "; lora_dropout = 0 (PEFT default: with dropout each adapter keeps a dropped copy of its input)"))
            if configuration.mode == .qlora {
                notes.append(
                    "qlora: NF4 linear weights at 0.5 B/param + double-quantized block-64 constants (≈0.127 bit/param, "
                        + "Dettmers et al. 2023); other frozen parameters fp32 (PEFT prepare_model_for_kbit_training)")
            }
        }
        if configuration.gpus > 1 {
            let stage = configuration.zeroStage
            notes.append(
                stage == 0
                    ? "DDP over \(configuration.gpus) GPUs"
                        + (stack.gradientAsBucketView ? ": gradients are bucket views" : ": bucket copies of all gradients (gradient_as_bucket_view=False, the default)")
                    : "ZeRO stage \(stage) over \(configuration.gpus) GPUs: optimizer state and master weights sharded"
                        + (stage >= 2 ? ", gradients sharded (+ one layer unsharded before reduce-scatter)" : "")
                        + (stage >= 3 ? ", weights sharded (+ a gather buffer of the largest layer)" : ""))
        }
        if accumulating {
            notes.append("gradient accumulation (\(configuration.gradAccumSteps) steps): gradients resident during forward")
        }
        notes.append(contentsOf: RuntimeDefaults.notes(gpu: gpu, framework: configuration.framework, calibration: calibration))
        notes.append(contentsOf: profile.notes)
        notes.append(contentsOf: model.notes)
        if calibration.activationScale == 1, calibration.modelStateScale == 1, calibration.allocatorReserveRatio == nil,
            calibration.runtimeContextBytes == nil, calibration.logSpread == 0
        {
            notes.append("calibration: none (analytic model)")
        } else {
            // Rounded for people (three decimals); JSON's `calibration` object keeps the full values.
            notes.append(
                "calibration \(calibration.scope) from \(calibration.runsUsed) observations: activations ×"
                    + NumberFormat.string("%.3f", activationScale) + ", optimizer-step and cast temporaries ×"
                    + NumberFormat.string("%.3f", calibration.modelStateScale) + ", log spread "
                    + NumberFormat.string("%.3f", calibration.logSpread)
                    + "; weights, gradients, optimizer state and master weights are exact and never scaled: what the "
                    + "scales add is the calibration adjustment line")
        }
        notes.append(contentsOf: calibration.notes)
        return notes
    }
}
