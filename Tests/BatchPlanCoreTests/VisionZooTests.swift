import Testing

@testable import BatchPlanCore

@Suite("Vision zoo")
struct VisionZooTests {
    /// `sum(p.numel() for p in torchvision.models.NAME().parameters())`, torchvision 0.29 (LeNet-5: LeCun et al.
    /// 1998 with full C3 and a linear output layer).
    static let torchvisionParameters: [(String, Int)] = [
        ("lenet5", 61_706), ("alexnet", 61_100_840),
        ("vgg11", 132_863_336), ("vgg11_bn", 132_868_840), ("vgg13", 133_047_848), ("vgg13_bn", 133_053_736),
        ("vgg16", 138_357_544), ("vgg16_bn", 138_365_992), ("vgg19", 143_667_240), ("vgg19_bn", 143_678_248),
        ("resnet18", 11_689_512), ("resnet34", 21_797_672), ("resnet50", 25_557_032), ("resnet101", 44_549_160),
        ("resnet152", 60_192_808), ("wide_resnet50_2", 68_883_240), ("mobilenet_v2", 3_504_872),
        ("mobilenet_v3_large", 5_483_032), ("densenet121", 7_978_856), ("efficientnet_b0", 5_288_548),
        ("convnext_tiny", 28_589_128), ("squeezenet1_0", 1_248_424), ("regnet_y_400mf", 4_344_144),
        ("vit_b_16", 86_567_656), ("vit_l_16", 304_326_632),
    ]

    @Test("every builder has torchvision's exact parameter count at its default input", arguments: torchvisionParameters)
    func parametersMatchTorchvision(name: String, expected: Int) throws {
        #expect(try VisionZoo.account(name).parameters == expected)
    }

    @Test("CNN parameter counts do not depend on the input size", arguments: torchvisionParameters.filter { !$0.0.hasPrefix("vit") && $0.0 != "lenet5" })
    func cnnParametersAreSizeIndependent(name: String, expected: Int) throws {
        for side in [160, 192, 256, 320] {
            #expect(try VisionZoo.account(name, input: .image(channels: 3, height: side, width: side)).parameters == expected)
        }
    }

    @Test("ViT position embeddings grow with (size/16)² + 1 tokens, as torchvision's image_size does")
    func vitParametersScaleWithImageSize() throws {
        // torchvision.models.vit_b_16(image_size=N): 86,493,928 at 160 and 86,859,496 at 384.
        #expect(try VisionZoo.account("vit_b_16", input: .image(channels: 3, height: 160, width: 160)).parameters == 86_493_928)
        #expect(try VisionZoo.account("vit_b_16", input: .image(channels: 3, height: 384, width: 384)).parameters == 86_859_496)
    }

    @Test("LeNet-5 takes only the 32×32 input its fully connected layers were built for")
    func lenetFixedInput() {
        #expect {
            try VisionZoo.account("lenet5", input: .image(channels: 1, height: 64, width: 64))
        } throws: { error in
            "\(error)".contains("\"fc1\"") && "\(error)".contains("expects 120 input features")
        }
        #expect(throws: CoreError.self) { try VisionZoo.account("lenet5", input: .image(channels: 3, height: 32, width: 32)) }
    }

    @Test("a ViT rejects an image side that is not a multiple of 16")
    func vitRejectsOddSizes() {
        #expect(throws: CoreError.self) { try VisionZoo.account("vit_b_16", input: .image(channels: 3, height: 225, width: 225)) }
    }

    @Test("an unknown architecture name lists the known ones")
    func unknownArchitecture() {
        #expect {
            try VisionZoo.account("resnet51")
        } throws: { error in
            "\(error)".contains("resnet50") && "\(error)".contains("vit_b_16")
        }
    }

    @Test("the builder accountant reads the payload and family")
    func builderAccountant() throws {
        let definition = ModelDefinition(name: "my-resnet", kind: .builder, payload: "resnet50", source: "test", origin: .user)
        let accounting = try definition.account(AccountingOptions(input: .image(channels: 3, height: 160, width: 160)))
        #expect(accounting.name == "my-resnet")
        #expect(accounting.parameters == 25_557_032)
        #expect(accounting.input == .image(channels: 3, height: 160, width: 160))
        #expect(try definition.family() == .cnn)
        let vit = ModelDefinition(name: "v", kind: .builder, payload: "vit_b_16", source: "test", origin: .user)
        #expect(try vit.family() == .encoder)
    }

    @Test("heads, losses and blocks are marked where the planner needs them")
    func rolesAndBlocks() throws {
        let resnet = try VisionZoo.account("resnet50")
        #expect(resnet.layers.filter { $0.role == .head }.map(\.name) == ["fc"])
        #expect(resnet.headParameters == 2048 * 1000 + 1000)
        #expect(resnet.layers.last?.role == .loss)
        #expect(resnet.layers.first { $0.name == "layer3.1.conv2" }?.block == "layer3.1")
        #expect(resnet.layers.first { $0.name == "fc" }?.linearShape == .init(inFeatures: 2048, outFeatures: 1000))
        let vit = try VisionZoo.account("vit_b_16")
        #expect(vit.layers.filter { $0.role == .attentionCore }.count == 12)
        #expect(vit.layers.first { $0.name == "encoder.layers.encoder_layer_5.mlp.0" }?.block == "encoder.layers.encoder_layer_5")
        let dense = try VisionZoo.account("densenet121")
        #expect(dense.layers.first { $0.name == "features.denseblock2.denselayer3.conv1" }?.block == "features.denseblock2")
    }

    /// torchvision's `weights.meta["_ops"]` (GFLOPS as torchvision counts them: multiply-adds of convolutions and
    /// linear layers, in billions) at 224×224, torchvision 0.29.
    static let torchvisionGigaMACs: [(String, Double)] = [
        ("alexnet", 0.714), ("vgg16", 15.47), ("vgg19_bn", 19.632), ("resnet18", 1.814), ("resnet50", 4.089),
        ("wide_resnet50_2", 11.398), ("mobilenet_v2", 0.301), ("mobilenet_v3_large", 0.217), ("densenet121", 2.834),
        ("efficientnet_b0", 0.386), ("convnext_tiny", 4.456), ("squeezenet1_0", 0.819), ("regnet_y_400mf", 0.402),
        ("vit_b_16", 17.564), ("vit_l_16", 61.555),
    ]

    @Test("forward FLOPs are twice torchvision's multiply-add count, plus up to 8% for element-wise work", arguments: torchvisionGigaMACs)
    func flopsMatchTorchvision(name: String, gigaMACs: Double) throws {
        let ratio = Double(try VisionZoo.account(name).flopsPerSample) / (2e9 * gigaMACs)
        #expect(ratio > 0.995 && ratio < 1.08, "\(name): \(ratio)")
    }
}
