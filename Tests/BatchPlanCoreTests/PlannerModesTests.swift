import Foundation
import Testing

@testable import BatchPlanCore

@Suite("Planner training and checkpointing modes")
struct PlannerModesTests {
    let model = PlannerFixtures.toyTransformer()

    private func estimate(_ configuration: TrainingConfiguration) throws -> MemoryEstimate {
        try Planner.estimate(model: model, gpu: nil, configuration: configuration)
    }

    @Test(
        "saved activations per sample follow the checkpointing mode (fp32, hand-added from the toy model)",
        arguments: [
            // none: 2 blocks × 15360 + head 64 = 30784 elements × 4 B + 16 ids × 8 + loss 10×4 + 8.
            (Checkpointing.none, 30784 * 4 + 128 + 48),
            // selective drops the attention core (4096 per block).
            (.selective, 22592 * 4 + 128 + 48),
            // block keeps each block's input (1024 each) + head + embedding ids + loss.
            (.block, (2 * 1024 + 64) * 4 + 128 + 48),
        ])
    func checkpointingSaved(checkpointing: Checkpointing, expected: Int) throws {
        let e = try estimate(TrainingConfiguration(precision: .fp32, checkpointing: checkpointing))
        #expect(e.activationBytesPerSample == expected)
    }

    @Test("checkpointing recomputes: block adds the largest block, selective the largest attention core, in backward")
    func recomputeTransient() throws {
        let none = try ModelProfile(model: model, checkpointing: .none, mode: .full, loraRank: 8, loraTargets: nil)
        let block = try ModelProfile(model: model, checkpointing: .block, mode: .full, loraRank: 8, loraTargets: nil)
        let selective = try ModelProfile(
            model: model, checkpointing: .selective, mode: .full, loraRank: 8, loraTargets: nil)
        for index in none.backward.indices {
            #expect(block.backward[index].transient.elements - none.backward[index].transient.elements == 15360)
            #expect(selective.backward[index].transient.elements - none.backward[index].transient.elements == 4096)
        }
        // Still, block checkpointing lowers the peak of this model at a large batch.
        let full = try estimate(TrainingConfiguration(checkpointing: .none, batchSize: 4096))
        let checkpointed = try estimate(TrainingConfiguration(checkpointing: .block, batchSize: 4096))
        #expect(checkpointed.peakAllocatedBytes < full.peakAllocatedBytes)
    }

    @Test("frozen mode trains the head only and keeps activations only for it")
    func frozenMode() throws {
        let e = try estimate(TrainingConfiguration(precision: .fp32, optimizer: .adamw, mode: .frozen))
        #expect(e.trainableParameters == 650)
        #expect(e.activationBytesPerSample == 64 * 4 + 48)
        let phases = try Planner.phaseModel(
            model: model, gpu: nil, configuration: TrainingConfiguration(precision: .fp32, optimizer: .adamw, mode: .frozen),
            calibration: .analytic)
        #expect(phases.storedWeights == Double(model.parameters * 4))
        #expect(phases.optimizerState == 650 * 8)
    }

    @Test("LoRA adds r·(in+out) fp32 adapters on the default targets with full optimizer state; the base is frozen")
    func loraMode() throws {
        let configuration = TrainingConfiguration(precision: .bf16Amp, optimizer: .adamw, mode: .lora, loraRank: 8)
        let phases = try Planner.phaseModel(model: model, gpu: nil, configuration: configuration, calibration: .analytic)
        let adapters = 4 * 8 * (64 + 64)  // q_proj and v_proj in two blocks
        #expect(phases.profile.trainable == adapters)
        #expect(phases.profile.parameters == model.parameters + adapters)
        // Base in the compute dtype (2 B) + adapters in fp32 (4 B).
        #expect(phases.storedWeights == Double(model.parameters * 2 + adapters * 4))
        #expect(phases.optimizerState == Double(adapters * 8))
        #expect(phases.gradientsFull == Double(adapters * 4))
        // Saved from the first adapted layer on, plus r per token for each adapter, half precision; frozen
        // linears (o_proj, up, down, head) keep no input, q_proj's input stays for the adapters reading it.
        let e = try Planner.estimate(model: model, gpu: nil, configuration: configuration)
        #expect(e.activationBytesPerSample == (30784 - 2 * (1024 + 1024 + 4096) - 64 + 4 * 8 * 16) * 2 + 48)
        // Explicit targets change the count.
        var all = configuration
        all.loraTargets = ["q_proj", "k_proj", "v_proj", "o_proj"]
        #expect(try Planner.estimate(model: model, gpu: nil, configuration: all).trainableParameters == 2 * adapters)
    }

