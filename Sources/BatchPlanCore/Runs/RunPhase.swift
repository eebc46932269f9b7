/// What a measured run measured: a training step or prediction. The `phase` column of runs.
///
/// Training calibration uses training runs only; inference runs calibrate `serve` only.
public enum RunPhase: String, CaseIterable, Codable, Sendable {
    case training
    case inference
}

extension MeasuredRun {
    /// Whether the run measured inference (`phase` inference); runs without a phase are training runs.
    public var isInference: Bool { phase == .inference }
}
