import Testing

@testable import BatchPlanCore

@Suite("Layer spec")
struct LayerSpecTests {
    /// The example from docs/layer-spec.md.
    static let example = """
        {
          "name": "tiny-resnet",
          "family": "cnn",
          "input": [3, 32, 32],
          "classes": 10,
          "layers": [
            {"name": "conv1", "type": "conv2d", "out_channels": 16, "kernel": 3, "padding": 1, "bias": false},
            {"name": "bn1", "type": "batchnorm2d"},
            {"name": "relu1", "type": "relu", "inplace": true},
            {"name": "conv2", "type": "conv2d", "out_channels": 16, "kernel": 3, "padding": 1, "bias": false},
            {"name": "bn2", "type": "batchnorm2d"},
            {"name": "skip", "type": "add", "inputs": ["relu1", "bn2"]},
            {"name": "relu2", "type": "relu", "inplace": true},
            {"name": "pool", "type": "maxpool2d", "kernel": 2},
            {"name": "gap", "type": "adaptiveavgpool2d", "output_size": 1},
            {"type": "flatten"},
            {"name": "fc", "type": "linear", "out_features": 10}
          ]
        }
        """

    private func definition(_ json: String) -> ModelDefinition {
        ModelDefinition(name: "user-net", kind: .layerSpec, payload: json, source: "net.json", origin: .user)
    }

