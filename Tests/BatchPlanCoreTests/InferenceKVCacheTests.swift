import Testing

@testable import BatchPlanCore

/// KV cache bytes of real published configs, against values computed by hand in each test:
/// layers × 2 × KV heads × head dim × bytes per element × cached tokens.
@Suite("KV cache arithmetic on published configs")
struct InferenceKVCacheTests {
    private func geometry(_ name: String) throws -> KVCacheGeometry {
        let definition = try HFZoo.definition(name)
        return try #require(try KVCacheGeometry.read(config: definition.payload, model: name))
    }

    @Test(
        "a grouped-query Llama caches 8 of its 32 heads",
        arguments: [
            // llama-3.1-8b: 32 layers, 8 KV heads, head dim 128.
            (KVCacheDType.bf16, 1, 32 * 2 * 8 * 128 * 2 * 1),
            (KVCacheDType.bf16, 8192, 32 * 2 * 8 * 128 * 2 * 8192),  // 1 GiB
            (KVCacheDType.fp8, 4096, 32 * 2 * 8 * 128 * 1 * 4096),
            (KVCacheDType.fp32, 131_072, 32 * 2 * 8 * 128 * 4 * 131_072),
        ])
    func llama(dtype: KVCacheDType, tokens: Int, expected: Int) throws {
        let kv = try geometry("llama-3.1-8b")
        #expect(kv.bytesPerSequence(tokens: tokens, dtype: dtype) == expected)
        #expect(kv.bytesPerToken(dtype: .bf16) == 131_072)
    }

    @Test("8192 tokens of Llama 3.1 8B in bf16 are exactly one GiB")
    func llamaGiB() throws {
        #expect(try geometry("llama-3.1-8b").bytesPerSequence(tokens: 8192, dtype: .bf16) == 1 << 30)
    }

    @Test("paged blocks round each sequence up to whole blocks of 16 tokens")
    func llamaPaged() throws {
        let kv = try geometry("llama-3.1-8b")
        // 1000 tokens need 63 blocks = 1008 tokens.
        #expect(kv.bytesPerSequence(tokens: 1000, dtype: .bf16, blockSize: 16) == 1008 * 131_072)
        #expect(kv.bytesPerSequence(tokens: 1024, dtype: .bf16, blockSize: 16) == 1024 * 131_072)
        #expect(kv.bytesPerSequence(tokens: 1, dtype: .bf16, blockSize: 32) == 32 * 131_072)
    }

    @Test("tensor parallelism splits KV heads and replicates them once there are fewer heads than GPUs")
    func llamaTensorParallel() throws {
        let kv = try geometry("llama-3.1-8b")
        #expect(kv.bytesPerToken(dtype: .bf16, tensorParallel: 2) == 32 * 2 * 4 * 128 * 2)
        #expect(kv.bytesPerToken(dtype: .bf16, tensorParallel: 8) == 32 * 2 * 1 * 128 * 2)
        #expect(kv.bytesPerToken(dtype: .bf16, tensorParallel: 16) == 32 * 2 * 1 * 128 * 2)
    }

    @Test(
        "multi-query Falcon caches one key/value head per layer",
        arguments: [
            // falcon-7b: 32 layers, multi_query → 1 KV head, head dim 4544 / 71 = 64.
            (KVCacheDType.fp16, 2048, 32 * 2 * 1 * 64 * 2 * 2048),
            (KVCacheDType.fp8, 2048, 32 * 2 * 1 * 64 * 1 * 2048),
            (KVCacheDType.bf16, 100, 32 * 2 * 1 * 64 * 2 * 100),
        ])
    func falcon(dtype: KVCacheDType, tokens: Int, expected: Int) throws {
        let kv = try geometry("falcon-7b")
        #expect(kv.bytesPerSequence(tokens: tokens, dtype: dtype) == expected)
        #expect(kv.bytesPerToken(dtype: .fp16, tensorParallel: 2) == 8192)
    }

    @Test(
        "sliding-window Mistral caches at most its 4096-token window",
        arguments: [
            // mistral-7b-v0.1: 32 layers, 8 KV heads, head dim 128, sliding_window 4096.
            (2048, KVCacheDType.bf16, 32 * 2 * 8 * 128 * 2 * 2048),
            (4096, KVCacheDType.bf16, 32 * 2 * 8 * 128 * 2 * 4096),
            (8192, KVCacheDType.bf16, 32 * 2 * 8 * 128 * 2 * 4096),
            (32768, KVCacheDType.fp8, 32 * 2 * 8 * 128 * 1 * 4096),
        ])
    func mistral(tokens: Int, dtype: KVCacheDType, expected: Int) throws {
        #expect(try geometry("mistral-7b-v0.1").bytesPerSequence(tokens: tokens, dtype: dtype) == expected)
    }

