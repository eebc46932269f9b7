import Foundation
import Testing

@testable import BatchPlanCore

@Suite("Planner fit on every core")
struct PlannerParallelFitTests {
    /// Models of different shapes and sizes (a toy transformer, a raw-count model, torchvision CNNs and a ViT) and
    /// cards of different sizes and precisions, so that some plans fit, some do not, and ranks differ.
    static func question() throws -> (models: [ModelAccounting], gpus: [GPU]) {
        let models = [
            PlannerFixtures.toyTransformer(), try PlannerFixtures.classic(), try VisionZoo.account("resnet18"),
            try VisionZoo.account("mobilenet_v2"), try VisionZoo.account("vit_b_16"), PlannerFixtures.linear(),
        ]
        let gpus = [
            PlannerFixtures.gpu("small", memory: 700 << 20, bf16: false, tf32: false),
            PlannerFixtures.gpu("mid", memory: 12 << 30), PlannerFixtures.gpu("large", memory: 80 << 30, fp8: true),
        ]
        return (models, gpus)
    }

    @Test("solving on every core, model by model or card × model, gives the same results in the same order as solving serially")
    func parallelEqualsSerial() throws {
        let (models, gpus) = try Self.question()
        let filters = FitFilters(optimizers: [.adamw, .sgdMomentum], modes: [.full, .lora, .frozen])
        let serial = try Planner.fit(models: models, gpus: gpus, filters: filters, concurrency: 1)
        let parallel = try Planner.fit(models: models, gpus: gpus, filters: filters, concurrency: 4)
        // 6 models on 2 cores go model by model (largest first), on 4 cores card × model pairs.
        let byModel = try Planner.fit(models: models, gpus: gpus, filters: filters, concurrency: 2)
        #expect(byModel == parallel)
        #expect(serial.count == models.count * gpus.count)
        #expect(serial.map { "\($0.model)@\($0.gpu)" } == models.flatMap { m in gpus.map { "\(m.name)@\($0.name)" } })
        #expect(serial == parallel)
        #expect(serial.contains { $0.best == nil } && serial.contains { $0.best != nil }, "the question covers both outcomes")
    }

    @Test("calibration factors are resolved once per card × model, on the caller's thread")
    func calibrationResolvedPerPair() throws {
        let (models, gpus) = try Self.question()
        var calls: [String] = []
        _ = try Planner.fit(
            models: models, gpus: gpus, filters: FitFilters(optimizers: [.adamw], modes: [.full]),
            calibration: { model, gpu in
                calls.append("\(model.name)@\(gpu.name)")
                return .analytic
            }, concurrency: 4)
        #expect(calls == models.flatMap { m in gpus.map { "\(m.name)@\($0.name)" } })
    }

    @Test("a profile built with shared layer traits equals one that works them out itself",
          arguments: [TrainingMode.full, .frozen, .lora, .qlora], [Checkpointing.none, .selective, .block])
    func sharedTraitsChangeNothing(mode: TrainingMode, checkpointing: Checkpointing) throws {
        for model in try Self.question().models {
            let traits = ModelProfile.LayerTraits(model)
            let own = Result { () throws(CoreError) in
                try ModelProfile(model: model, checkpointing: checkpointing, mode: mode, loraRank: 8, loraTargets: nil)
            }
            let shared = Result { () throws(CoreError) in
                try ModelProfile(
                    model: model, checkpointing: checkpointing, mode: mode, loraRank: 8, loraTargets: nil, traits: traits)
            }
            switch (own, shared) {
            case let (.success(a), .success(b)):
                let gpu = PlannerFixtures.gpu()
                let configuration = TrainingConfiguration(precision: .bf16Amp, checkpointing: checkpointing, mode: mode)
                let left = PhaseModel(profile: a, configuration: configuration, gpu: gpu, calibration: .analytic)
                let right = PhaseModel(profile: b, configuration: configuration, gpu: gpu, calibration: .analytic)
                #expect(left.estimate(batch: 7, model: model, gpu: gpu) == right.estimate(batch: 7, model: model, gpu: gpu))
                #expect(a.layerNames == b.layerNames && a.notes == b.notes && a.hasConvolution == b.hasConvolution)
            case let (.failure(a), .failure(b)):
                #expect(a.description == b.description)
            default:
                Issue.record("\(model.name) \(mode) \(checkpointing): one profile failed and the other did not")
            }
        }
    }
}

@Suite("Layer type matching")
struct TypeNameTests {
    @Test("type names match case-insensitively, as lowercased() and contains did",
          arguments: ["Conv2d", "conv1d", "ConvTranspose2d", "Linear", "NonDynamicallyQuantizableLinear", "ReLU", "",
                      "MultiheadAttention", "RawCounts", "Çonv", "CONVOLUTION", "İLinear"])
    func matchesAsBefore(type: String) {
        for fragment in ["conv", "linear", "attention"] {
            let expected = type.lowercased().contains(fragment)
            let got: Bool = switch fragment {
            case "conv": TypeName.contains(type, "conv")
            case "linear": TypeName.contains(type, "linear")
            default: TypeName.contains(type, "attention")
            }
            #expect(got == expected, "\(type) ⊇ \(fragment)")
        }
        #expect(TypeName.equals(type, "rawcounts") == (type.lowercased() == "rawcounts"))
    }
}