    @Test("QLoRA stores linear weights in NF4 (0.5 B + ≈0.127 bit constants) and the rest in fp32")
    func qloraMode() throws {
        let configuration = TrainingConfiguration(
            precision: .bf16Amp, optimizer: .pagedAdamw8bit, mode: .qlora, loraRank: 8)
        let phases = try Planner.phaseModel(model: model, gpu: nil, configuration: configuration, calibration: .analytic)
        let linearBody = 2 * (4 * 4160 + 16640 + 16448)
        let others = model.parameters - linearBody
        let adapters = 4 * 8 * 128
        #expect(phases.profile.quantized == linearBody)
        #expect(abs(NF4.bytesPerParameter * 8 - (4 + 0.127)) < 0.001)
        let expected = Double(linearBody) * NF4.bytesPerParameter + Double(others * 4 + adapters * 4)
        #expect(abs(phases.storedWeights - expected) < 1e-6)
        #expect(abs(phases.optimizerState - Double(adapters) * (2 + 8.0 / 256)) < 1e-6)
        // A 7B-parameter model's NF4 weights come to ≈ 3.6 GB, the QLoRA paper's headline scale.
        #expect(abs(7e9 * NF4.bytesPerParameter / 1e9 - 3.61) < 0.01)
    }

    @Test("LoRA on a model without linear layers is an error that says how to pick targets")
    func loraWithoutTargets() throws {
        let raw = try PlannerFixtures.classic()
        #expect(throws: CoreError.self) {
            try Planner.estimate(model: raw, gpu: nil, configuration: TrainingConfiguration(mode: .lora))
        }
        do {
            _ = try Planner.estimate(model: raw, gpu: nil, configuration: TrainingConfiguration(mode: .lora))
        } catch {
            #expect("\(error)".contains("--lora-targets"))
        }
    }

    @Test("default LoRA targets follow the model's module names")
    func defaultTargets() {
        #expect(LoRATargets.defaults(for: ["q_proj", "k_proj", "v_proj"]) == ["q_proj", "v_proj"])
        #expect(LoRATargets.defaults(for: ["query", "key", "value"]) == ["query", "value"])
        #expect(LoRATargets.defaults(for: ["c_attn", "c_proj"]) == ["c_attn"])
        #expect(LoRATargets.defaults(for: ["conv1"]).isEmpty)
    }

    @Test("half precision halves the compute-dtype activations but not the fp32 and int64 ones")
    func activationPrecision() throws {
        let fp32 = try estimate(TrainingConfiguration(precision: .fp32))
        let amp = try estimate(TrainingConfiguration(precision: .bf16Amp))
        #expect(fp32.activationBytesPerSample - 176 == 2 * (amp.activationBytesPerSample - 176))
    }

    @Test("out-of-range configuration values are rejected with the fix")
    func invalidConfiguration() {
        for configuration in [
            TrainingConfiguration(batchSize: 0), TrainingConfiguration(gradAccumSteps: 0),
            TrainingConfiguration(gpus: 0), TrainingConfiguration(zeroStage: 4),
            TrainingConfiguration(mode: .lora, loraRank: 0),
        ] {
            #expect(throws: CoreError.self) {
                try Planner.estimate(model: model, gpu: nil, configuration: configuration)
            }
        }
    }
}
