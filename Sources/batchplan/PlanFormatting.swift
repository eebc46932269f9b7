import BatchPlanCatalog
import BatchPlanCore
import Foundation

/// Estimates and fit results as terminal tables and as the documented JSON contracts.
enum PlanFormatting {
    static let componentLabels: [String: String] = [
        "weights": "weights", "gradients": "gradients", "optimizer_state": "optimizer state",
        "master_weights": "master weights", "activations": "activations (saved for backward)",
        "activation_gradients": "activation gradients (transient)", "inputs": "input batch and labels",
        "workspace": "workspace (cuBLAS/cuDNN)", "runtime_context": "runtime context (CUDA, libraries)",
        "allocator_reserve": "allocator reserve (rounding, fragmentation)",
        "calibration_adjustment": "calibration adjustment",
    ]

    static func calibrationJSON(_ factors: CalibrationFactors) -> [String: Any] {
        ["scope": factors.scope.description, "runs_used": factors.runsUsed, "log_spread": factors.logSpread,
         "activation_scale": factors.activationScale, "model_state_scale": factors.modelStateScale,
         "applied": factors.runsUsed > 0, "skipped_scopes": factors.notes]
    }

    static func calibrationLine(_ factors: CalibrationFactors) -> String {
        guard factors.runsUsed > 0 else { return "analytic model (no calibration applied)" }
        return "\(factors.scope) from \(factors.runsUsed) observations, spread ±\(String(format: "%.0f", (exp(factors.logSpread) - 1) * 100))%"
            + String(format: ", activations ×%.2f, step and cast temporaries ×%.2f", factors.activationScale, factors.modelStateScale)
    }

    static func estimateJSON(_ estimate: MemoryEstimate, model: ModelAccounting, gpu: GPU?, calibration: CalibrationFactors) -> [String: Any] {
        let configuration = estimate.configuration
        var components: [String: Any] = [:]
        for (key, bytes) in estimate.components.keyed { components[key] = bytes }
        return [
            "model": model.name, "parameters": estimate.parameters, "trainable_parameters": estimate.trainableParameters,
            "batch_size": configuration.batchSize, "grad_accum_steps": configuration.gradAccumSteps,
            "precision": configuration.precision.rawValue, "optimizer": configuration.optimizer.rawValue,
            "checkpointing": configuration.checkpointing.rawValue, "mode": configuration.mode.rawValue,
            "gpus": configuration.gpus, "zero_stage": configuration.zeroStage, "framework": configuration.framework.description,
            "input": ModelFormatting.inputJSON(model.input), "task": model.task.rawValue, "attention": model.attention.rawValue,
            "gpu": gpu?.name ?? NSNull(), "gpu_memory_bytes": gpu?.memoryBytes ?? NSNull(),
            "components": components, "activation_bytes_per_sample": estimate.activationBytesPerSample,
            "peak_allocated_bytes": estimate.peakAllocatedBytes, "peak_reserved_bytes": estimate.peakReservedBytes,
            "device_used_bytes": estimate.deviceUsedBytes, "uncertainty_bytes": estimate.uncertaintyBytes,
            "peak_phase": estimate.peakPhase, "calibration": calibrationJSON(calibration),
            "calibration_adjustment_bytes": estimate.components.calibrationAdjustment,
            "calibration_adjustment_scope": calibration.runsUsed > 0 ? calibration.scope.description : NSNull(),
            "component_maxima": Dictionary(
                (estimate.componentMaxima ?? []).map { ($0.key, ["bytes": $0.bytes, "phase": $0.phase] as [String: Any]) },
                uniquingKeysWith: { first, _ in first }),
            "assumptions": estimate.assumptions,
        ]
    }

    /// A phase as a person reads it: "backward (layer3.1.conv2)" → "backward of layer layer3.1.conv2".
    static func phaseWords(_ phase: String) -> String {
        switch phase {
        case "forward": return "end of forward"
        case "optimizer-step": return "optimizer step"
        default:
            guard phase.hasPrefix("backward ("), phase.hasSuffix(")") else { return phase }
            return "backward of layer " + phase.dropFirst("backward (".count).dropLast()
        }
    }

