import Foundation
import Testing

@testable import BatchPlanCore

/// A small deterministic generator so property tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Planner solver")
struct PlannerSolverTests {
    private func fits(_ estimate: MemoryEstimate, gpu: GPU, headroom: Headroom) -> Bool {
        estimate.deviceUsedBytes + estimate.uncertaintyBytes + headroom.bytes(ofCard: gpu.memoryBytes) <= gpu.memoryBytes
    }

    @Test("maxBatch is the largest batch whose estimate fits, and one more does not (random affine models)")
    func closedFormMatchesBruteForce() throws {
        var rng = SplitMix64(state: 2026)
        var checked = 0
        for trial in 0..<60 {
            let parameters = Int.random(in: 1_000...400_000_000, using: &rng)
            let activations = Int.random(in: 100...20_000_000, using: &rng)
            let side = Int.random(in: 1...200, using: &rng)
            let model = try PlannerFixtures.raw(
                "random\(trial)", parameters: parameters, activations: activations, input: [side, side, 3])
            let gpu = PlannerFixtures.gpu(memory: Int.random(in: 2...80, using: &rng) << 30)
            let precision = [Precision.fp32, .tf32, .bf16Amp, .fp16Amp, .bf16, .fp16].randomElement(using: &rng)!
            let optimizer = OptimizerKind.allCases.randomElement(using: &rng)!
            let headroom: Headroom = Bool.random(using: &rng) ? .fraction(Double.random(in: 0...0.3, using: &rng)) : .bytes(Int.random(in: 0...(1 << 30), using: &rng))
            let calibration = CalibrationFactors(
                activationScale: Double.random(in: 0.7...1.5, using: &rng),
                modelStateScale: Double.random(in: 0.9...1.2, using: &rng),
                allocatorReserveRatio: Bool.random(using: &rng) ? Double.random(in: 0...0.4, using: &rng) : nil,
                logSpread: Double.random(in: 0...0.2, using: &rng))
            let configuration = TrainingConfiguration(
                precision: precision, optimizer: optimizer,
                gradAccumSteps: Bool.random(using: &rng) ? 1 : 4, gpus: 1)
            let options = SolverOptions(headroom: headroom)
            let solution = try Planner.maxBatch(
                model: model, gpu: gpu, configuration: configuration, calibration: calibration, options: options)
            func estimate(_ batch: Int) throws -> MemoryEstimate {
                var c = configuration
                c.batchSize = batch
                return try Planner.estimate(model: model, gpu: gpu, configuration: c, calibration: calibration)
            }
            let b = solution.maxBatchSize
            if b >= 1 {
                #expect(fits(try estimate(b), gpu: gpu, headroom: headroom), "trial \(trial): \(b) should fit")
                #expect(solution.estimate.deviceUsedBytes == (try estimate(b)).deviceUsedBytes)
                checked += 1
            } else {
                #expect(solution.nothingFits != nil)
            }
            #expect(!fits(try estimate(b + 1), gpu: gpu, headroom: headroom), "trial \(trial): \(b + 1) should not fit")
            // Brute force for small answers: every batch below fits, the first failure is b + 1.
            if b <= 64 {
                var first = 1
                while fits(try estimate(first), gpu: gpu, headroom: headroom) { first += 1 }
                #expect(first == b + 1, "trial \(trial)")
            }
        }
        #expect(checked > 10)
    }

