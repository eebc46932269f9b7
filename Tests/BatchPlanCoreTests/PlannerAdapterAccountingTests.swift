import Foundation
import Testing

@testable import BatchPlanCore

/// What LoRA/QLoRA keep for backward beyond the adapters' weights, and what the loss's backward holds.
@Suite("Planner adapter and loss accounting")
struct PlannerAdapterAccountingTests {
    let model = PlannerFixtures.toyTransformer()

    private func perSample(_ configuration: TrainingConfiguration) throws -> Int {
        try Planner.estimate(model: model, gpu: nil, configuration: configuration).activationBytesPerSample
    }

    @Test("LoRA dropout keeps each adapter's dropped input (2 B) and mask (1 B) instead of the shared input")
    func loraDropout() throws {
        var configuration = TrainingConfiguration(precision: .bf16, optimizer: .adamw, mode: .lora, loraRank: 8)
        let plain = try perSample(configuration)
        configuration.loraDropout = 0.05
        let dropped = try perSample(configuration)
        // Two adapters (q_proj, v_proj) per block, 64 inputs × 16 tokens each, at 2 + 1 bytes; q_proj's own input
        // (1024 elements, 2 B) is no longer read by an adapter, so it goes.
        #expect(dropped - plain == 2 * (2 * 64 * 16 * 3 - 1024 * 2))
    }

    @Test("QLoRA keeps the inputs of every NF4 linear (bitsandbytes MatMul4Bit saves A); LoRA drops frozen ones")
    func quantizedLinearsKeepInputs() throws {
        let lora = try perSample(TrainingConfiguration(precision: .bf16, optimizer: .adamw, mode: .lora, loraRank: 8))
        let qlora = try perSample(TrainingConfiguration(precision: .bf16, optimizer: .adamw, mode: .qlora, loraRank: 8))
        // o_proj, up and down inputs per block come back; the head is not quantized and stays dropped.
        #expect(qlora - lora == 2 * (1024 + 1024 + 4096) * 2)
    }

    @Test("full training keeps every linear input: the frozen-input rule leaves it alone")
    func fullTrainingUnchanged() throws {
        #expect(try perSample(TrainingConfiguration(precision: .fp32, optimizer: .adamw)) == 30784 * 4 + 128 + 48)
    }

    @Test("the loss's backward holds two more logits-sized buffers at the loss's width")
    func lossBackward() throws {
        let profile = try ModelProfile(
            model: PlannerFixtures.linear(), checkpointing: .none, mode: .full, loraRank: 8, loraTargets: nil)
        let loss = try #require(profile.backward.last)
        #expect(profile.layerNames[loss.layer] == "loss")
        // 1000 fp32 log-probabilities: nll_loss's gradient and log_softmax's gradient, 4 B each.
        #expect(loss.transient.bytes(activationBytes: 2) == 2 * 1000 * 4)
        #expect(ModelProfile.lossBackwardTransient(SavedTensors(activation: 500), logits: 1000).elements == 1000)
    }

    @Test("a LoRA dropout of 1 or more is rejected", arguments: [1.0, 1.5, -0.1])
    func dropoutRange(dropout: Double) {
        let configuration = TrainingConfiguration(mode: .lora, loraDropout: dropout)
        #expect(throws: CoreError.self) { try configuration.validated() }
    }
}
