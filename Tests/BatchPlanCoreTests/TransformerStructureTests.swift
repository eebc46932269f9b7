import Foundation
import Testing

@testable import BatchPlanCore

@Suite("Transformer layer lists: module names, blocks, roles and LoRA shapes")
struct TransformerStructureTests {
    @Test("every llama projection is a Linear named as in transformers, with its LoRA shape")
    func llamaProjections() throws {
        let accounting = try HFZoo.definition("llama-3.1-8b").account()
        let byName = Dictionary(accounting.layers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let expected: [(String, Int, Int)] = [
            ("q_proj", 4096, 4096), ("k_proj", 4096, 1024), ("v_proj", 4096, 1024), ("o_proj", 4096, 4096),
        ]
        for (short, inFeatures, outFeatures) in expected {
            let layer = try #require(byName["model.layers.5.self_attn.\(short)"])
            #expect(layer.linearShape == LayerAccount.LinearShape(inFeatures: inFeatures, outFeatures: outFeatures))
            #expect(layer.block == "model.layers.5")
        }
        for short in ["gate_proj", "up_proj", "down_proj"] {
            #expect(byName["model.layers.31.mlp.\(short)"]?.linearShape != nil)
        }
        #expect(byName["lm_head"]?.role == .head)
        #expect(byName["model.embed_tokens"]?.role == .embedding)
    }

    @Test("each decoder or encoder layer is one checkpointable block", arguments: [
        ("llama-2-7b", 32), ("gpt2", 12), ("bert-base-uncased", 12), ("pythia-1b", 16), ("t5-small", 12),
    ])
    func blocks(name: String, count: Int) throws {
        let accounting = try HFZoo.definition(name).account()
        #expect(Set(accounting.layers.compactMap(\.block)).count == count)
    }

    @Test("GPT-2's Conv1D modules carry linear shapes for LoRA")
    func gpt2Conv1D() throws {
        let accounting = try HFZoo.definition("gpt2").account()
        let cAttn = try #require(accounting.layers.first { $0.name == "transformer.h.3.attn.c_attn" })
        #expect(cAttn.type == "Conv1D")
        #expect(cAttn.linearShape == LayerAccount.LinearShape(inFeatures: 768, outFeatures: 2304))
        #expect(cAttn.parameters == 768 * 2304 + 2304)
    }

    @Test("the causal-LM loss over the full vocabulary is the largest single buffer")
    func lossDominates() throws {
        let accounting = try HFZoo.definition("llama-3.2-1b").account(AccountingOptions(input: .sequence(length: 512)))
        let largest = try #require(accounting.layers.max { $0.savedBytesPerSample < $1.savedBytesPerSample })
        #expect(largest.role == .loss)
        #expect(largest.saved.fp32 == 128_256 * 512)
    }

    @Test("eager attention keeps S×S probabilities that SDPA does not, in the attention core")
    func eagerKeepsScores() throws {
        let bert = try HFZoo.definition("bert-base-uncased")
        let sdpa = try bert.account(AccountingOptions(input: .sequence(length: 512), attention: .sdpa))
        let eager = try bert.account(AccountingOptions(input: .sequence(length: 512), attention: .eager))
        let core = { (a: ModelAccounting) in a.layers.filter { $0.role == .attentionCore }.reduce(0) { $0 + $1.savedBytesPerSample } }
        // Per layer, eager keeps 12 heads × 512² fp32 probabilities, a one-byte dropout mask and the dropped fp32 copy
        // (p = 0.1), where SDPA keeps its 512 × 768 output and 12 × 512 fp32 log-sum-exp.
        #expect(core(eager) - core(sdpa) == 12 * (12 * 512 * 512 * 9 - 512 * 768 * 4 - 12 * 512 * 4))
        #expect(eager.parameters == sdpa.parameters)
    }

    @Test("models without an SDPA path in transformers are accounted eager and say so")
    func eagerOnly() throws {
        let accounting = try HFZoo.definition("gemma-2-2b").account()
        #expect(accounting.attention == .eager)
        #expect(accounting.notes.contains { $0.contains("no SDPA path") })
    }

    @Test("MoE counts every expert's weights but routes activations through the top-k only")
    func mixtureOfExperts() throws {
        let text = try String(contentsOf: try #require(
            Bundle.module.url(forResource: "mixtral-8x7b", withExtension: "json", subdirectory: "Fixtures/hf")), encoding: .utf8)
        let top1 = text.replacingOccurrences(of: "\"num_experts_per_tok\": 2", with: "\"num_experts_per_tok\": 1")
        #expect(top1 != text)
        let options = AccountingOptions(input: .sequence(length: 128))
        let two = try ModelDefinition(name: "m", kind: .huggingFace, payload: text, source: "", origin: .user).account(options)
        let one = try ModelDefinition(name: "m", kind: .huggingFace, payload: top1, source: "", origin: .user).account(options)
        #expect(two.parameters == one.parameters)
        let experts = { (a: ModelAccounting) in
            a.layers.filter { $0.name.contains(".mlp.experts.") }.reduce(0) { $0 + $1.savedBytesPerSample }
        }
        #expect(experts(two) == 2 * experts(one))
        #expect(two.notes.contains { $0.contains("top-2") })
    }

    @Test("T5 keeps its relative attention bias in the first block of each stack only")
    func t5RelativeBias() throws {
        let accounting = try HFZoo.definition("t5-small").account()
        let biases = accounting.layers.filter { $0.name.hasSuffix("relative_attention_bias") }.map(\.name)
        #expect(biases == ["encoder.block.0.layer.0.SelfAttention.relative_attention_bias",
                           "decoder.block.0.layer.0.SelfAttention.relative_attention_bias"])
    }
}
