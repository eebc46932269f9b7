import Foundation

/// What a decoder caches per token and layer, read from its Hugging Face `config.json`: key/value heads and head
/// width (grouped-query and multi-query attention), sliding windows (only the window is cached), Gemma 2's
/// alternating local/global layers, and DeepSeek-style multi-head latent attention.
///
/// Bytes = Σ over layers of 2 × KV heads × head dim × bytes per element × cached tokens (a latent layer caches one
/// `kv_lora_rank + qk_rope_head_dim` vector per token instead of 2 × heads × head dim).
public struct KVCacheGeometry: Hashable, Codable, Sendable {
    /// Layers that cache the same thing.
    public struct LayerGroup: Hashable, Codable, Sendable {
        /// Number of layers in the group.
        public var layers: Int
        /// Key/value heads (1 for multi-query attention; 0 for a latent layer).
        public var kvHeads: Int
        /// Elements per head of the key (the value has the same width).
        public var headDim: Int
        /// Tokens a sliding-window layer attends to and caches; `nil` for full attention.
        public var window: Int?
        /// Elements per token of a latent-attention layer (`kv_lora_rank + qk_rope_head_dim`); replicated, not split,
        /// across tensor-parallel GPUs (vLLM's MLA backends keep the whole latent on every rank).
        public var latentWidth: Int?

        public init(layers: Int, kvHeads: Int, headDim: Int, window: Int? = nil, latentWidth: Int? = nil) {
            self.layers = layers
            self.kvHeads = kvHeads
            self.headDim = headDim
            self.window = window
            self.latentWidth = latentWidth
        }

        /// Cached elements per token of one layer on one of `tensorParallel` GPUs.
        ///
        /// KV heads split N ways; when N exceeds them each GPU keeps one (vLLM `get_num_kv_heads`:
        /// `max(1, total_num_kv_heads // tensor_parallel_size)`).
        public func elementsPerToken(tensorParallel: Int) -> Int {
            if let latentWidth { return latentWidth }
            return 2 * max(1, kvHeads / max(1, tensorParallel)) * headDim
        }
    }

    public var modelType: String
    /// Attention heads (query heads): tensor parallelism must divide them.
    public var attentionHeads: Int
    public var groups: [LayerGroup]
    /// What was read and assumed, for the estimate's assumptions.
    public var notes: [String]

    public init(modelType: String, attentionHeads: Int, groups: [LayerGroup], notes: [String] = []) {
        self.modelType = modelType
        self.attentionHeads = attentionHeads
        self.groups = groups
        self.notes = notes
    }

    /// Layers with a cache.
    public var layers: Int { groups.reduce(0) { $0 + $1.layers } }

    /// Tokens one sequence of `tokens` keeps in a layer with `window`, in whole blocks of `blockSize` when paged.
    ///
    /// A sliding-window layer keeps at most the window; paged, a sequence past its window also holds the block the
    /// window's start falls in (the window rarely starts on a block boundary).
    public static func cachedTokens(_ tokens: Int, window: Int?, blockSize: Int?) -> Int {
        let kept = window.map { min(tokens, $0) } ?? tokens
        guard let blockSize, blockSize > 0 else { return kept }
        let straddle = window.map { tokens > $0 ? 1 : 0 } ?? 0
        return ((kept + blockSize - 1) / blockSize + straddle) * blockSize
    }

    /// Bytes one sequence of `tokens` (prompt + generated) caches on one of `tensorParallel` GPUs.
    public func bytesPerSequence(tokens: Int, dtype: KVCacheDType, blockSize: Int? = nil, tensorParallel: Int = 1) -> Int {
        groups.reduce(0) { sum, group in
            sum + group.layers * group.elementsPerToken(tensorParallel: tensorParallel) * dtype.bytes
                * Self.cachedTokens(tokens, window: group.window, blockSize: blockSize)
        }
    }

    /// Bytes of one token in every layer, without windows or blocks (the "per token" figure people quote).
    public func bytesPerToken(dtype: KVCacheDType, tensorParallel: Int = 1) -> Int {
        groups.reduce(0) { $0 + $1.layers * $1.elementsPerToken(tensorParallel: tensorParallel) * dtype.bytes }
    }

    /// Longest context any layer can use without a window, if all layers are windowed (else `nil`).
    public var largestWindow: Int? {
        groups.allSatisfy { $0.window != nil } ? groups.compactMap(\.window).max() : nil
    }
}

