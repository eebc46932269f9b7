import Testing

@testable import BatchPlanCore

@Suite("Torch profile import")
struct TorchProfileTests {
    static func profile(
        format: String = "batchplan-torch-profile", parameters: Int = 1_000, fcParameters: Int = 500,
        convBytes: Int = 40_000, total: Int = 60_000, input: String = #"{"kind": "image", "shape": [3, 224, 224]}"#
    ) -> String {
        """
        {"format": "\(format)", "format_version": 1, "model": "toy", "source": "torchvision", "torch_version": "2.15.0",
         "family": "cnn", "task": "image-classification", "attention": "sdpa", "input": \(input),
         "parameters": \(parameters), "trainable_parameters": \(parameters), "output_classes": 10,
         "saved_bytes_at_batch": {"1": \(total + 256), "2": \(2 * total + 256)},
         "activation_bytes_per_sample": \(total), "fixed_saved_bytes": 256,
         "layers": [
           {"name": "conv1", "type": "Conv2d", "parameters": 500, "output_shape": [8, 112, 112], "saved_bytes_per_sample": \(convBytes)},
           {"name": "fc", "type": "Linear", "parameters": \(fcParameters), "output_shape": [10], "saved_bytes_per_sample": 16000}
         ]}
        """
    }

    private func definition(_ json: String) -> ModelDefinition {
        ModelDefinition(name: "toy-profile", kind: .torchProfile, payload: json, source: "toy.json", origin: .user)
    }

    private func problem(_ json: String, options: AccountingOptions = AccountingOptions()) -> String {
        do {
            _ = try definition(json).account(options)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test("at the measured size the accounting reproduces the profile's totals")
    func reproducesProfile() throws {
        let accounting = try definition(Self.profile()).account()
        #expect(accounting.parameters == 1_000)
        #expect(accounting.activationBytesPerSample == 60_000)
        #expect(accounting.input == .image(channels: 3, height: 224, width: 224))
        #expect(accounting.family == .cnn)
        #expect(accounting.task == .imageClassification)
        #expect(accounting.layers.first { $0.name == "fc" }?.role == .head)
        #expect(accounting.layers.contains { $0.name == "(unattributed)" && $0.savedBytesPerSample == 4_000 })
        #expect(try definition(Self.profile()).family() == .cnn)
    }

    @Test("at another size activations scale by the ratio of input elements and the notes say so")
    func scalesWithInput() throws {
        let accounting = try definition(Self.profile()).account(AccountingOptions(input: .image(channels: 3, height: 112, width: 112)))
        #expect(accounting.activationBytesPerSample == 15_000)
        #expect(accounting.parameters == 1_000)
        #expect(accounting.notes.contains { $0.contains("scaled") && $0.contains("0.2500") })
    }

    @Test("a parameter total that differs from the layers' sum is kept and noted")
    func parameterMismatchNoted() throws {
        let accounting = try definition(Self.profile(parameters: 1_200)).account()
        #expect(accounting.parameters == 1_200)
        #expect(accounting.notes.contains { $0.contains("sum to 1000") })
    }

    @Test("a wrong format tag is rejected")
    func wrongFormat() {
        #expect(problem(Self.profile(format: "something-else")).contains("expected \"batchplan-torch-profile\""))
    }

    @Test("negative numbers are rejected")
    func negativeNumbers() {
        #expect(problem(Self.profile(total: -5)).contains("activation_bytes_per_sample"))
        #expect(problem(Self.profile(convBytes: -1)).contains("layer \"conv1\""))
        #expect(problem(Self.profile(parameters: -1)).contains("\"parameters\" must be positive"))
    }

    @Test("a malformed input description is rejected")
    func badInput() {
        #expect(problem(Self.profile(input: #"{"kind": "image", "shape": [3, 0, 224]}"#)).contains("\"input\" must be"))
        #expect(problem(Self.profile(input: #"{"kind": "video"}"#)).contains("\"input\" must be"))
    }

    @Test("asking for a sequence length on an image profile is an error")
    func kindMismatch() {
        #expect(problem(Self.profile(), options: AccountingOptions(input: .sequence(length: 128))).contains("same kind"))
    }

    @Test("truncated JSON and missing keys are named")
    func malformed() {
        let text = Self.profile()
        #expect(problem(String(text.prefix(200))).contains("not valid JSON"))
        #expect(problem(text.replacingOccurrences(of: #""parameters": 1000, "#, with: "")).contains("missing key \"parameters\""))
    }
}
