import BatchPlanCore
import Foundation

/// Measured step times turned into what the step-time fitter fits, and the calibration plans use.
///
/// Uses runs that trained (`mem_at_batch`, outcome ok) with a `step_time_ms`, not under a memory cap (a capped
/// allocator that frees and retries cached blocks near its limit is slower than the card) and not search probes
/// (a single measured step). Fitted with the memory calibration, from the same predictions, and stored with it
/// (`Catalog.currentCalibrations()`).
public enum ThroughputEvidence {
    /// Whether a run's step time is evidence for the (training) step-time model: an inference run's time is a
    /// forward pass, not a training step.
    public static func usable(_ run: MeasuredRun) -> Bool {
        guard let ms = run.stepTimeMs, (run.phase ?? .training) == .training else { return false }
        return ms > 0 && run.kind == .memAtBatch && run.outcome == .ok && run.memoryCapBytes == nil
    }

    /// The scope path of a model on a card.
    public static func path(gpu: GPU, model: CatalogModel) -> ThroughputScopePath {
        ThroughputScopePath(gpu: gpu.name, family: model.family.rawValue, model: model.name)
    }

    /// One observation per usable run, with the step-time model's uncalibrated parts at its configuration.
    public static func observations(_ predictions: [RunEvidence.Prediction]) -> [ThroughputObservation] {
        // Runs share models and configurations: each step work is built once (its per-layer traits once per model).
        var works = StepWorkCache()
        var observations: [ThroughputObservation] = []
        predictions.withUnsafeBufferPointer { all in
            for i in all.indices {
                if let observation = observation(all, i, works: &works) { observations.append(observation) }
            }
        }
        return observations
    }

    /// The observation of prediction `i`, when its step time is evidence. Reads the prediction in place: a copy
    /// retains and releases some forty strings and arrays, even for the runs without a step time.
    static func observation(
        _ all: UnsafeBufferPointer<RunEvidence.Prediction>, _ i: Int, works: inout StepWorkCache
    ) -> ThroughputObservation? {
        guard usable(all[i].run), let ms = all[i].run.stepTimeMs,
            case let .success(rates) = DeviceRates.of(all[i].gpu, precision: all[i].configuration.precision)
        else { return nil }
        let configuration = all[i].configuration
        let work = works.work(model: all[i].accounting, key: all[i].accountingKey, configuration: configuration)
        let model = StepTimeModel(work: work, configuration: configuration, rates: rates, factors: .defaults)
        let parts = model.microStep(batch: max(1, configuration.batchSize))
        let microSteps = max(1, configuration.gradAccumSteps)
        return ThroughputObservation(
            id: all[i].run.key, path: path(gpu: all[i].gpu, model: all[i].model),
            tensorCores: rates.tensorCores, computeSeconds: parts.compute, memorySeconds: parts.memory,
            passes: parts.passes, microSteps: microSteps,
            updateSeconds: model.updateSeconds(microSteps: microSteps), measuredSeconds: ms / 1000,
            samples: configuration.effectiveBatchSize,
            label: "\(configuration.precision.rawValue) \(configuration.optimizer.rawValue) "
                + "ckpt=\(configuration.checkpointing.rawValue) batch \(configuration.batchSize)")
    }
}

extension Catalog {
    /// Usable runs with a step time, predicted at their configurations.
    public func throughputObservations() throws(CatalogError) -> [ThroughputObservation] {
        let runs = try runsWithUsability().filter { ThroughputEvidence.usable($0.stored.run) }
        return ThroughputEvidence.observations(RunEvidence.predictions(runs).predictions)
    }

    /// The step-time calibration fitted now from every usable run with a step time (no storing; plans use
    /// `currentThroughputCalibration()`).
    public func throughputCalibration() throws(CatalogError) -> ThroughputCalibration {
        ThroughputFitter().fit(try throughputObservations())
    }
}

extension ThroughputCalibration {
    /// Factors for a model on a card.
    public func factors(for model: CatalogModel, gpu: GPU) -> ThroughputFactors {
        factors(for: ThroughputEvidence.path(gpu: gpu, model: model))
    }
}
