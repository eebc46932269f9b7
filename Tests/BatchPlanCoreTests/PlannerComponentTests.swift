import Foundation
import Testing

@testable import BatchPlanCore

/// Hand-built models and cards shared by the planner tests.
enum PlannerFixtures {
    static let gib = 1 << 30
    static let mib = 1 << 20

    static func gpu(
        _ name: String = "Test 24GB", memory: Int = 24 << 30, architecture: String = "ampere", bf16: Bool = true,
        fp8: Bool = false, tf32: Bool = true
    ) -> GPU {
        GPU(
            name: name, vendor: .nvidia, architecture: architecture, segment: "test", memoryBytes: memory,
            marketedMemory: "\(memory >> 30) GB", marketedMemoryBytes: memory, tf32TFLOPS: tf32 ? 100 : nil,
            supportsBF16: bf16, supportsFP8: fp8, sourceURL: "test", origin: .user)
    }

    /// The classic question's model: 19,072,984 parameters, 532,752 activations, 180×50×1 inputs.
    static func classic() throws -> ModelAccounting {
        try raw("classic", parameters: 19_072_984, activations: 532_752, input: [180, 50, 1])
    }

    /// A raw-count model accounted through its catalog definition.
    static func raw(_ name: String, parameters: Int, activations: Int, input: [Int]) throws -> ModelAccounting {
        let counts = RawCountsModel(parameters: parameters, activationsPerSample: activations, input: input)
        let payload = String(decoding: try JSONEncoder().encode(counts), as: UTF8.self)
        return try ModelDefinition(name: name, kind: .rawCounts, payload: payload, source: "test", origin: .user)
            .account()
    }

    /// One Linear layer `in → out` (no bias) with a tiny activation and its loss: model states dominate.
    static func linear(inFeatures: Int = 1000, outFeatures: Int = 1000) -> ModelAccounting {
        ModelAccounting(
            name: "linear", family: .custom, input: .tensor([inFeatures]), task: .classification,
            layers: [
                LayerAccount(
                    name: "fc", type: "Linear", parameters: inFeatures * outFeatures, outputShape: [outFeatures],
                    saved: SavedTensors(activation: inFeatures), role: .body,
                    linearShape: .init(inFeatures: inFeatures, outFeatures: outFeatures)),
                LayerAccount(
                    name: "loss", type: "CrossEntropyLoss", outputShape: [1], saved: SavedTensors(fp32: outFeatures, int64: 1),
                    role: .loss),
            ],
            outputClasses: outFeatures, inputBytesPerSample: inFeatures * 4 + 8)
    }

    /// A two-block toy transformer (16 tokens, width 64) whose saved tensors are easy to add up by hand.
    ///
    /// Per block, saved elements: q_proj input 1024, attention core 4096, o_proj 1024, up 1024, GELU 4096,
    /// down 4096 = 15360. Embedding keeps 16 int64 ids; head 64; loss 10 fp32 + 1 int64.
    static func toyTransformer() -> ModelAccounting {
        var layers = [
            LayerAccount(
                name: "embed", type: "Embedding", parameters: 6400, outputShape: [16, 64],
                saved: SavedTensors(int64: 16), role: .embedding)
        ]
        for k in 0..<2 {
            let block = "layers.\(k)"
            func linear(_ name: String, _ i: Int, _ o: Int, saved: Int) -> LayerAccount {
                LayerAccount(
                    name: "\(block).\(name)", type: "Linear", parameters: i * o + o, outputShape: [16, o],
                    saved: SavedTensors(activation: saved), block: block, role: .body,
                    linearShape: .init(inFeatures: i, outFeatures: o))
            }
            layers += [
                linear("q_proj", 64, 64, saved: 1024), linear("k_proj", 64, 64, saved: 0),
                linear("v_proj", 64, 64, saved: 0),
                LayerAccount(
                    name: "\(block).attn", type: "Attention", outputShape: [16, 64],
                    saved: SavedTensors(activation: 4096), block: block, role: .attentionCore),
                linear("o_proj", 64, 64, saved: 1024), linear("up", 64, 256, saved: 1024),
                LayerAccount(
                    name: "\(block).act", type: "GELU", outputShape: [16, 256], saved: SavedTensors(activation: 4096),
                    block: block),
                linear("down", 256, 64, saved: 4096),
            ]
        }
        layers += [
            LayerAccount(
                name: "head", type: "Linear", parameters: 650, outputShape: [10], saved: SavedTensors(activation: 64),
                role: .head, linearShape: .init(inFeatures: 64, outFeatures: 10)),
            LayerAccount(
                name: "loss", type: "CrossEntropyLoss", outputShape: [1], saved: SavedTensors(fp32: 10, int64: 1),
                role: .loss),
        ]
        return ModelAccounting(
            name: "toy", family: .encoder, input: .sequence(length: 16), task: .classification, layers: layers,
            outputClasses: 10, inputBytesPerSample: 16 * 8 + 8)
    }

