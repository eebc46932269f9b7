import Testing

@testable import BatchPlanCore

/// Inference components: serving weight formats, the working set of one forward pass, and the counters.
@Suite("Inference memory per component")
struct InferenceMemoryTests {
    static func model(_ name: String) throws -> InferenceModel {
        let definition = try HFZoo.definition(name)
        return try InferenceModel(definition: definition, accounting: definition.account())
    }

    static let llamaParameters = 8_030_261_248

    @Test("native weights take the compute dtype's bytes for every parameter")
    func nativeWeights() throws {
        let accounting = try Self.model("llama-3.1-8b").accounting
        #expect(WeightStorage.of(accounting, format: .native, dtype: .bf16).bytes == Self.llamaParameters * 2)
        #expect(WeightStorage.of(accounting, format: .native, dtype: .fp32).bytes == Self.llamaParameters * 4)
        #expect(WeightStorage.of(accounting, format: .fp16, dtype: .fp32).bytes == Self.llamaParameters * 2)
    }

    @Test("a 4096 × 4096 int4 matrix in groups of 128 counts its packed weights, scales, zeros and g_idx")
    func int4Matrix() {
        let shape = LayerAccount.LinearShape(inFeatures: 4096, outFeatures: 4096)
        // qweight 4096·4096/2, 32 groups × 4096 columns × (2-byte scale + half-byte zero), g_idx 4096 × 4.
        #expect(WeightFormat.int4.matrixBytes(shape, groupSize: 128) == Double(8_388_608 + 32 * 4096 * 5 / 2 + 4096 * 4))
        // One group per column (GPTQ group_size = -1).
        #expect(WeightFormat.int4.matrixBytes(shape, groupSize: nil) == Double(8_388_608 + 4096 * 5 / 2 + 4096 * 4))
        #expect(WeightFormat.int8.matrixBytes(shape, groupSize: nil) == Double(4096 * 4096 + 4096 * 4))
        #expect(WeightFormat.fp8.matrixBytes(shape, groupSize: nil) == Double(4096 * 4096 + 4))
        // NF4: half a byte per weight and an fp32 absmax per 64; double-quantized, an 8-bit absmax per 64 and an fp32
        // constant per 256 blocks.
        #expect(WeightFormat.nf4.matrixBytes(shape, groupSize: nil) == Double(4096 * 4096 / 2 + 4096 * 4096 / 64 * 4))
        #expect(WeightFormat.nf4DoubleQuant.matrixBytes(shape, groupSize: nil)
            == Double(4096 * 4096 / 2 + 4096 * 4096 / 64 + 4096 * 4096 / (64 * 256) * 4))
    }

    @Test("int4 Llama 3.1 8B keeps embeddings, lm_head and norms in bf16 and quantizes the 32 blocks' linears")
    func int4Llama() throws {
        let accounting = try Self.model("llama-3.1-8b").accounting
        let storage = WeightStorage.of(accounting, format: .int4, dtype: .bf16)
        // Per block: q and o 4096×4096, k and v 4096×1024, gate and up 4096×14336, down 14336×4096.
        func int4(_ rows: Int, _ columns: Int) -> Int { rows * columns / 2 + rows / 128 * columns * 5 / 2 + rows * 4 }
        let block = 2 * int4(4096, 4096) + 2 * int4(4096, 1024) + 2 * int4(4096, 14336) + int4(14336, 4096)
        // Embedding and untied lm_head 128256 × 4096, 65 RMSNorm weights of 4096, all bf16.
        let other = (2 * 128_256 * 4096 + 65 * 4096) * 2
        #expect(storage.bytes == 32 * block + other)
        #expect(storage.quantizedParameters == 32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336))
    }

    @Test("tensor parallelism splits linears and embeddings but not norms")
    func tensorParallelWeights() throws {
        let accounting = try Self.model("llama-3.1-8b").accounting
        let whole = WeightStorage.of(accounting, format: .native, dtype: .bf16).bytes
        let split = WeightStorage.of(accounting, format: .native, dtype: .bf16, tensorParallel: 4).bytes
        let norms = 65 * 4096 * 2
        #expect(split == (whole - norms) / 4 + norms)
    }

    @Test("the working set is the widest part of a block, not a sum over layers")
    func llamaWorkingSet() throws {
        let model = try Self.model("llama-3.1-8b")
        let set = model.workingSet(InferenceConfiguration(dtype: .bf16))
        // MLP: block input, embedding output, residual sum and normed input (4 × 4096), plus act(gate), up and their
        // product (3 × 14336), bf16, per token.
        let mlp = (4 * 4096 + 3 * 14336) * 2
        #expect(set.peak(sequences: 1, tokens: 8192, attended: 8192, logitRows: 1).bytes == 8192 * mlp)
        #expect(set.peak(sequences: 4, tokens: 100, attended: 100, logitRows: 4).phase == "mlp")
        // One token: the logits row (128256 in bf16 plus its fp32 copy) dominates.
        let logits = set.peak(sequences: 1, tokens: 1, attended: 1, logitRows: 1)
        #expect(logits.phase == "logits")
        #expect(logits.bytes == 3 * 4096 * 2 + 128_256 * 6)
    }

    @Test("eager attention adds the scores: heads × tokens² × 8 bytes per sequence, the mask and the expanded KV heads")
    func eagerScores() throws {
        let model = try Self.model("llama-3.1-8b")
        let set = model.workingSet(InferenceConfiguration(dtype: .bf16, attention: .eager))
        // At softmax: 3 × hidden of stream, q, k, v, k and v expanded to 32 heads; per score 2 + 4 + 2 bytes per head
        // and the bf16 causal mask.
        let perToken = (3 * 4096 + 4096 + 2 * 1024 + 2 * 4096) * 2
        let expected = 2 * (4096 * perToken + 4096 * 4096 * (32 * 8 + 2))
        #expect(set.peak(sequences: 2, tokens: 4096, attended: 4096, logitRows: 2) == (expected, "attention"))
    }

    @Test("a CNN's working set is its widest layer's input, output, residual input and waiting main path")
    func resnetWorkingSet() throws {
        let definition = ModelDefinition(name: "resnet50", kind: .builder, payload: "resnet50", source: "test", origin: .builtin)
        let model = try InferenceModel(definition: definition, accounting: definition.account())
        let set = model.workingSet(InferenceConfiguration(dtype: .fp16))
        // layer1.0's shortcut: its block input (64 × 56 × 56) and the main path's bn3 output, the shortcut conv's
        // output and its batch norm's (256 × 56 × 56 each), fp16.
        #expect(set.peak(sequences: 10, tokens: 1, attended: 1, logitRows: 0) == (10 * (3 * 256 + 64) * 56 * 56 * 2, "layer1.0.downsample.1"))
    }

    @Test("the components sum to device used, and reserved is allocated plus the reserve")
    func componentsSum() throws {
        let model = try Self.model("mistral-7b-v0.1")
        let e = try InferencePlanner.estimate(
            model: model, gpu: nil, configuration: InferenceConfiguration(dtype: .bf16),
            workload: InferenceWorkload(sequences: 3, contextTokens: 2048))
        #expect(e.components.total == e.deviceUsedBytes)
        #expect(e.peakReservedBytes == e.peakAllocatedBytes + e.components.allocatorReserve)
        #expect(e.components.kvCache == 3 * 32 * 2 * 8 * 128 * 2 * 2048)
        #expect(e.components.weights == 7_241_732_096 * 2)
    }

    @Test("bf16 on a card without it is refused with the fix")
    func bf16Refused() throws {
        let model = try Self.model("gpt2")
        let t4 = GPU(
            name: "T4", vendor: .nvidia, architecture: "turing", segment: "datacenter", memoryBytes: 15 << 30,
            marketedMemory: "16GB", marketedMemoryBytes: 16 << 30, supportsBF16: false, supportsFP8: false,
            sourceURL: "test", origin: .builtin)
        #expect(throws: CoreError.self) {
            try InferencePlanner.estimate(
                model: model, gpu: t4, configuration: InferenceConfiguration(dtype: .bf16),
                workload: InferenceWorkload(sequences: 1, contextTokens: 128))
        }
    }
}
