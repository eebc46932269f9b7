/// Step works of many configurations of the same models (a calibration's runs), each built once.
///
/// `StepWork` depends on the model, the checkpointing and training mode and the LoRA setting only; building one
/// also works out the model's per-layer traits, which this keeps per model. Not thread-safe: one cache per loop.
public struct StepWorkCache {
    private struct Key: Hashable {
        var model: String
        var checkpointing: Checkpointing
        var mode: TrainingMode
        var loraRank: Int
        var loraTargets: [String]?
    }

    private var traits: [String: ModelProfile.LayerTraits] = [:]
    private var works: [Key: StepWork] = [:]

    public init() {}

    /// `StepWork(model:checkpointing:mode:loraRank:loraTargets:)` at `configuration`'s settings.
    ///
    /// - Parameter key: identifies `model` among the accountings this cache sees (same key, same accounting).
    public mutating func work(model: ModelAccounting, key: String, configuration: TrainingConfiguration) -> StepWork {
        let workKey = Key(
            model: key, checkpointing: configuration.checkpointing, mode: configuration.mode,
            loraRank: configuration.loraRank, loraTargets: configuration.loraTargets)
        if let cached = works[workKey] { return cached }
        let layerTraits = traits[key] ?? ModelProfile.LayerTraits(model)
        traits[key] = layerTraits
        let work = StepWork(
            model: model, checkpointing: configuration.checkpointing, mode: configuration.mode,
            loraRank: configuration.loraRank, loraTargets: configuration.loraTargets, traits: layerTraits)
        works[workKey] = work
        return work
    }
}