@Suite("Module short names")
struct ShortNameTests {
    @Test("the short name is the last dotted component, as splitting on dots gives it",
          arguments: ["model.layers.0.self_attn.q_proj", "fc", "", ".", "..", "a.", ".a", "a..b", "features.0", "lora.é.v",
                      "transformer.h.11.attn.c_attn"])
    func lastComponent(name: String) {
        #expect(ModelProfile.shortName(name) == (name.split(separator: ".").last.map(String.init) ?? name))
    }
}

@Suite("Backward envelope")
struct BackwardEnvelopeTests {
    /// The envelope as it was built before the one-pass version: every line sorted by (slope, constant, index), the
    /// same hull over them, the lines leading only at negative batches dropped, indices sorted.
    static func sortedHull(_ phases: PhaseModel) -> [Int] {
        let count = phases.profile.backward.count
        guard count > 2 else { return Array(0..<count) }
        let (constants, slopes) = phases.backwardLines()
        let order = (0..<count).sorted { (a: Int, b: Int) -> Bool in
            if slopes[a] != slopes[b] { return slopes[a] < slopes[b] }
            if constants[a] != constants[b] { return constants[a] < constants[b] }
            return a < b
        }
        var hull: [Int] = []
        for index in order {
            if let top = hull.last, slopes[top] == slopes[index] { hull.removeLast() }
            while hull.count >= 2 {
                let a = hull[hull.count - 2]
                let b = hull[hull.count - 1]
                let left = (constants[a] - constants[index]) * (slopes[b] - slopes[a])
                let right = (constants[a] - constants[b]) * (slopes[index] - slopes[a])
                if left < right { hull.removeLast() } else { break }
            }
            hull.append(index)
        }
        var start = 0
        while hull.count - start >= 2, constants[hull[start + 1]] >= constants[hull[start]] { start += 1 }
        return Array(hull[start...]).sorted()
    }

    @Test("the one-pass envelope keeps the lines a sort-based hull keeps, for every precision, mode and stack",
          arguments: [Checkpointing.none, .selective, .block], [TrainingMode.full, .lora, .qlora])
    func onePassEqualsSortedHull(checkpointing: Checkpointing, mode: TrainingMode) throws {
        let gpu = PlannerFixtures.gpu(fp8: true)
        let calibrations = [
            CalibrationFactors.analytic,
            CalibrationFactors(
                activationScale: 1.0137, modelStateScale: 0.93, allocatorReserveRatio: 0.07,
                runtimeContextBytes: 500_000_000, logSpread: 0.05, runsUsed: 9),
        ]
        let models = try PlannerParallelFitTests.question().models
            + ["densenet121", "vgg16", "efficientnet_b0"].map { try VisionZoo.account($0) }
            + ["llama-3.2-1b", "gpt2", "bert-base-uncased", "t5-small", "gemma-2-2b"].map {
                try HFZoo.definition($0).account()
            }
        var compared = 0
        for model in models {
            guard let profile = try? ModelProfile(
                model: model, checkpointing: checkpointing, mode: mode, loraRank: 8, loraTargets: nil)
            else { continue }
            for precision in Precision.allCases {
                for (trainer, accumulation) in [(nil, 1), (Trainer?.some(try Trainer(parsing: "torchtune")), 1), (nil, 4)] {
                    for calibration in calibrations {
                        let configuration = TrainingConfiguration(
                            precision: precision, checkpointing: checkpointing, mode: mode,
                            gradAccumSteps: accumulation, trainer: trainer)
                        let phases = PhaseModel(
                            profile: profile, configuration: configuration, gpu: gpu, calibration: calibration)
                        #expect(phases.backwardScan == Self.sortedHull(phases), "\(model.name) \(precision)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 100)
    }

    @Test("the one-pass backward lines equal line(_:) entry by entry, to the bit",
          arguments: ["pytorch", "torchtune", "hf-trainer-4.31", "deepspeed"], [1, 4])
    func sweptLinesEqualLines(trainer: String, accumulation: Int) throws {
        let gpu = PlannerFixtures.gpu(fp8: true)
        let calibration = CalibrationFactors(
            activationScale: 1.0137, modelStateScale: 0.93, allocatorReserveRatio: 0.07, runtimeContextBytes: 500_000_000,
            logSpread: 0.05, runsUsed: 9)
        let trainer = try Trainer(parsing: trainer)
        for model in try PlannerParallelFitTests.question().models {
            for mode in [TrainingMode.full, .lora, .qlora] {
                for checkpointing in [Checkpointing.none, .block] {
                    guard let profile = try? ModelProfile(
                        model: model, checkpointing: checkpointing, mode: mode, loraRank: 8, loraTargets: nil)
                    else { continue }
                    for precision in [Precision.fp32, .bf16Amp, .bf16, .fp8] {
                        for (gpus, zero) in [(1, 0), (4, 0), (4, 2), (4, 3)] {
                            let configuration = TrainingConfiguration(
                                precision: precision, optimizer: .adamw, checkpointing: checkpointing, mode: mode,
                                gradAccumSteps: accumulation, gpus: gpus, zeroStage: zero, trainer: trainer)
                            let phases = PhaseModel(
                                profile: profile, configuration: configuration, gpu: gpu, calibration: calibration)
                            let swept = phases.backwardLines()
                            let differing = profile.backward.indices.filter { index in
                                let line = phases.line(index)
                                return swept.constants[index].bitPattern != line.constant.bitPattern
                                    || swept.slopes[index].bitPattern != line.perSample.bitPattern
                            }
                            #expect(differing.isEmpty, "\(model.name) \(mode) \(checkpointing) \(precision) \(gpus)×ZeRO-\(zero)")
                        }
                    }
                }
            }
        }
    }
}