    @Test("headroom parses percentages, fractions and sizes")
    func headroomParsing() throws {
        #expect(try Headroom(parsing: "15%") == .fraction(0.15))
        #expect(try Headroom(parsing: " 10 % ") == .fraction(0.10))
        #expect(try Headroom(parsing: "0.2") == .fraction(0.2))
        #expect(try Headroom(parsing: "1.5GiB") == .bytes(1_610_612_736))
        #expect(try Headroom(parsing: "512MiB") == .bytes(512 << 20))
        #expect(Headroom.default.bytes(ofCard: 10_000) == 1000)
        #expect(throws: CoreError.invalidValue(what: "headroom", value: "10", fix: "say 10% or 10GiB")) {
            try Headroom(parsing: "10")
        }
        #expect(Headroom.bytes(42).bytes(ofCard: 10_000) == 42)
        for bad in ["", "abc", "150%", "-5%", "-1GB", "12 parsecs", "10"] {
            #expect(throws: CoreError.self, "\(bad)") { try Headroom(parsing: bad) }
        }
    }

    @Test("multiple-of and power-of-two round the batch down; max batch caps it")
    func rounding() throws {
        let model = try PlannerFixtures.classic()
        let gpu = PlannerFixtures.gpu(memory: 12 << 30)
        let configuration = TrainingConfiguration(precision: .fp32, optimizer: .sgdMomentum)
        let free = try Planner.maxBatch(model: model, gpu: gpu, configuration: configuration).maxBatchSize
        #expect(free > 100)
        let multiple = try Planner.maxBatch(
            model: model, gpu: gpu, configuration: configuration, options: SolverOptions(multipleOf: 8)).maxBatchSize
        #expect(multiple % 8 == 0 && multiple <= free && free - multiple < 8)
        let power = try Planner.maxBatch(
            model: model, gpu: gpu, configuration: configuration, options: SolverOptions(powerOfTwo: true)).maxBatchSize
        #expect(power & (power - 1) == 0 && power <= free && power * 2 > free)
        let capped = try Planner.maxBatch(
            model: model, gpu: gpu, configuration: configuration, options: SolverOptions(maxBatch: 50)).maxBatchSize
        #expect(capped == 50)
        #expect(throws: CoreError.self) {
            try Planner.maxBatch(model: model, gpu: gpu, configuration: configuration, options: SolverOptions(multipleOf: 0))
        }
    }

    @Test("a target batch is reached with the largest micro-batch that divides it, accumulating the rest")
    func targetBatch() throws {
        let model = try PlannerFixtures.classic()
        let gpu = PlannerFixtures.gpu(memory: 12 << 30)
        let configuration = TrainingConfiguration(precision: .fp32, optimizer: .sgdMomentum)
        let free = try Planner.maxBatch(model: model, gpu: gpu, configuration: configuration).maxBatchSize
        let small = try Planner.maxBatch(
            model: model, gpu: gpu, configuration: configuration, options: SolverOptions(targetBatch: 64))
        #expect(small.maxBatchSize == 64 && small.gradAccumSteps == 1)
        let target = 4096
        let large = try Planner.maxBatch(
            model: model, gpu: gpu, configuration: configuration, options: SolverOptions(targetBatch: target))
        #expect(large.maxBatchSize * large.gradAccumSteps == target)
        #expect(large.gradAccumSteps > 1 && large.maxBatchSize <= free)
        #expect(large.estimate.configuration.gradAccumSteps == large.gradAccumSteps)
        // With accumulation the gradients are resident in forward; the solved micro-batch still fits.
        #expect(
            large.estimate.deviceUsedBytes + large.headroomBytes <= gpu.memoryBytes)
        // Across 4 GPUs the per-GPU share is a quarter.
        var four = configuration
        four.gpus = 4
        let shared = try Planner.maxBatch(
            model: model, gpu: gpu, configuration: four, options: SolverOptions(targetBatch: 256))
        #expect(shared.maxBatchSize * shared.gradAccumSteps == 64)
    }

    @Test("when nothing fits the advice gives the shortfall and changes that do fit")
    func nothingFits() throws {
        // 2 billion parameters with AdamW in fp32: 32 GB of states on a 24 GB card.
        let model = try PlannerFixtures.raw("big", parameters: 2_000_000_000, activations: 1_000_000, input: [1000])
        let gpu = PlannerFixtures.gpu(memory: 24 << 30)
        let solution = try Planner.maxBatch(
            model: model, gpu: gpu, configuration: TrainingConfiguration(precision: .fp32, optimizer: .adamw))
        #expect(solution.maxBatchSize == 0)
        let advice = try #require(solution.nothingFits)
        #expect(advice.shortfallBytes > 8 << 30)
        #expect(advice.requiredMemoryBytes > gpu.memoryBytes)
        let changes = advice.suggestions.map(\.change)
        #expect(changes.contains { $0.hasPrefix("optimizer adamw-8bit") || $0.hasPrefix("optimizer sgd") })
        #expect(changes.contains { $0.contains("ZeRO stage 3") })
        #expect(changes.last?.hasPrefix("a card with at least") == true)
        // Every suggestion with a configuration really fits.
        for suggestion in advice.suggestions {
            guard let configuration = suggestion.configuration else { continue }
            let check = try Planner.maxBatch(model: model, gpu: gpu, configuration: configuration)
            #expect(check.maxBatchSize >= 1, "\(suggestion.change)")
        }
        // The required size is enough: on such a card batch 1 fits.
        let bigger = PlannerFixtures.gpu(memory: advice.requiredMemoryBytes + 1)
        let there = try Planner.maxBatch(
            model: model, gpu: bigger, configuration: TrainingConfiguration(precision: .fp32, optimizer: .adamw))
        #expect(there.maxBatchSize >= 1)
    }
}