    /// Model-state bytes per parameter (weights + gradients + optimizer state + master), steady state.
    static func stateBytesPerParameter(_ configuration: TrainingConfiguration, model: ModelAccounting = linear())
        throws -> Double
    {
        let phases = try Planner.phaseModel(model: model, gpu: nil, configuration: configuration, calibration: .analytic)
        let states = phases.storedWeights + phases.gradientsFull + phases.optimizerState + phases.masterWeights
        return states / Double(phases.profile.trainable)
    }
}

@Suite("Planner components")
struct PlannerComponentTests {
    @Test("the classic question's breakdown: 76.3 MB each for weights, gradients and momentum, 272.8 MB of activations")
    func classicQuestion() throws {
        let model = try PlannerFixtures.classic()
        let configuration = TrainingConfiguration(precision: .fp32, optimizer: .sgdMomentum, batchSize: 128)
        let estimate = try Planner.estimate(model: model, gpu: nil, configuration: configuration)
        let c = estimate.components
        #expect(c.weights == 19_072_984 * 4)
        #expect(c.gradients == 19_072_984 * 4)
        #expect(c.optimizerState == 19_072_984 * 4)
        #expect(c.masterWeights == 0)
        #expect(c.activations == 128 * 532_752 * 4)
        #expect(c.activations == 272_769_024)
        #expect(c.activationGradients == 128 * 532_752 * 4)
        #expect(c.inputs == 128 * (180 * 50 * 4 + 8))
        #expect(c.workspace == 8 * PlannerFixtures.mib + 128 * 1024)
        #expect(c.runtimeContext == 600 * PlannerFixtures.mib)
        #expect(estimate.peakPhase == "backward (model)")
        #expect(estimate.peakAllocatedBytes == 787_542_560)
        // Reserved: allocated × 1.1 rounded up to 2 MiB segments.
        #expect(estimate.peakReservedBytes == 414 * 2 * PlannerFixtures.mib)
        #expect(estimate.deviceUsedBytes == estimate.peakReservedBytes + 600 * PlannerFixtures.mib)
        #expect(c.total == estimate.deviceUsedBytes)
        #expect(estimate.parameters == 19_072_984)
        #expect(estimate.trainableParameters == 19_072_984)
        #expect(estimate.activationBytesPerSample == 532_752 * 4 + 48)
    }