    @Test("a paged sequence past Mistral's window also holds the block its window starts in")
    func mistralPaged() throws {
        let kv = try geometry("mistral-7b-v0.1")
        // 4096 / 16 = 256 blocks for the window, plus one straddling block.
        #expect(kv.bytesPerSequence(tokens: 8192, dtype: .bf16, blockSize: 16) == (256 + 1) * 16 * 131_072)
        #expect(kv.bytesPerSequence(tokens: 4000, dtype: .bf16, blockSize: 16) == 250 * 16 * 131_072)
    }

    @Test(
        "Gemma 2 caches the window on its 13 local layers and everything on its 13 global ones",
        arguments: [
            // gemma-2-2b: 26 layers, 4 KV heads, head dim 256 → 2 × 4 × 256 = 2048 elements per token and layer.
            (2048, KVCacheDType.bf16, 26 * 2048 * 2 * 2048),
            (4096, KVCacheDType.bf16, 26 * 2048 * 2 * 4096),
            (8192, KVCacheDType.bf16, 13 * 2048 * 2 * 8192 + 13 * 2048 * 2 * 4096),
            (8192, KVCacheDType.fp8, 13 * 2048 * 1 * 8192 + 13 * 2048 * 1 * 4096),
        ])
    func gemma2(tokens: Int, dtype: KVCacheDType, expected: Int) throws {
        let kv = try geometry("gemma-2-2b")
        #expect(kv.bytesPerSequence(tokens: tokens, dtype: dtype) == expected)
        #expect(kv.groups.map(\.layers).sorted() == [13, 13])
    }

    @Test("Qwen2.5 with use_sliding_window false caches every token on every layer")
    func qwenWithoutWindow() throws {
        // qwen2.5-7b: 28 layers, 4 KV heads, head dim 3584 / 28 = 128.
        let kv = try geometry("qwen2.5-7b")
        #expect(kv.bytesPerSequence(tokens: 32768, dtype: .bf16) == 28 * 2 * 4 * 128 * 2 * 32768)
    }

    @Test("layer_types in a config choose which layers slide")
    func layerTypes() throws {
        let config = """
            {"model_type": "mistral", "hidden_size": 1024, "num_attention_heads": 8, "num_key_value_heads": 2,
             "num_hidden_layers": 4, "intermediate_size": 2048, "vocab_size": 1000, "sliding_window": 512,
             "layer_types": ["sliding_attention", "full_attention", "full_attention", "full_attention"]}
            """
        let kv = try #require(try KVCacheGeometry.read(config: config, model: "tiny"))
        // head dim 128, 2 KV heads: 512 elements per token and layer.
        #expect(kv.bytesPerSequence(tokens: 2048, dtype: .fp16) == 3 * 512 * 2 * 2048 + 1 * 512 * 2 * 512)
    }

    @Test("DeepSeek-V3's latent attention caches one 576-element latent per token and layer, on every GPU")
    func deepSeekLatent() throws {
        // https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json (the keys the cache reads).
        let config = """
            {"model_type": "deepseek_v3", "num_hidden_layers": 61, "num_attention_heads": 128, "hidden_size": 7168,
             "kv_lora_rank": 512, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128,
             "q_lora_rank": 1536, "num_key_value_heads": 128, "vocab_size": 129280}
            """
        let kv = try #require(try KVCacheGeometry.read(config: config, model: "deepseek-v3"))
        #expect(kv.bytesPerSequence(tokens: 4096, dtype: .bf16) == 61 * (512 + 64) * 2 * 4096)
        #expect(kv.bytesPerToken(dtype: .fp8, tensorParallel: 8) == 61 * 576)
    }

    @Test("encoders cache nothing and encoder–decoders are refused by name")
    func noCache() throws {
        let bert = try HFZoo.definition("bert-base-uncased")
        #expect(try KVCacheGeometry.read(config: bert.payload, model: "bert-base-uncased") == nil)
        let t5 = try HFZoo.definition("t5-small")
        #expect(throws: CoreError.self) { try KVCacheGeometry.read(config: t5.payload, model: "t5-small") }
    }
}
