import Foundation
import Testing

@testable import BatchPlanCore

@Suite("Step-time model")
struct StepTimeModelTests {
    static let card = GPU(
        name: "test card", vendor: .nvidia, architecture: "ampere", segment: "datacenter", memoryBytes: 80 << 30,
        marketedMemory: "80 GB", marketedMemoryBytes: 80 << 30, bandwidthGBs: 2000, fp32TFLOPS: 20, tf32TFLOPS: 150,
        fp16TFLOPS: 300, bf16TFLOPS: 300, supportsBF16: true, supportsFP8: false, sourceURL: "test", origin: .user)

    static func estimate(
        _ model: ModelAccounting, batch: Int, precision: Precision = .bf16Amp, checkpointing: Checkpointing = .none,
        mode: TrainingMode = .full, accum: Int = 1
    ) throws -> StepTimeEstimate {
        let configuration = TrainingConfiguration(
            precision: precision, optimizer: .adamw, checkpointing: checkpointing, mode: mode, batchSize: batch,
            gradAccumSteps: accum)
        return try Planner.stepTime(model: model, gpu: card, configuration: configuration).get()
    }

    @Test("block checkpointing costs about a third more per sample at the same batch")
    func checkpointingCostsRecomputation() throws {
        let model = PlannerFixtures.toyTransformer()
        let plain = try Self.estimate(model, batch: 64)
        let block = try Self.estimate(model, batch: 64, checkpointing: .block)
        let ratio = block.stepTimeMs / plain.stepTimeMs
        #expect(ratio > 1.1 && ratio < 1.45)
    }

    @Test("throughput grows with the batch and then saturates")
    func throughputSaturates() throws {
        let model = PlannerFixtures.toyTransformer()
        let rates = try [1, 16, 256, 16_384, 131_072].map { try Self.estimate(model, batch: $0).samplesPerSecond }
        #expect(rates == rates.sorted())
        #expect(rates[1] / rates[0] > 2)
        #expect(rates[4] / rates[3] < 1.5 && rates[4] / rates[3] < rates[1] / rates[0] / 4)
    }

    @Test("half precision is faster than fp32 on a card with tensor cores, and tokens per second follow the sequence")
    func precisionAndTokens() throws {
        let model = PlannerFixtures.toyTransformer()
        let half = try Self.estimate(model, batch: 65_536)
        let full = try Self.estimate(model, batch: 65_536, precision: .fp32)
        // The toy model is bandwidth-bound: half the bytes is nearly twice the speed.
        #expect(half.samplesPerSecond > 1.5 * full.samplesPerSecond)
        guard case let .sequence(length) = model.input else { Issue.record("toy transformer is a sequence model"); return }
        #expect(abs(try #require(half.tokensPerSecond) - half.samplesPerSecond * Double(length)) < 1e-6)
    }

    @Test("LoRA skips weight gradients, QLoRA pays for dequantization")
    func adapters() throws {
        let model = PlannerFixtures.toyTransformer()
        let full = try Self.estimate(model, batch: 16)
        let lora = try Self.estimate(model, batch: 16, mode: .lora)
        let qlora = try Self.estimate(model, batch: 16, mode: .qlora)
        #expect(lora.stepTimeMs < full.stepTimeMs)
        #expect(qlora.stepTimeMs > lora.stepTimeMs)
    }

    @Test("accumulation multiplies the micro-steps but pays the optimizer once")
    func accumulation() throws {
        let model = PlannerFixtures.toyTransformer()
        let one = try Self.estimate(model, batch: 8)
        let four = try Self.estimate(model, batch: 8, accum: 4)
        #expect(four.stepTimeMs < 4 * one.stepTimeMs && four.stepTimeMs > 3 * one.stepTimeMs)
        #expect(abs(four.optimizerMs - one.optimizerMs) < one.optimizerMs * 0.5 + 1e-9 || model.parameters == 0)
    }

