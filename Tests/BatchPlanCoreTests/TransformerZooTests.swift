import Foundation
import Testing

@testable import BatchPlanCore

/// The built-in zoo's real `config.json` files (`Fixtures/hf/<name>.json`, the same text as `data/models/hf/`).
enum HFZoo {
    /// `sum(p.numel() for p in model.parameters())` of the default task model, from transformers 5.24 built on the
    /// meta device: `*ForSequenceClassification` for encoders, `*ForCausalLM` for decoders, T5 for conditional
    /// generation.
    static let parameters: [String: Int] = [
        "bert-base-uncased": 109_483_778, "bert-large-uncased": 335_143_938, "distilbert-base-uncased": 66_955_010,
        "falcon-7b": 6_921_720_704, "gemma-2-2b": 2_614_341_888, "gpt2": 124_439_808, "gpt2-medium": 354_823_168,
        "gpt2-large": 774_030_080, "gpt2-xl": 1_557_611_200, "llama-2-7b": 6_738_415_616, "llama-2-13b": 13_015_864_320,
        "llama-3.1-8b": 8_030_261_248, "llama-3.2-1b": 1_235_814_400, "llama-3.2-3b": 3_212_749_824,
        "mistral-7b-v0.1": 7_241_732_096, "mixtral-8x7b": 46_702_792_704, "phi-2": 2_779_683_840,
        "phi-3-mini": 3_821_079_552, "pythia-1b": 1_011_781_632, "qwen2.5-0.5b": 494_032_768,
        "qwen2.5-1.5b": 1_543_714_304, "qwen2.5-7b": 7_615_616_512, "roberta-base": 124_647_170,
        "stablelm-3b": 2_795_443_200, "t5-small": 60_506_624, "t5-base": 222_903_552, "t5-large": 737_668_096,
        "t5-3b": 2_851_598_336, "tinyllama-1.1b": 1_100_048_384,
    ]

    static var names: [String] { parameters.keys.sorted() }

    static func definition(_ name: String) throws -> ModelDefinition {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/hf"))
        let text = try String(contentsOf: url, encoding: .utf8)
        return ModelDefinition(name: name, kind: .huggingFace, payload: text, source: "test", origin: .builtin)
    }
}

@Suite("Transformer accounting of the built-in zoo")
struct TransformerZooTests {
    @Test("parameters of every zoo model equal PyTorch's count for its default task model", arguments: HFZoo.names)
    func parameters(name: String) throws {
        let accounting = try HFZoo.definition(name).account()
        #expect(accounting.parameters == HFZoo.parameters[name])
    }
}
