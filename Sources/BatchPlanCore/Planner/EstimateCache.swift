/// Predicts many configurations of the same models — a calibration's runs — reusing what they share.
///
/// `Planner.estimate` builds, for every call, the model's layer traits (per-layer string work), its profile for
/// the checkpointing and training mode, and the phase model for the precision, optimizer, card and accumulation;
/// only the last step depends on the batch. Measured runs repeat configurations (a sweep over batch sizes, the same
/// recipe on several cards, repeats), so this keeps each of those per distinct input, and a run then costs one
/// evaluation of its phase model at its batch. The estimates are the same values `Planner.estimate` returns
/// (`EstimateCacheTests` compares them on every built-in run).
///
/// Not thread-safe: one cache per loop.
public struct EstimateCache {
    private struct ProfileKey: Hashable {
        var model: String
        var checkpointing: Checkpointing
        var mode: TrainingMode
        var loraRank: Int
        var loraTargets: [String]?
        var loraDropout: Bool
    }

    private struct PhaseKey: Hashable {
        var model: String
        var gpu: GPU?
        /// The configuration with its batch size cleared: the phase model does not depend on it.
        var configuration: TrainingConfiguration
        var calibration: CalibrationFactors
    }

    private var traits: [String: ModelProfile.LayerTraits] = [:]
    private var profiles: [ProfileKey: ModelProfile] = [:]
    private var phases: [PhaseKey: PhaseModel] = [:]

    public init() {}

    /// A configuration's phase model for one accounting and card: everything of an estimate but the batch.
    ///
    /// A caller that knows which runs share a configuration keeps this and evaluates it per run
    /// (`estimate(_:batch:model:gpu:withAssumptions:)`), without looking the configuration up again. A reference:
    /// keeping it costs no copy of the phase model.
    public final class Phase: Sendable {
        fileprivate let model: PhaseModel

        fileprivate init(model: PhaseModel) { self.model = model }
    }

    /// What `Planner.estimate(model:gpu:configuration:calibration:)` returns, without the assumption lines unless
    /// asked (a fit over runs reads only the numbers).
    ///
    /// - Parameter key: identifies `model` among the accountings this cache sees (same key, same accounting: the
    ///   model, its input size, task, attention and trainer adjustments).
    public mutating func estimate(
        model: ModelAccounting, key: String, gpu: GPU?, configuration: TrainingConfiguration,
        calibration: CalibrationFactors = .analytic, withAssumptions: Bool = false
    ) throws(CoreError) -> MemoryEstimate {
        let configuration = try configuration.validated()
        let phase = try validatedPhase(model: model, key: key, gpu: gpu, configuration: configuration, calibration: calibration)
        return estimate(phase, batch: configuration.batchSize, model: model, gpu: gpu, withAssumptions: withAssumptions)
    }

    /// The phase model `estimate(model:key:gpu:configuration:calibration:withAssumptions:)` evaluates for
    /// `configuration` (its batch is not used), built once per distinct input; it throws what that would throw for
    /// a valid batch.
    public mutating func phase(
        model: ModelAccounting, key: String, gpu: GPU?, configuration: TrainingConfiguration,
        calibration: CalibrationFactors = .analytic
    ) throws(CoreError) -> Phase {
        var configuration = configuration
        configuration.batchSize = 1
        return try validatedPhase(
            model: model, key: key, gpu: gpu, configuration: try configuration.validated(), calibration: calibration)
    }

    /// The estimate at `batch` of a phase model from `phase(model:key:gpu:configuration:calibration:)`: what
    /// `estimate(model:key:gpu:configuration:calibration:withAssumptions:)` returns for that configuration at
    /// `batch` (which the caller has validated).
    public func estimate(
        _ phase: Phase, batch: Int, model: ModelAccounting, gpu: GPU?, withAssumptions: Bool = false
    ) -> MemoryEstimate {
        phase.model.estimate(batch: batch, model: model, gpu: gpu, withAssumptions: withAssumptions)
    }

    private mutating func validatedPhase(
        model: ModelAccounting, key: String, gpu: GPU?, configuration: TrainingConfiguration,
        calibration: CalibrationFactors
    ) throws(CoreError) -> Phase {
        var unbatched = configuration
        unbatched.batchSize = 0
        let phaseKey = PhaseKey(model: key, gpu: gpu, configuration: unbatched, calibration: calibration)
        if let cached = phases[phaseKey] { return Phase(model: cached) }
        if let gpu { try Planner.checkSupport(configuration.precision, on: gpu) }
        let profileKey = ProfileKey(
            model: key, checkpointing: configuration.checkpointing, mode: configuration.mode,
            loraRank: configuration.loraRank, loraTargets: configuration.loraTargets,
            loraDropout: configuration.loraDropout > 0)
        let profile: ModelProfile
        if let cached = profiles[profileKey] {
            profile = cached
        } else {
            let layerTraits = traits[key] ?? ModelProfile.LayerTraits(model)
            traits[key] = layerTraits
            profile = try ModelProfile(
                model: model, checkpointing: configuration.checkpointing, mode: configuration.mode,
                loraRank: configuration.loraRank, loraTargets: configuration.loraTargets,
                loraDropout: configuration.loraDropout > 0, traits: layerTraits)
            profiles[profileKey] = profile
        }
        let phaseModel = PhaseModel(profile: profile, configuration: configuration, gpu: gpu, calibration: calibration)
        phases[phaseKey] = phaseModel
        return Phase(model: phaseModel)
    }
}