    static func estimateTable(_ estimate: MemoryEstimate, model: ModelAccounting, gpu: GPU?, calibration: CalibrationFactors) -> String {
        let c = estimate.configuration
        var lines = [
            "\(model.name): batch \(c.batchSize), \(c.precision.rawValue), \(c.optimizer.rawValue), checkpointing \(c.checkpointing.rawValue), mode \(c.mode.rawValue)"
                + (c.gpus > 1 ? ", \(c.gpus) GPUs ZeRO-\(c.zeroStage)" : "") + (gpu.map { " on \($0.name)" } ?? ""),
            "input \(model.input), \(ModelFormatting.count(estimate.parameters)) parameters (\(ModelFormatting.count(estimate.trainableParameters)) trainable)",
            "",
        ]
        // The components are those of one moment, the peak; each one's own maximum (often at another phase: all
        // gradients exist only at the optimizer step) stands beside it so that a small number does not read as a bug.
        lines.append("at the peak (\(phaseWords(estimate.peakPhase))):")
        let maxima = Dictionary(
            (estimate.componentMaxima ?? []).map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var table = TextTable(headers: ["COMPONENT", "BYTES", "SIZE", "OWN MAX", "AT"], rightAligned: [1, 2, 3])
        for (key, bytes) in estimate.components.keyed {
            var label = componentLabels[key] ?? key
            if key == "calibration_adjustment" {
                guard calibration.runsUsed > 0 else { continue }
                label += " (\(calibration.scope))"
            }
            var row = [label, ModelFormatting.count(bytes), bytes < 0 ? "-" + ByteSize.format(-bytes) : ByteSize.format(bytes), "", ""]
            // The adjustment is calibration's correction of the peak, not a tensor with a life of its own.
            if key != "calibration_adjustment", let own = maxima[key] {
                // "peak" when the component is as large at the peak as anywhere in the step.
                row[3] = ByteSize.format(own.bytes)
                row[4] = own.bytes == bytes ? "peak" : phaseWords(own.phase)
            }
            table.rows.append(row)
        }
        lines.append(table.render())
        lines += [
            "",
            labelled("peak allocated", "\(ByteSize.format(estimate.peakAllocatedBytes))   (torch.cuda.max_memory_allocated, at \(estimate.peakPhase))"),
            labelled("peak reserved", "\(ByteSize.format(estimate.peakReservedBytes))   (torch.cuda.max_memory_reserved)"),
            labelled("device used", "\(ByteSize.format(estimate.deviceUsedBytes))   (nvidia-smi)"
                + (estimate.uncertaintyBytes > 0 ? ", ± \(ByteSize.format(estimate.uncertaintyBytes)) calibration uncertainty" : "")),
        ]
        if let gpu {
            let free = gpu.memoryBytes - estimate.deviceUsedBytes
            lines.append(labelled("card", "\(ByteSize.format(gpu.memoryBytes)) on \(gpu.name): "
                + (free >= 0 ? "\(ByteSize.format(free)) left" : "short by \(ByteSize.format(-free))")))
        }
        lines.append(labelled("activations", "\(ByteSize.format(estimate.activationBytesPerSample)) saved per sample"))
        lines.append(labelled("calibration", calibrationLine(calibration)))
        lines += estimate.assumptions.map { labelled("assumes", $0) }
        return lines.joined(separator: "\n")
    }

    /// Characters before the value on the estimate's labelled lines ("peak allocated   ", "step time        ").
    static let labelWidth = 17

    /// `label` padded so that every labelled line's value starts in the same column.
    static func labelled(_ label: String, _ value: String) -> String {
        label + String(repeating: " ", count: max(1, labelWidth - label.count)) + value
    }
}