    @Test(
        "model-state bytes per parameter match the standard table",
        arguments: [
            (Precision.fp32, OptimizerKind.sgd, 8.0), (.fp32, .sgdMomentum, 12), (.fp32, .adam, 16), (.fp32, .adamw, 16),
            (.fp32, .adagrad, 12), (.fp32, .rmsprop, 12), (.fp32, .rmspropMomentum, 16), (.fp32, .lion, 12),
            (.fp32, .adamw8bit, 10.03125), (.fp32, .pagedAdamw, 16), (.fp32, .pagedAdamw8bit, 10.03125),
            (.fp32, .adafactor, 8.008), (.fp32, .adafactorMomentum, 12.008),
            (.tf32, .adamw, 16), (.bf16Amp, .adamw, 16), (.fp16Amp, .sgdMomentum, 12),
            (.bf16, .adamw, 8), (.fp16, .sgdMomentum, 6), (.bf16, .sgd, 4), (.bf16, .adamw8bit, 6.03125),
            (.fp8, .adamw, 16), (.fp8, .sgd, 8), (.fp8, .adamw8bit, 10.03125),
        ])
    func bytesPerParameter(precision: Precision, optimizer: OptimizerKind, expected: Double) throws {
        let configuration = TrainingConfiguration(precision: precision, optimizer: optimizer)
        let bytes = try PlannerFixtures.stateBytesPerParameter(configuration)
        #expect(abs(bytes - expected) < 1e-9)
    }

    @Test("autocast adds 2-byte cast copies of trainable matmul weights; fp32 and pure half add none")
    func autocastCopies() throws {
        for (precision, expected) in [(Precision.fp32, 0.0), (.bf16Amp, 2), (.fp16Amp, 2), (.bf16, 0), (.fp8, 2)] {
            let phases = try Planner.phaseModel(
                model: PlannerFixtures.linear(), gpu: nil, configuration: TrainingConfiguration(precision: precision),
                calibration: .analytic)
            #expect(phases.castCopies == expected * 1_000_000, "\(precision)")
        }
    }

    @Test(
        "ZeRO stages divide the mixed-precision Adam states as the paper says: 4Ψ+12Ψ/N, 2Ψ+14Ψ/N, 16Ψ/N",
        arguments: [(1, 4.0, 12.0), (2, 2, 14), (3, 0, 16)])
    func zeroMixedPrecision(stage: Int, replicated: Double, sharded: Double) throws {
        for n in [2, 8, 64] {
            let configuration = TrainingConfiguration(precision: .fp8, optimizer: .adamw, gpus: n, zeroStage: stage)
            let bytes = try PlannerFixtures.stateBytesPerParameter(configuration)
            #expect(abs(bytes - (replicated + sharded / Double(n))) < 1e-9)
        }
    }

    @Test(
        "ZeRO under PyTorch AMP (fp32 params and grads): 8Ψ+8Ψ/N, 4Ψ+12Ψ/N, 16Ψ/N",
        arguments: [(1, 8.0, 8.0), (2, 4, 12), (3, 0, 16)])
    func zeroPyTorchAMP(stage: Int, replicated: Double, sharded: Double) throws {
        let configuration = TrainingConfiguration(precision: .bf16Amp, optimizer: .adamw, gpus: 4, zeroStage: stage)
        #expect(abs(try PlannerFixtures.stateBytesPerParameter(configuration) - (replicated + sharded / 4)) < 1e-9)
    }

    @Test("ZeRO-3 adds a gather buffer of the largest layer; stage 2 an unsharded gradient of it; DDP a bucket copy")
    func shardingBuffers() throws {
        let model = PlannerFixtures.linear()
        let stage3 = try Planner.phaseModel(
            model: model, gpu: nil, configuration: TrainingConfiguration(precision: .fp32, gpus: 4, zeroStage: 3),
            calibration: .analytic)
        #expect(stage3.gatherBuffer == 4_000_000)
        let stage2 = try Planner.phaseModel(
            model: model, gpu: nil, configuration: TrainingConfiguration(precision: .fp32, gpus: 4, zeroStage: 2),
            calibration: .analytic)
        #expect(stage2.gradientTransient == 4_000_000)
        let ddp = try Planner.phaseModel(
            model: model, gpu: nil, configuration: TrainingConfiguration(precision: .fp32, gpus: 4, zeroStage: 0),
            calibration: .analytic)
        #expect(ddp.bucketCopies == 4_000_000)
        let single = try Planner.phaseModel(
            model: model, gpu: nil, configuration: TrainingConfiguration(precision: .fp32), calibration: .analytic)
        #expect(single.bucketCopies == 0 && single.gatherBuffer == 0 && single.gradientTransient == 0)
    }

