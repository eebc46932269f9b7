import Foundation
import Testing

@testable import BatchPlanCore

/// Where `torch_reference.json` is, if this checkout has it.
enum TorchReferenceFixture {
    static var url: URL? { Bundle.module.url(forResource: "torch_reference", withExtension: "json", subdirectory: "Fixtures") }
}

/// Every built-in architecture against `Fixtures/torch_reference.json`, written by `tools/profile_torch.py`: PyTorch
/// 2.15 / torchvision 0.29 parameter counts and activation bytes per sample (saved-tensor hooks, each storage once,
/// fp32, CPU with CUDA-like dropout and SDPA kernels), at the input sizes it lists.
///
/// The fixture is produced by the torch-profiling work (`tools/make_torch_reference.py`); the suite is skipped in a
/// checkout that does not have it yet.
@Suite("Vision builders against the PyTorch reference", .enabled(if: TorchReferenceFixture.url != nil))
struct VisionReferenceTests {
    struct Entry: Decodable, Sendable, CustomTestStringConvertible {
        struct Input: Decodable, Sendable {
            var kind: String
            var shape: [Int]?
        }

        var name: String
        var input: Input
        var parameters: Int
        var activationBytesPerSample: Int

        enum CodingKeys: String, CodingKey {
            case name, input, parameters
            case activationBytesPerSample = "activation_bytes_per_sample"
        }

        var size: InputSize? {
            guard input.kind == "image", let shape = input.shape, shape.count == 3 else { return nil }
            return .image(channels: shape[0], height: shape[1], width: shape[2])
        }

        var testDescription: String { "\(name) @ \(size?.description ?? "?")" }
    }

    private struct Reference: Decodable {
        var models: [Entry]
    }

    static let allEntries: [Entry] = {
        guard let url = TorchReferenceFixture.url,
            let data = try? Data(contentsOf: url),
            let reference = try? JSONDecoder().decode(Reference.self, from: data)
        else { return [] }
        return reference.models
    }()

    /// The reference rows for architectures the zoo builds.
    static let entries = allEntries.filter { VisionZoo.names.contains($0.name) && $0.size != nil }

    @Test("the reference fixture loads and covers every ImageNet architecture at 224×224")
    func coverage() {
        #expect(!Self.allEntries.isEmpty)
        let covered = Set(Self.entries.filter { $0.size == .image(channels: 3, height: 224, width: 224) }.map(\.name))
        let missing = VisionZoo.names.filter { $0 != "lenet5" && !covered.contains($0) }
        #expect(missing.isEmpty, "not in the reference: \(missing)")
    }

    @Test("parameter counts equal PyTorch's exactly", arguments: entries)
    func parameters(entry: Entry) throws {
        #expect(try VisionZoo.account(entry.name, input: entry.size).parameters == entry.parameters)
    }

    /// The requirement is 5%; the builders agree to the byte today, so anything above 0.5% is a regression.
    @Test("activation bytes per sample are within 0.5% of PyTorch's", arguments: entries)
    func activations(entry: Entry) throws {
        let ours = try VisionZoo.account(entry.name, input: entry.size).activationBytesPerSample
        let difference = abs(Double(ours - entry.activationBytesPerSample)) / Double(entry.activationBytesPerSample)
        #expect(difference <= 0.005, "\(entry.name): ours \(ours), PyTorch \(entry.activationBytesPerSample)")
    }
}
