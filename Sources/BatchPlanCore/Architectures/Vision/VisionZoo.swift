import Foundation

/// The built-in vision architectures by torchvision name: `resnet50`, `vit_b_16`, …
///
/// Each builder reproduces torchvision's module tree (names and parameter counts exactly) at any input size; only
/// the ViTs change their parameter count with size (position embeddings, as torchvision's `image_size` argument).
public enum VisionZoo {
    /// One named architecture.
    public struct Entry: Sendable {
        public var name: String
        public var family: ModelFamily
        /// The input it was designed for: 3×224×224 for ImageNet models, 1×32×32 for LeNet-5.
        public var defaultInput: InputSize
        /// Where the architecture is defined.
        public var source: String
        let build: @Sendable (_ input: InputSize, _ attention: AttentionImplementation) throws(CoreError) -> LayerGraph
    }

    private static let imagenet = InputSize.image(channels: 3, height: 224, width: 224)
    /// Parameter counts and module names were checked against torchvision 0.29.
    private static let torchvision = "https://github.com/pytorch/vision/blob/main/torchvision/models"

    private static func cnn(_ name: String, file: String, _ build: @escaping @Sendable () -> LayerGraph) -> Entry {
        Entry(name: name, family: .cnn, defaultInput: imagenet, source: "\(torchvision)/\(file).py") { _, _ in build() }
    }

    /// Every architecture, in a stable order.
    public static let entries: [Entry] = {
        var list: [Entry] = [
            Entry(
                name: "lenet5", family: .cnn, defaultInput: .image(channels: 1, height: 32, width: 32),
                source: LeNet.source) { _, _ in LeNet.build() },
            cnn("alexnet", file: "alexnet") { AlexNet.build() },
        ]
        for depth in [11, 13, 16, 19] {
            list.append(cnn("vgg\(depth)", file: "vgg") { VGG.build(depth: depth, batchNorm: false) })
            list.append(cnn("vgg\(depth)_bn", file: "vgg") { VGG.build(depth: depth, batchNorm: true) })
        }
        list += [
            cnn("resnet18", file: "resnet") { ResNet.build(name: "resnet18", kind: .basic, layers: [2, 2, 2, 2]) },
            cnn("resnet34", file: "resnet") { ResNet.build(name: "resnet34", kind: .basic, layers: [3, 4, 6, 3]) },
            cnn("resnet50", file: "resnet") { ResNet.build(name: "resnet50", kind: .bottleneck, layers: [3, 4, 6, 3]) },
            cnn("resnet101", file: "resnet") { ResNet.build(name: "resnet101", kind: .bottleneck, layers: [3, 4, 23, 3]) },
            cnn("resnet152", file: "resnet") { ResNet.build(name: "resnet152", kind: .bottleneck, layers: [3, 8, 36, 3]) },
            cnn("wide_resnet50_2", file: "resnet") {
                ResNet.build(name: "wide_resnet50_2", kind: .bottleneck, layers: [3, 4, 6, 3], widthPerGroup: 128)
            },
            cnn("mobilenet_v2", file: "mobilenetv2") { MobileNetV2.build() },
            cnn("mobilenet_v3_large", file: "mobilenetv3") { MobileNetV3.buildLarge() },
            cnn("densenet121", file: "densenet") { DenseNet.build(name: "densenet121", blocks: [6, 12, 24, 16]) },
            cnn("efficientnet_b0", file: "efficientnet") { EfficientNet.buildB0() },
            cnn("convnext_tiny", file: "convnext") { ConvNeXt.buildTiny() },
            cnn("squeezenet1_0", file: "squeezenet") { SqueezeNet.build() },
            cnn("regnet_y_400mf", file: "regnet") { RegNet.buildY400MF() },
        ]
        for (name, size) in [("vit_b_16", VisionTransformer.Size.base), ("vit_l_16", .large)] {
            list.append(
                Entry(
                    name: name, family: .encoder, defaultInput: imagenet,
                    source: "\(torchvision)/vision_transformer.py"
                ) { input, attention throws(CoreError) in
                    try VisionTransformer.build(name: name, size: size, input: input, attention: attention)
                })
        }
        return list
    }()

    /// The architecture names, in a stable order.
    public static var names: [String] { entries.map(\.name) }

    /// The architecture called `name` (exact torchvision spelling, case-insensitive).
    public static func entry(_ name: String) throws(CoreError) -> Entry {
        let lowered = name.lowercased()
        guard let entry = entries.first(where: { $0.name == lowered }) else {
            let close = entries.map(\.name).filter { $0.hasPrefix(String(lowered.prefix(3))) }
            let hint = close.isEmpty ? "" : "did you mean \(close.map { "\"\($0)\"" }.joined(separator: ", "))? "
            throw .invalidValue(what: "architecture", value: name, fix: "\(hint)built-in architectures: \(names.joined(separator: ", "))")
        }
        return entry
    }

    /// Builds the graph of `name` for `input` (the default input when `nil`).
    public static func graph(
        _ name: String, input: InputSize? = nil, attention: AttentionImplementation = .sdpa
    ) throws(CoreError) -> LayerGraph {
        let entry = try entry(name)
        return try entry.build(input ?? entry.defaultInput, attention)
    }

    /// Accounts `name` at `input` (the default input when `nil`).
    public static func account(
        _ name: String, input: InputSize? = nil, task: TrainingTask = .imageClassification,
        attention: AttentionImplementation = .sdpa
    ) throws(CoreError) -> ModelAccounting {
        let entry = try entry(name)
        let size = input ?? entry.defaultInput
        guard case let .image(channels, height, width) = size else {
            throw .invalidValue(what: "input", value: size.description, fix: "\(entry.name) takes an image size such as --input 3x224x224")
        }
        if case let .image(defaultChannels, _, _) = entry.defaultInput, channels != defaultChannels {
            throw .invalidValue(
                what: "input", value: size.description,
                fix: "\(entry.name) takes \(defaultChannels)-channel images, e.g. --input \(defaultChannels)x\(height)x\(width)")
        }
        let graph = try entry.build(size, attention)
        var accounting = try graph.account(input: size, task: task, attention: attention)
        accounting.name = entry.name
        return accounting
    }
}

/// Accounts `.builder` definitions: the payload is a `VisionZoo` name.
struct VisionBuilderAccountant: ModelAccountant {
    func account(_ definition: ModelDefinition, options: AccountingOptions) throws(CoreError) -> ModelAccounting {
        var accounting = try VisionZoo.account(
            definition.payload.trimmingCharacters(in: .whitespacesAndNewlines), input: options.input,
            task: options.task ?? .imageClassification, attention: options.attention)
        accounting.name = definition.name
        return accounting
    }

    func family(of definition: ModelDefinition) throws(CoreError) -> ModelFamily {
        try VisionZoo.entry(definition.payload.trimmingCharacters(in: .whitespacesAndNewlines)).family
    }
}