@Suite("Planner phase envelope")
struct PlannerEnvelopeTests {
    /// A random layered model: random widths, parameters, saved tensors and blocks.
    static func randomModel(_ rng: inout SplitMix64) -> ModelAccounting {
        var layers: [LayerAccount] = []
        let count = Int.random(in: 3...80, using: &rng)
        for index in 0..<count {
            let width = Int.random(in: 1...5000, using: &rng)
            let hasParameters = index == count - 1 || Bool.random(using: &rng)
            layers.append(
                LayerAccount(
                    name: "l\(index)", type: hasParameters ? "Linear" : "ReLU",
                    parameters: hasParameters ? Int.random(in: 1...50_000_000, using: &rng) : 0,
                    outputShape: [width],
                    saved: SavedTensors(
                        activation: Int.random(in: 0...20_000, using: &rng), fp32: Int.random(in: 0...100, using: &rng)),
                    block: "b\(index / 4)", role: index == count - 1 ? .head : .body))
        }
        return ModelAccounting(
            name: "random", family: .custom, input: .tensor([10]), task: .classification, layers: layers,
            outputClasses: 10, inputBytesPerSample: Int.random(in: 0...10_000, using: &rng))
    }

    @Test("the backward envelope gives the same peak as scanning every layer (random layered models)")
    func envelopeMatchesFullScan() throws {
        var rng = SplitMix64(state: 7)
        for _ in 0..<200 {
            let model = Self.randomModel(&rng)
            let configuration = TrainingConfiguration(
                precision: [Precision.fp32, .bf16Amp, .bf16, .fp8].randomElement(using: &rng)!,
                optimizer: OptimizerKind.allCases.randomElement(using: &rng)!,
                checkpointing: Checkpointing.allCases.randomElement(using: &rng)!,
                mode: [TrainingMode.full, .frozen].randomElement(using: &rng)!,
                gradAccumSteps: Bool.random(using: &rng) ? 1 : 2, gpus: Int.random(in: 1...4, using: &rng),
                zeroStage: Int.random(in: 0...3, using: &rng))
            let phases = try Planner.phaseModel(
                model: model, gpu: nil, configuration: configuration,
                calibration: CalibrationFactors(activationScale: Double.random(in: 0.5...2, using: &rng)))
            #expect(phases.backwardScan.count <= phases.profile.backward.count)
            for batch in [0, 1, 2, 7, 64, 1000, 100_000] {
                let b = Double(batch)
                var full = phases.forwardLine.constant + phases.forwardLine.perSample * b
                for index in phases.profile.backward.indices {
                    let line = phases.backwardLine(index)
                    full = max(full, line.constant + line.perSample * b)
                }
                full = max(full, phases.stepLine.constant + phases.stepLine.perSample * b)
                let peak = phases.peak(batch: batch).bytes
                #expect(abs(peak - full) <= 1e-9 * full, "batch \(batch)")
            }
        }
    }
}