    @Test("the optimizer step adds foreach temporaries: one fp32 slot for Adam, none for SGD")
    func stepTemporaries() throws {
        let adam = try Planner.phaseModel(
            model: PlannerFixtures.linear(), gpu: nil, configuration: TrainingConfiguration(optimizer: .adamw),
            calibration: .analytic)
        #expect(adam.stepTemporaries == 4_000_000)
        let sgd = try Planner.phaseModel(
            model: PlannerFixtures.linear(), gpu: nil, configuration: TrainingConfiguration(optimizer: .sgd),
            calibration: .analytic)
        #expect(sgd.stepTemporaries == 0)
        // A states-heavy model peaks at the step.
        let estimate = try Planner.estimate(
            model: PlannerFixtures.linear(), gpu: nil, configuration: TrainingConfiguration(optimizer: .adamw))
        #expect(estimate.peakPhase == "optimizer-step")
        #expect(estimate.components.optimizerState == 12_000_000)
    }

    @Test("a precision the card cannot run is an error naming what it needs")
    func unsupportedPrecision() throws {
        let turing = PlannerFixtures.gpu("RTX 2080 Ti", architecture: "turing", bf16: false, fp8: false, tf32: false)
        let model = PlannerFixtures.linear()
        for precision in [Precision.bf16Amp, .bf16, .fp8, .tf32] {
            #expect {
                try Planner.estimate(model: model, gpu: turing, configuration: TrainingConfiguration(precision: precision))
            } throws: { error in
                guard case let .unsupported(message) = error as? CoreError else { return false }
                return message.contains(precision.rawValue) && message.contains("RTX 2080 Ti") && message.contains("needs")
            }
        }
        let fp8 = try #require(
            throws: CoreError.self,
            performing: {
                try Planner.estimate(model: model, gpu: turing, configuration: TrainingConfiguration(precision: .fp8))
            })
        #expect("\(fp8)".contains("FP8 tensor cores"))
        _ = try Planner.estimate(model: model, gpu: turing, configuration: TrainingConfiguration(precision: .fp16Amp))
    }

    @Test("calibration leaves every component analytic and adds its own adjustment line; context and reserve are replaced")
    func calibrationApplied() throws {
        let model = try PlannerFixtures.classic()
        let configuration = TrainingConfiguration(precision: .fp32, optimizer: .sgdMomentum, batchSize: 128)
        let calibration = CalibrationFactors(
            activationScale: 1.5, modelStateScale: 1.1, allocatorReserveRatio: 0, runtimeContextBytes: 300 << 20,
            logSpread: 0.1, scope: CalibrationScope(level: .gpu, key: "pytorch/Test"), runsUsed: 5)
        let plain = try Planner.estimate(model: model, gpu: nil, configuration: configuration)
        let calibrated = try Planner.estimate(model: model, gpu: nil, configuration: configuration, calibration: calibration)
        for (key, bytes) in plain.components.keyed where !["runtime_context", "allocator_reserve", "calibration_adjustment"].contains(key) {
            #expect(calibrated.components.keyed.first { $0.key == key }?.bytes == bytes, "\(key) changed under calibration")
        }
        // SGD with momentum in fp32 on one card has no implementation-dependent model states: the adjustment is
        // the activation scale's alone.
        let activations = plain.components.activations + plain.components.activationGradients
        #expect(abs(calibrated.components.calibrationAdjustment - Int((Double(activations) * 0.5).rounded())) <= 2)
        #expect(calibrated.peakAllocatedBytes == plain.peakAllocatedBytes + calibrated.components.calibrationAdjustment)
        #expect(calibrated.components.runtimeContext == 300 << 20)
        // Reserve ratio 0: reserved is allocated rounded up to a 2 MiB segment.
        #expect(calibrated.components.allocatorReserve < 2 << 20)
        #expect(calibrated.components.total == calibrated.deviceUsedBytes)
        let expectedUncertainty = Double(calibrated.deviceUsedBytes) * (exp(1.2816 * 0.1) - 1)
        #expect(abs(Double(calibrated.uncertaintyBytes) - expectedUncertainty) <= 1)
        // The decomposition is unscaled so a fitter can multiply it back.
        #expect(abs(calibrated.decomposition.modelStates - plain.decomposition.modelStates) <= 4)
        #expect(abs(calibrated.decomposition.activations - plain.decomposition.activations) <= 4)
        #expect(calibrated.assumptions.contains { $0.contains("gpu pytorch/Test") && $0.contains("from 5 observations") })
    }

    @Test("the classic question's weights, gradients and momentum read 4 bytes per parameter exactly, calibrated or not")
    func exactStatesUnderCalibration() throws {
        let definition = try RawCountsModel.definition(
            name: "raw", parameters: 19_072_984, activationsPerSample: 532_752, input: "180x50x1",
            source: "test")
        let model = try definition.account(AccountingOptions())
        let configuration = TrainingConfiguration(precision: .fp32, optimizer: .sgdMomentum, batchSize: 128)
        let calibration = CalibrationFactors(activationScale: 1.3, modelStateScale: 1.028, runsUsed: 894)
        for factors in [CalibrationFactors.analytic, calibration] {
            let estimate = try Planner.estimate(model: model, gpu: nil, configuration: configuration, calibration: factors)
            #expect(estimate.components.weights == 19_072_984 * 4)
            #expect(estimate.components.gradients == 19_072_984 * 4)
            #expect(estimate.components.optimizerState == 19_072_984 * 4)
        }
        // AdamW under AMP has implementation-dependent terms (the foreach step's sqrt list, autocast copies): the
        // state scale moves only those, in the adjustment line.
        let adam = TrainingConfiguration(precision: .bf16Amp, optimizer: .adamw, batchSize: 1)
        let plain = try Planner.estimate(model: model, gpu: nil, configuration: adam)
        let scaled = try Planner.estimate(
            model: model, gpu: nil, configuration: adam, calibration: CalibrationFactors(modelStateScale: 0.5, runsUsed: 3))
        #expect(scaled.components.optimizerState == plain.components.optimizerState)
        #expect(scaled.components.weights == plain.components.weights)
        #expect(scaled.components.calibrationAdjustment < 0)
    }

    @Test("gradient accumulation keeps gradients resident during forward")
    func accumulation() throws {
        let model = PlannerFixtures.toyTransformer()
        let single = try Planner.phaseModel(
            model: model, gpu: nil, configuration: TrainingConfiguration(), calibration: .analytic)
        let accumulating = try Planner.phaseModel(
            model: model, gpu: nil, configuration: TrainingConfiguration(gradAccumSteps: 4), calibration: .analytic)
        #expect(accumulating.forwardLine.constant - single.forwardLine.constant == single.gradientsFull)
        let forward = accumulating.components(batch: 1, phase: -1)
        #expect(forward.gradients == Int(single.gradientsFull))
        #expect(single.components(batch: 1, phase: -1).gradients == 0)
    }

    @Test("the peak is the largest phase, not the sum of every component")
    func peakIsMaxOverPhases() throws {
        let model = try PlannerFixtures.classic()
        let estimate = try Planner.estimate(
            model: model, gpu: nil, configuration: TrainingConfiguration(optimizer: .adamw, batchSize: 64))
        #expect(estimate.phases.map(\.name).first == "forward")
        #expect(estimate.phases.map(\.name).last == "optimizer-step")
        #expect(estimate.peakAllocatedBytes == estimate.phases.map(\.allocatedBytes).max())
        // Adam's step temporaries are not counted during backward.
        #expect(estimate.components.optimizerState == 19_072_984 * 8)
    }
}