    @Test("a card without the precision's TFLOPS has no step time, and says which column is missing")
    func missingRate() {
        var card = Self.card
        card.bf16TFLOPS = nil
        let configuration = TrainingConfiguration(precision: .bf16Amp)
        guard case let .failure(missing) = Planner.stepTime(model: PlannerFixtures.toyTransformer(), gpu: card, configuration: configuration)
        else { Issue.record("expected a missing rate"); return }
        #expect(missing.description.contains("bf16_tflops"))
    }

    @Test("the fitter recovers the factors that generated the step times")
    func fitterRecoversFactors() {
        let truth = ThroughputFactors(tensorScale: 2.0, vectorScale: 1.3, memoryScale: 1.5, overheadPerPassSeconds: 40e-6)
        var observations: [ThroughputObservation] = []
        for index in 0..<60 {
            let tensor = index % 3 != 0
            let compute = 0.002 * Double(index % 7 + 1)
            let memory = 0.001 * Double(index % 5 + 1)
            let passes = Double(200 + 37 * (index % 4))
            var observation = ThroughputObservation(
                id: "r\(index)", path: ThroughputScopePath(gpu: "card", family: "cnn", model: "m\(index % 3)"),
                tensorCores: tensor, computeSeconds: compute, memorySeconds: memory, passes: passes, microSteps: 1,
                updateSeconds: 0.001, measuredSeconds: 1, samples: 8)
            observation.measuredSeconds = observation.predicted(truth)
            observations.append(observation)
        }
        let fitted = ThroughputFitter().fit(observations).factors(for: ThroughputScopePath(gpu: "card", family: "cnn", model: "m1"))
        #expect(abs(fitted.tensorScale / truth.tensorScale - 1) < 0.1)
        #expect(abs(fitted.memoryScale / truth.memoryScale - 1) < 0.15)
        #expect(abs(fitted.overheadPerPassSeconds / truth.overheadPerPassSeconds - 1) < 0.15)
        #expect(fitted.scope == "card / m1" && fitted.runsUsed == 20)
    }
}

@Suite("Precision policy")
struct PrecisionPolicyTests {
    @Test("full training: mixed precision, fp32 and tf32 recommended; pure bf16 and fp8 trade-offs; pure fp16 never")
    func fullTraining() {
        let fp8Card = PlannerFixtures.gpu("H", memory: 80 << 30, architecture: "hopper", bf16: true, fp8: true, tf32: true)
        let policy = PrecisionPolicy(gpu: fp8Card, requested: nil)
        #expect(policy.standing(.bf16Amp, mode: .full) == .recommended)
        #expect(policy.standing(.fp32, mode: .full) == .recommended)
        #expect(policy.standing(.fp16Amp, mode: .full) == nil)
        #expect(policy.standing(.bf16, mode: .full) == .tradeOff)
        #expect(policy.standing(.fp8, mode: .full) == .tradeOff)
        #expect(policy.standing(.fp16, mode: .full) == nil)
        #expect(policy.standing(.bf16, mode: .lora) == nil)
        #expect(policy.standing(.bf16Amp, mode: .qlora) == .recommended)
    }

    @Test("asking for a precision plans it, and pure fp16 comes with a warning")
    func requested() {
        let turing = PlannerFixtures.gpu("T", memory: 16 << 30, architecture: "turing", bf16: false, tf32: false)
        let policy = PrecisionPolicy(gpu: turing, requested: [.fp16])
        #expect(policy.standing(.fp16, mode: .full) == .requested)
        #expect(policy.standing(.fp16Amp, mode: .full) == nil)
        #expect(policy.warning(for: .full)?.contains("--precision fp16-amp") == true)
        #expect(PrecisionPolicy(gpu: turing, requested: nil).mixed == .fp16Amp)
    }

    @Test("step times read to about three significant digits, in a larger unit past 1,000 s", arguments: [
        (0.42, "0.42 ms"), (58.14, "58.1 ms"), (737.4, "737 ms"), (1_243, "1.24 s"), (9_996, "10.0 s"),
        (12_345, "12.3 s"), (124_530, "125 s"), (1_000_000, "16.7 min"), (6_522_330, "1.81 h"),
        (360_000_000, "4.17 days"),
    ])
    func stepTimeText(milliseconds: Double, text: String) {
        #expect(ThroughputText.milliseconds(milliseconds) == text)
    }
}