    private func problem(_ json: String) -> String {
        do {
            _ = try definition(json).account()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test("the documented example decodes into a graph with the right counts")
    func documentedExample() throws {
        let accounting = try definition(Self.example).account()
        #expect(accounting.name == "user-net")
        #expect(accounting.family == .custom || accounting.family == .cnn)
        #expect(accounting.parameters == 432 + 32 + 2304 + 32 + 160 + 10)
        #expect(accounting.outputClasses == 10)
        #expect(accounting.layers.last?.type == "CrossEntropyLoss")
        #expect(accounting.layers.first { $0.name == "fc" }?.role == .head)
        #expect(accounting.layers.map(\.name).contains("9"))  // an unnamed layer takes its position, as nn.Sequential
        // Saved per sample: input 3072, conv1 out 16384, relu1 16384, conv2 out 16384, relu2 16384,
        // pool indices 4096 (int64), fc input 16, loss 10 fp32 + 1 int64.
        #expect(accounting.saved == SavedTensors(activation: 3072 + 4 * 16384 + 16, fp32: 10, int64: 4096 + 1))
        // PyTorch 2.15, saved-tensor hooks deduplicated by storage, batch 2 minus batch 1: 307,312 bytes.
        #expect(accounting.activationBytesPerSample == 307_312)
        #expect(try definition(Self.example).family() == .cnn)
    }

    @Test("a small U-Net: encoder, bottleneck, transposed-conv decoder and skip concatenations by name")
    func unet() throws {
        let json = """
            {"name": "unet-mini", "input": [1, 64, 64], "loss": "none", "layers": [
              {"name": "enc1", "type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 1},
              {"name": "enc1.relu", "type": "relu", "inplace": true},
              {"name": "down1", "type": "maxpool2d", "kernel": 2},
              {"name": "enc2", "type": "conv2d", "out_channels": 16, "kernel": 3, "padding": 1},
              {"name": "enc2.relu", "type": "relu", "inplace": true},
              {"name": "down2", "type": "maxpool2d", "kernel": 2},
              {"name": "mid", "type": "conv2d", "out_channels": 32, "kernel": 3, "padding": 1},
              {"name": "up2", "type": "convtranspose2d", "out_channels": 16, "kernel": 2, "stride": 2},
              {"name": "cat2", "type": "concat", "inputs": ["up2", "enc2.relu"]},
              {"name": "dec2", "type": "conv2d", "out_channels": 16, "kernel": 3, "padding": 1},
              {"name": "up1", "type": "upsample", "scale_factor": 2, "mode": "bilinear"},
              {"name": "cat1", "type": "concat", "inputs": ["up1", "enc1.relu"]},
              {"name": "dec1", "type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 1},
              {"name": "head", "type": "conv2d", "out_channels": 2, "kernel": 1}
            ]}
            """
        let accounting = try definition(json).account()
        let shapes = Dictionary(uniqueKeysWithValues: accounting.layers.map { ($0.name, $0.outputShape) })
        #expect(shapes["up2"] == [16, 32, 32])
        #expect(shapes["cat2"] == [32, 32, 32])
        #expect(shapes["cat1"] == [24, 64, 64])
        #expect(shapes["head"] == [2, 64, 64])
        // nn.ConvTranspose2d(32, 16, 2, stride=2) has 32·16·4 + 16 parameters.
        #expect(accounting.layers.first { $0.name == "up2" }?.parameters == 2_064)
        #expect(accounting.layers.first { $0.name == "head" }?.role == .head)
        let broken = json.replacingOccurrences(of: #""kernel": 2, "stride": 2}"#, with: #""kernel": 2, "stride": 1}"#)
        #expect(problem(broken).contains("\"cat2\""))
    }

    @Test("an input size from the options overrides the spec's")
    func inputOverride() throws {
        let accounting = try definition(Self.example).account(AccountingOptions(input: .image(channels: 3, height: 64, width: 64)))
        #expect(accounting.layers.first { $0.name == "pool" }?.outputShape == [16, 32, 32])
    }

    @Test("an unknown layer type lists the known ones")
    func unknownType() {
        let message = problem(#"{"input": [3, 8, 8], "layers": [{"name": "c", "type": "conv3d", "out_channels": 4}]}"#)
        #expect(message.contains("unknown type \"conv3d\""))
        #expect(message.contains("conv2d") && message.contains("maxpool2d") && message.contains("linear"))
    }

    @Test("a missing key is named with its layer")
    func missingKey() {
        let message = problem(#"{"input": [3, 8, 8], "layers": [{"name": "c", "type": "conv2d", "kernel": 3}]}"#)
        #expect(message.contains("layer \"c\" (conv2d): missing key \"out_channels\""))
    }

    @Test("a missing top-level key is named")
    func missingTopLevelKey() {
        #expect(problem(#"{"layers": []}"#).contains("missing key \"input\""))
    }

    @Test("a misspelt key is an error listing the layer's keys")
    func unknownKey() {
        let message = problem(#"{"input": [3, 8, 8], "layers": [{"type": "conv2d", "out_channels": 4, "kernal": 3, "kernel": 3}]}"#)
        #expect(message.contains("unknown key \"kernal\""))
        #expect(message.contains("\"out_channels\""))
    }

    @Test("truncated or malformed JSON is reported as a JSON problem saying where", arguments: [
        (#"{"input": [3, 8, 8], "layers": [{"type": "relu"}"#, "unexpected end of text"),
        (#"{"input": [3, 8, 8] "layers": [{"type": "relu"}]}"#, "invalid JSON at line 1, column 21"),
        ("", "the text is empty"),
    ])
    func malformed(json: String, expected: String) {
        let message = problem(json)
        #expect(message.contains("not valid JSON: \(expected)"))
    }

    @Test("declared input widths are checked against the inferred ones")
    func declaredWidthsChecked() {
        #expect(problem(#"{"input": [3, 8, 8], "layers": [{"name": "c", "type": "conv2d", "in_channels": 1, "out_channels": 4, "kernel": 1}]}"#)
            .contains("expects 1 input channels, got 3"))
        #expect(problem(#"{"input": [3, 8, 8], "layers": [{"type": "flatten"}, {"name": "fc", "type": "linear", "in_features": 100, "out_features": 4}]}"#)
            .contains("layer \"fc\" (Linear): expects 100 input features, got 192"))
    }

    @Test("a wrongly typed value is named")
    func wrongType() {
        #expect(problem(#"{"input": [3, 8, 8], "layers": [{"type": "conv2d", "out_channels": "many", "kernel": 3}]}"#)
            .contains("\"out_channels\" must be an integer"))
        #expect(problem(#"{"input": "3x8x8", "layers": []}"#).contains("wrong type at input"))
    }

    @Test("shape errors in a spec name the layer and both shapes")
    func specShapeMismatch() {
        let message = problem(
            #"{"input": [3, 8, 8], "layers": [{"name": "a", "type": "conv2d", "out_channels": 4, "kernel": 1}, {"name": "b", "type": "conv2d", "out_channels": 8, "kernel": 1}, {"name": "skip", "type": "add", "inputs": ["a", "b"]}]}"#)
        #expect(message.contains("\"skip\"") && message.contains("[4, 8, 8]") && message.contains("[8, 8, 8]"))
    }

    @Test("every known type decodes with only its required keys", arguments: LayerSpec.knownTypes)
    func everyTypeDecodes(type: String) throws {
        let required: [String: String] = [
            "conv2d": #", "out_channels": 4, "kernel": 1"#, "linear": #", "out_features": 4"#,
            "groupnorm": #", "num_groups": 1"#, "maxpool2d": #", "kernel": 2"#, "avgpool2d": #", "kernel": 2"#,
            "permute": #", "dims": [0, 2, 1]"#, "convtranspose2d": #", "out_channels": 4, "kernel": 2"#,
            "upsample": #", "scale_factor": 2"#, "stochastic_depth": #", "p": 0.1"#, "attention": #", "heads": 2"#,
        ]
        let json = #"{"input": [3, 8, 8], "loss": "none", "layers": [{"type": "\#(type)"\#(required[type] ?? "")}]}"#
        let spec = try LayerSpec(decoding: json, fallbackName: "t")
        #expect(spec.graph.nodes.count == 1)
    }
}