extension KVCacheGeometry {
    /// Reads the cache geometry of a decoder's `config.json`.
    ///
    /// Model types the accountant knows are read through `TransformerDescription` (heads, KV heads, head dim); a
    /// config with `kv_lora_rank` (DeepSeek-V2/V3 `deepseek_v2`, `deepseek_v3`) is read as latent attention from its
    /// keys even though the accountant cannot build that model. Windows: `layer_types` when the config lists them
    /// (transformers ≥ 4.53), else Mistral/Mixtral/Phi-3 `sliding_window` on every layer, Qwen2 `sliding_window` from
    /// `max_window_layers` on when `use_sliding_window`, Gemma 2 every even layer (`configuration_gemma2.py`).
    /// - Returns: `nil` for encoders (BERT, DistilBERT, ViT), which cache nothing.
    /// - Throws: `CoreError.invalidModel` for a config that cannot be read, `.unsupported` for encoder–decoders.
    public static func read(config text: String, model: String) throws(CoreError) -> KVCacheGeometry? {
        let config = try HFConfig(model: model, text: text)
        let raw = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        if config.string("model_type").map({ !TransformerDescription.knownModelTypes.contains($0) }) ?? false,
            try config.optionalInt("kv_lora_rank") != nil
        {
            return try latent(config)
        }
        let d = try TransformerDescription(config: config)
        switch HuggingFaceAccountant.family(of: d) {
        case .encoder: return nil
        case .encoderDecoder:
            throw .unsupported(
                "model \"\(model)\" is an encoder–decoder (\(d.modelType)): its self- and cross-attention caches are not modelled for inference yet")
        default: break
        }
        var notes: [String] = []
        let window = try windowSize(config, modelType: d.modelType)
        var windows = [Int?](repeating: nil, count: d.layers)
        if let types = raw["layer_types"] as? [String], types.count == d.layers {
            for (index, type) in types.enumerated() where type == "sliding_attention" { windows[index] = window }
            notes.append("sliding windows from the config's layer_types")
        } else if let window {
            switch d.modelType {
            case "gemma2":
                for index in stride(from: 0, to: d.layers, by: 2) { windows[index] = window }
                notes.append("Gemma 2: even layers slide over \(window) tokens, odd layers attend globally (configuration_gemma2.py)")
            case "qwen2":
                let from = try config.int("max_window_layers", default: d.layers)
                for index in from..<max(from, d.layers) { windows[index] = window }
                notes.append("Qwen2: sliding window \(window) from layer \(from) on (use_sliding_window)")
            default:
                windows = windows.map { _ in window }
                notes.append("sliding window \(window) on every layer: only the last \(window) tokens are cached")
            }
        }
        var groups: [LayerGroup] = []
        for window in windows {
            if let last = groups.last, last.window == window {
                groups[groups.count - 1].layers += 1
            } else {
                groups.append(LayerGroup(layers: 1, kvHeads: d.kvHeads, headDim: d.headDim, window: window))
            }
        }
        if d.kvHeads == 1 && d.heads > 1 {
            notes.append("multi-query attention: one key/value head of \(d.headDim) per layer")
        } else if d.kvHeads != d.heads {
            notes.append("grouped-query attention: \(d.kvHeads) key/value heads for \(d.heads) query heads")
        }
        return KVCacheGeometry(modelType: d.modelType, attentionHeads: d.heads, groups: merged(groups), notes: notes)
    }

    /// The window a model type applies, or `nil` (null, absent, or turned off by `use_sliding_window: false`).
    private static func windowSize(_ c: HFConfig, modelType: String) throws(CoreError) -> Int? {
        switch modelType {
        case "mistral", "mixtral", "phi3", "gemma2":
            if c.isNull("sliding_window") { return nil }
            return try c.optionalInt("sliding_window") ?? (modelType == "gemma2" ? 4096 : nil)
        case "qwen2":
            guard try c.bool("use_sliding_window", default: false) else { return nil }
            return try c.optionalInt("sliding_window")
        default:
            return nil
        }
    }

    /// Groups of equal layers regardless of order (the bytes do not depend on which layer slides).
    private static func merged(_ groups: [LayerGroup]) -> [LayerGroup] {
        var result: [LayerGroup] = []
        for group in groups {
            if let index = result.firstIndex(where: { $0.window == group.window && $0.kvHeads == group.kvHeads }) {
                result[index].layers += group.layers
            } else {
                result.append(group)
            }
        }
        return result
    }

    /// DeepSeek-style multi-head latent attention, from `kv_lora_rank` and `qk_rope_head_dim`.
    private static func latent(_ c: HFConfig) throws(CoreError) -> KVCacheGeometry {
        let layers = try c.int("num_hidden_layers")
        let rank = try c.int("kv_lora_rank")
        let rope = try c.int("qk_rope_head_dim")
        let heads = try c.int("num_attention_heads")
        return KVCacheGeometry(
            modelType: c.string("model_type") ?? "latent", attentionHeads: heads,
            groups: [LayerGroup(layers: layers, kvHeads: 0, headDim: 0, latentWidth: rank + rope)],
            notes: [
                "multi-head latent attention: one \(rank) + \(rope)-element latent per token and layer, as vLLM's MLA "
                    + "backends cache it (transformers' eager DeepSeek caches the decompressed keys and values instead)"
            ])
    }
}
