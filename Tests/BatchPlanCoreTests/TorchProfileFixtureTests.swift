import Foundation
import Testing

@testable import BatchPlanCore

/// The ResNet-50 profile written by `tools/profile_torch.py` (PyTorch 2.15, CPU with CUDA-like kernels, fp32):
/// imported as a definition, and compared module by module with the builder.
@Suite("Torch profile fixture")
struct TorchProfileFixtureTests {
    static func profileText() throws -> String {
        let url = try #require(
            Bundle.module.url(forResource: "torch_profile_resnet50_224", withExtension: "json", subdirectory: "Fixtures"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test("the ResNet-50 profile imports with its measured totals and scales to 160×160 with a note")
    func importsProfile() throws {
        let definition = ModelDefinition(
            name: "resnet50-profiled", kind: .torchProfile, payload: try Self.profileText(), source: "profile", origin: .user)
        let accounting = try definition.account()
        #expect(accounting.parameters == 25_557_032)
        #expect(accounting.activationBytesPerSample == 85_913_512)
        #expect(accounting.outputClasses == 1000)
        #expect(try definition.family() == .cnn)
        let smaller = try definition.account(AccountingOptions(input: .image(channels: 3, height: 160, width: 160)))
        let expected = 85_913_512.0 * (160.0 * 160.0) / (224.0 * 224.0)
        #expect(abs(Double(smaller.activationBytesPerSample) - expected) / expected < 0.001)
        #expect(smaller.notes.contains { $0.contains("scaled") })
    }

    @Test("the builder's ResNet-50 agrees with the profile module by module (parameters, shapes, saved bytes)")
    func builderMatchesProfileLayers() throws {
        let profile = try TorchProfile(decoding: try Self.profileText(), name: "resnet50")
        let ours = try VisionZoo.account("resnet50")
        // A module called several times (a block's relu) is listed once in the profile; ours are name#2, name#3.
        var bytes: [String: Int] = [:]
        var parameters: [String: Int] = [:]
        var shapes: [String: [Int]] = [:]
        for layer in ours.layers {
            let module = String(layer.name.split(separator: "#")[0])
            bytes[module, default: 0] += layer.savedBytesPerSample
            parameters[module, default: 0] += layer.parameters
            if shapes[module] == nil { shapes[module] = layer.outputShape }
        }
        var compared = 0
        for layer in profile.layers {
            guard let saved = bytes[layer.name] else {
                Issue.record("profile module \(layer.name) is missing from the builder")
                continue
            }
            #expect(saved == layer.savedBytesPerSample, "\(layer.name)")
            #expect(parameters[layer.name] == layer.parameters, "\(layer.name)")
            compared += 1
        }
        #expect(compared == profile.layers.count)
        #expect(compared > 100)
    }
}
