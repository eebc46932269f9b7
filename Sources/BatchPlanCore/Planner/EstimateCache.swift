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
        var unbatched = configuration
        unbatched.batchSize = 0
        let phaseKey = PhaseKey(model: key, gpu: gpu, configuration: unbatched, calibration: calibration)
        let phaseModel: PhaseModel
        if let cached = phases[phaseKey] {
            phaseModel = cached
        } else {
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
            phaseModel = PhaseModel(profile: profile, configuration: configuration, gpu: gpu, calibration: calibration)
            phases[phaseKey] = phaseModel
        }
        return phaseModel.estimate(
            batch: configuration.batchSize, model: model, gpu: gpu, withAssumptions: withAssumptions)
    }
}
