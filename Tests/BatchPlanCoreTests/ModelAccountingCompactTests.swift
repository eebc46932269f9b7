import Foundation
import Testing

@testable import BatchPlanCore

@Suite("Compact accountings")
struct ModelAccountingCompactTests {
    static let visionNames = ["lenet5", "resnet50", "densenet121", "efficientnet_b0", "vit_b_16", "convnext_tiny", "vgg16_bn"]

    @Test("every zoo transformer reads back equal from its compact bytes", arguments: HFZoo.names)
    func transformersRoundTrip(name: String) throws {
        let accounting = try HFZoo.definition(name).account()
        #expect(ModelAccounting(compact: accounting.compactEncoded()) == accounting)
    }

    @Test("vision models, raw counts and a tensor input read back equal", arguments: visionNames)
    func visionRoundTrip(name: String) throws {
        let accounting = try VisionZoo.account(name)
        #expect(ModelAccounting(compact: accounting.compactEncoded()) == accounting)
    }

    @Test("optional fields, notes and every input kind survive the round trip")
    func everyField() throws {
        var accounting = try PlannerFixtures.classic()
        accounting.notes = ["a note", "ünïcode ✓", ""]
        accounting.maxPositions = 77
        for input in [InputSize.image(channels: 1, height: 180, width: 50), .sequence(length: 3), .tensor([180, 50, 1]), .tensor([])] {
            accounting.input = input
            #expect(ModelAccounting(compact: accounting.compactEncoded()) == accounting)
        }
        #expect(ModelAccounting(compact: PlannerFixtures.toyTransformer().compactEncoded()) == PlannerFixtures.toyTransformer())
    }

    @Test("cut or damaged bytes are refused or read as some accounting, never a crash")
    func damagedBytes() throws {
        let bytes = PlannerFixtures.toyTransformer().compactEncoded()
        for length in 0..<bytes.count {
            #expect(ModelAccounting(compact: Array(bytes.prefix(length))) == nil, "cut at \(length)")
        }
        #expect(ModelAccounting(compact: bytes + [0]) == nil)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var damaged = bytes
            damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            _ = ModelAccounting(compact: damaged)
        }
    }

    @Test("integers of every size, doubles and text read back as written")
    func primitives() {
        var writer = CompactWriter()
        let ints = [0, 1, -1, 63, -64, 64, 127, 128, -129, 1 << 40, -(1 << 40), Int.max, Int.min]
        for value in ints { writer.int(value) }
        writer.double(-0.0)
        writer.double(.pi)
        writer.double(.infinity)
        writer.string("model.layers.0.self_attn.q_proj")
        writer.string("")
        writer.optionalInt(nil)
        writer.optionalInt(-7)
        writer.bool(true)
        let bytes = writer.bytes
        bytes.withUnsafeBufferPointer { buffer in
            var reader = CompactReader(buffer)
            for value in ints { #expect(reader.int() == value) }
            #expect(reader.double()?.bitPattern == (-0.0).bitPattern)
            #expect(reader.double() == .pi)
            #expect(reader.double() == .infinity)
            #expect(reader.string() == "model.layers.0.self_attn.q_proj")
            #expect(reader.string() == "")
            #expect(reader.optionalInt() == .some(nil))
            #expect(reader.optionalInt() == .some(-7))
            #expect(reader.bool() == true)
            #expect(reader.isAtEnd)
            #expect(reader.int() == nil)
        }
    }
}
