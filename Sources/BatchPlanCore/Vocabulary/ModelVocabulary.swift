/// Broad kind of model: the `--family` values of `models list`.
public enum ModelFamily: String, CaseIterable, Codable, Sendable {
    case cnn
    case encoder
    case decoder
    case encoderDecoder = "encoder-decoder"
    /// A model given by raw counts, a layer spec or a profile, when its family is not known.
    case custom
}

/// What the model is trained to do; it decides the head and the loss: the `--task` values.
public enum TrainingTask: String, CaseIterable, Codable, Sendable {
    case classification
    case maskedLM = "masked-lm"
    case causalLM = "causal-lm"
    case seq2seq
    case imageClassification = "image-classification"
}

/// The attention implementation: the `--attention` values.
public enum AttentionImplementation: String, CaseIterable, Codable, Sendable {
    /// Eager attention keeps the S×S probabilities (and their dropout mask) for backward.
    case eager
    /// `scaled_dot_product_attention` (flash / memory-efficient kernels) keeps O(S) statistics.
    case sdpa
}

/// Where a catalog row came from.
public enum RowOrigin: String, CaseIterable, Codable, Sendable {
    /// Shipped with batchplan; refreshed by newer binaries.
    case builtin
    /// Added or recorded by the user; never touched by upgrades.
    case user
}
