import Foundation
import Testing

@testable import BatchPlanCore

private func definition(_ json: String, name: String = "test-model") -> ModelDefinition {
    ModelDefinition(name: name, kind: .huggingFace, payload: json, source: "test", origin: .user)
}

private let tinyLlama = """
    {"model_type": "llama", "hidden_size": 64, "intermediate_size": 176, "num_hidden_layers": 3,
     "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 1000, "max_position_embeddings": 128}
    """

@Suite("Transformer config.json decoding and options")
struct TransformerConfigTests {
    @Test("an unknown model_type is refused with the list of known ones")
    func unknownModelType() {
        #expect {
            try definition(#"{"model_type": "mamba", "hidden_size": 8}"#).account()
        } throws: { error in
            let message = (error as? CoreError)?.description ?? ""
            return message.contains("\"mamba\"") && message.contains("llama") && message.contains("mt5")
                && message.contains("vit")
        }
    }

    @Test("a missing required key is named in the error", arguments: ["hidden_size", "vocab_size", "num_hidden_layers"])
    func missingKey(key: String) throws {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(tinyLlama.utf8)) as? [String: Any])
        object[key] = nil
        let text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        #expect(throws: CoreError.invalidModel(model: "test-model", problem: "config.json lacks the required key \"\(key)\"")) {
            try definition(text).account()
        }
    }

    @Test("text that is not a JSON object, or has no model_type, is an invalid model", arguments: ["not json", "[1, 2]", "{}"])
    func notAConfig(text: String) {
        #expect(throws: CoreError.self) { try definition(text).account() }
    }

    @Test("absurd sizes are refused before they overflow")
    func absurdSizes() {
        let huge = tinyLlama.replacingOccurrences(of: "\"vocab_size\": 1000", with: "\"vocab_size\": 16000000")
            .replacingOccurrences(of: "\"hidden_size\": 64", with: "\"hidden_size\": 16000000")
            .replacingOccurrences(of: "\"num_attention_heads\": 8", with: "\"num_attention_heads\": 16")
        #expect(throws: CoreError.self) { try definition(huge).account() }
        let negative = tinyLlama.replacingOccurrences(of: "\"num_hidden_layers\": 3", with: "\"num_hidden_layers\": -3")
        #expect(throws: CoreError.self) { try definition(negative).account() }
    }

    @Test("a tied LM head adds no parameters; an untied one adds vocab × hidden")
    func tiedEmbeddings() throws {
        let untied = try definition(tinyLlama).account()
        let tied = try definition(tinyLlama.replacingOccurrences(of: "{", with: "{\"tie_word_embeddings\": true, ")).account()
        #expect(untied.parameters - tied.parameters == 1000 * 64)
        #expect(tied.layers.first { $0.name == "lm_head" }?.parameters == 0)
    }

    @Test("each model_type lands in its family with the family's default task", arguments: [
        ("bert-base-uncased", ModelFamily.encoder, TrainingTask.classification),
        ("distilbert-base-uncased", .encoder, .classification), ("gpt2", .decoder, .causalLM),
        ("mixtral-8x7b", .decoder, .causalLM), ("t5-small", .encoderDecoder, .seq2seq),
    ])
    func familyAndTask(name: String, family: ModelFamily, task: TrainingTask) throws {
        let model = try HFZoo.definition(name)
        #expect(try model.family() == family)
        let accounting = try model.account()
        #expect(accounting.family == family)
        #expect(accounting.task == task)
    }

    @Test("classification reads num_labels (default 2); language models predict the vocabulary")
    func outputClasses() throws {
        #expect(try HFZoo.definition("bert-base-uncased").account().outputClasses == 2)
        #expect(try HFZoo.definition("gpt2").account().outputClasses == 50257)
        let vit = """
            {"model_type": "vit", "id2label": {"0": "cat", "1": "dog", "2": "bird"}, "image_size": 32, "patch_size": 8}
            """
        let accounting = try definition(vit).account()
        #expect(accounting.outputClasses == 3)
        #expect(accounting.task == .imageClassification)
        #expect(accounting.input == .image(channels: 3, height: 32, width: 32))
    }

    @Test("a task the architecture cannot train is refused")
    func wrongTask() {
        #expect(throws: CoreError.self) { try HFZoo.definition("gpt2").account(AccountingOptions(task: .seq2seq)) }
        #expect(throws: CoreError.self) { try HFZoo.definition("t5-small").account(AccountingOptions(task: .causalLM)) }
    }

    @Test("the default sequence is 512 tokens capped at the model's positions; longer requests are refused")
    func sequenceLength() throws {
        #expect(try HFZoo.definition("gpt2").account().input == .sequence(length: 512))
        #expect(try definition(tinyLlama).account().input == .sequence(length: 128))
        #expect(throws: CoreError.self) {
            try HFZoo.definition("bert-base-uncased").account(AccountingOptions(input: .sequence(length: 513)))
        }
        #expect(try HFZoo.definition("t5-small").account().maxPositions == nil)
    }

    @Test("the data loader hands over int64 ids, mask, token types where the tokenizer makes them, and labels")
    func inputBytes() throws {
        let lm = try HFZoo.definition("gpt2").account(AccountingOptions(input: .sequence(length: 100)))
        #expect(lm.inputBytesPerSample == 3 * 100 * 8)
        let classifier = try HFZoo.definition("bert-base-uncased").account(AccountingOptions(input: .sequence(length: 100)))
        // BERT's tokenizer also returns token_type_ids.
        #expect(classifier.inputBytesPerSample == (3 * 100 + 1) * 8)
        let roberta = try HFZoo.definition("roberta-base").account(AccountingOptions(input: .sequence(length: 100)))
        #expect(roberta.inputBytesPerSample == (2 * 100 + 1) * 8)
    }

    @Test("Gemma 2 keeps an extra copy of the logits for soft-capping unless the config sets it to null")
    func gemma2Softcap() throws {
        let url = try #require(Bundle.module.url(forResource: "gemma-2-2b", withExtension: "json", subdirectory: "Fixtures/hf"))
        let text = try String(contentsOf: url, encoding: .utf8)
        let off = text.replacingOccurrences(of: "\"final_logit_softcapping\": 30.0", with: "\"final_logit_softcapping\": null")
        #expect(off != text)
        let options = AccountingOptions(input: .sequence(length: 64))
        let capped = try definition(text).account(options)
        let plain = try definition(off).account(options)
        #expect(capped.activationBytesPerSample - plain.activationBytesPerSample == 256_000 * 64 * 4)
    }
}
