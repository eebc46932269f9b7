import Testing

@testable import BatchPlanCore

@Suite("Layer graph")
struct GraphTests {
    private func graph(_ nodes: [LayerNode]) -> LayerGraph { LayerGraph(name: "toy", family: .cnn, nodes: nodes) }

    private func account(_ nodes: [LayerNode], input: [Int] = [3, 8, 8]) throws -> ModelAccounting {
        try graph(nodes).account(input: .image(channels: input[0], height: input[1], width: input[2]), task: .classification)
    }

    private func problem(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test("shapes are inferred through convolutions, pooling and flatten")
    func shapeInference() throws {
        let accounting = try account([
            LayerNode(name: "conv", layer: Conv2d(16, kernel: 3, stride: 2, padding: 1)),
            LayerNode(name: "pool", layer: MaxPool2d(kernel: 2)),
            LayerNode(name: "flat", layer: Flatten()),
            LayerNode(name: "fc", layer: Linear(10)),
        ])
        #expect(accounting.layers.map(\.outputShape) == [[16, 4, 4], [16, 2, 2], [64], [10]])
        #expect(accounting.parameters == 16 * 27 + 16 + 64 * 10 + 10)
        #expect(accounting.layers[3].linearShape == .init(inFeatures: 64, outFeatures: 10))
        #expect(accounting.outputClasses == 10)
    }

    @Test("a residual add of mismatched shapes names the layer and both shapes")
    func addMismatch() {
        let message = problem {
            _ = try account([
                LayerNode(name: "conv1", layer: Conv2d(16, kernel: 3, padding: 1)),
                LayerNode(name: "conv2", layer: Conv2d(32, kernel: 3, stride: 2, padding: 1)),
                LayerNode(name: "skip", layer: Add(), inputs: ["conv1", "conv2"]),
            ])
        }
        #expect(message.contains("\"skip\""))
        #expect(message.contains("[16, 8, 8]"))
        #expect(message.contains("[32, 4, 4]"))
    }

    @Test("an unknown input name is an error naming it")
    func unknownInput() {
        let message = problem {
            _ = try account([
                LayerNode(name: "conv1", layer: Conv2d(16, kernel: 3)),
                LayerNode(name: "skip", layer: Add(), inputs: ["conv1", "conv9"]),
            ])
        }
        #expect(message.contains("\"conv9\""))
        #expect(message.contains("not a layer name"))
    }

    @Test("a cycle is an error naming the layers in it")
    func cycle() {
        let message = problem {
            _ = try account([
                LayerNode(name: "a", layer: Activation(.relu), inputs: ["b"]),
                LayerNode(name: "b", layer: Activation(.relu), inputs: ["a"]),
            ])
        }
        #expect(message.contains("cycle"))
        #expect(message.contains("\"a\""))
    }

    @Test("duplicate layer names are rejected")
    func duplicates() {
        let message = problem {
            _ = try account([LayerNode(name: "a", layer: Activation(.relu)), LayerNode(name: "a", layer: Activation(.relu))])
        }
        #expect(message.contains("two layers are named \"a\""))
    }

    @Test("a layer may be listed before the layer it reads; evaluation follows the dependencies")
    func forwardReference() throws {
        let accounting = try account([
            LayerNode(name: "sum", layer: Add(), inputs: ["left", "right"]),
            LayerNode(name: "left", layer: Conv2d(4, kernel: 1), inputs: ["input"]),
            LayerNode(name: "right", layer: Conv2d(4, kernel: 1), inputs: ["input"]),
        ])
        #expect(accounting.layers.map(\.name) == ["left", "right", "sum"])
    }

    @Test("zero and negative sizes are rejected", arguments: [0, -3])
    func nonPositiveSizes(size: Int) {
        #expect(problem { _ = try account([LayerNode(name: "c", layer: Conv2d(size, kernel: 3))]) }.contains("positive"))
        #expect(problem { _ = try account([LayerNode(name: "c", layer: Conv2d(8, kernel: 3))], input: [3, size, 8]) }.contains("positive"))
    }

    @Test("a window larger than its input is an error, not an empty tensor")
    func windowTooLarge() {
        #expect(problem { _ = try account([LayerNode(name: "c", layer: Conv2d(8, kernel: 9))]) }.contains("does not fit"))
    }

    @Test("sizes that overflow are caught")
    func overflow() {
        let message = problem {
            _ = try account([LayerNode(name: "fc", layer: Flatten()), LayerNode(name: "huge", layer: Linear(1 << 50))])
        }
        #expect(message.contains("\"huge\""))
        #expect(message.contains("too large"))
    }

    @Test("a tensor saved by two layers is counted once, at the first")
    func sharedStorageCountedOnce() throws {
        // conv1 saves the input (3·8·8); relu saves its output (16·8·8), which conv2 saves too.
        let accounting = try account([
            LayerNode(name: "conv1", layer: Conv2d(16, kernel: 3, padding: 1)),
            LayerNode(name: "relu", layer: Activation(.relu)),
            LayerNode(name: "conv2", layer: Conv2d(16, kernel: 3, padding: 1)),
        ])
        #expect(accounting.layers.map(\.saved.activation) == [192, 1024, 0])
    }

    @Test("in-place ReLU after batch norm: the norm keeps the conv output, the ReLU the overwritten norm output")
    func inplaceReLUAfterBatchNorm() throws {
        let accounting = try account([
            LayerNode(name: "conv", layer: Conv2d(16, kernel: 3, padding: 1)),
            LayerNode(name: "bn", layer: BatchNorm2d()),
            LayerNode(name: "relu", layer: Activation.relu(inplace: true)),
            LayerNode(name: "conv2", layer: Conv2d(16, kernel: 3, padding: 1)),
        ])
        #expect(accounting.layers.map(\.saved.activation) == [192, 1024, 1024, 0])
    }

    @Test("in-place Hardswish keeps a clone of the input it overwrites")
    func inplaceHardswishClones() throws {
        let accounting = try account([
            LayerNode(name: "bn", layer: BatchNorm2d()),
            LayerNode(name: "act", layer: Activation(.hardswish, inplace: true)),
            LayerNode(name: "conv", layer: Conv2d(4, kernel: 1)),
        ])
        // bn saves the input; act a clone; conv the overwritten bn output.
        #expect(accounting.layers.map(\.saved.activation) == [192, 192, 192])
    }

    @Test("max-pool keeps int64 indices, dropout a one-byte mask, and p = 0 dropout nothing")
    func poolingAndDropout() throws {
        let accounting = try account([
            LayerNode(name: "pool", layer: MaxPool2d(kernel: 2)),
            LayerNode(name: "drop", layer: Dropout(0.5)),
            LayerNode(name: "none", layer: Dropout(0)),
        ])
        #expect(accounting.layers[0].saved == SavedTensors(activation: 192, int64: 48))
        #expect(accounting.layers[1].saved == SavedTensors(bool: 48))
        #expect(accounting.layers[2].saved == .none)
    }

    @Test("eager attention keeps S×S probabilities per head; SDPA keeps O(S) statistics")
    func attentionImplementations() throws {
        func saved(_ implementation: AttentionImplementation) throws -> SavedTensors {
            try LayerGraph(name: "attn", family: .encoder, nodes: [
                LayerNode(name: "qkv", layer: Linear(96)),
                LayerNode(name: "core", layer: AttentionCore(heads: 4, implementation: implementation), role: .attentionCore),
            ]).account(input: .tensor([50, 32]), task: .classification).layers[1].saved
        }
        // eager: the q copy (50·32) and 4·50·50 fp32 probabilities; the packed q, k, v (50·96) in both.
        #expect(try saved(.eager) == SavedTensors(activation: 4800 + 1600, fp32: 10_000))
        // sdpa: q, k, v, the output (50·32) and 4·50 log-sum-exp values.
        #expect(try saved(.sdpa) == SavedTensors(activation: 4800 + 1600, fp32: 200))
    }

    @Test("concatenation joins channels; a mismatch in other dimensions is an error")
    func concat() throws {
        let accounting = try account([
            LayerNode(name: "a", layer: Conv2d(4, kernel: 1), inputs: ["input"]),
            LayerNode(name: "b", layer: Conv2d(6, kernel: 1), inputs: ["input"]),
            LayerNode(name: "cat", layer: Concat(), inputs: ["a", "b"]),
        ])
        #expect(accounting.layers[2].outputShape == [10, 8, 8])
        let message = problem {
            _ = try account([
                LayerNode(name: "a", layer: Conv2d(4, kernel: 1), inputs: ["input"]),
                LayerNode(name: "b", layer: Conv2d(6, kernel: 1, stride: 2), inputs: ["input"]),
                LayerNode(name: "cat", layer: Concat(), inputs: ["a", "b"]),
            ])
        }
        #expect(message.contains("\"cat\"") && message.contains("[4, 8, 8]") && message.contains("[6, 4, 4]"))
    }

    @Test("ResNet-50 at 224: the per-sample bytes follow PyTorch's saved tensors layer by layer")
    func resnetStem() throws {
        let accounting = try VisionZoo.account("resnet50")
        let byName = Dictionary(uniqueKeysWithValues: accounting.layers.map { ($0.name, $0) })
        #expect(byName["conv1"]?.saved.activation == 3 * 224 * 224)
        #expect(byName["bn1"]?.saved.activation == 64 * 112 * 112)
        #expect(byName["relu"]?.saved.activation == 64 * 112 * 112)
        #expect(byName["maxpool"]?.saved == SavedTensors(int64: 64 * 56 * 56))
        #expect(byName["avgpool"]?.saved == SavedTensors.none)
        #expect(byName["fc"]?.saved.activation == 2048)
        #expect(byName["loss"]?.saved == SavedTensors(fp32: 1000, int64: 1))
    }
}
