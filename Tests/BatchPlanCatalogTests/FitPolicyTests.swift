import BatchPlanCatalog
import BatchPlanCore
import Foundation
import Testing

/// The precision policy and the speed ranking on real catalog models and cards, calibrated as `fit` is.
@Suite("Fit precision policy and speed ranking")
struct FitPolicyTests {
    static let catalog = try! Catalog(path: ":memory:")
    static let throughput = try! catalog.throughputCalibration()
    static let memory = try! catalog.currentCalibration()

    static func fit(
        _ name: String, on gpuName: String, filters: FitFilters = FitFilters(optimizers: [.adamw], modes: [.full, .lora, .qlora]),
        options: SolverOptions = SolverOptions()
    ) throws -> FitResult {
        let model = try catalog.model(named: name)
        let gpu = try catalog.gpu(named: gpuName)
        let accounting = try model.definition.account(AccountingOptions())
        let results = try Planner.fit(
            models: [accounting], gpus: [gpu], filters: filters, options: options,
            calibration: { _, gpu in memory.factors(for: model, gpu: gpu, framework: .pytorch) },
            throughput: { _, gpu in throughput.factors(for: model, gpu: gpu) })
        return try #require(results.first)
    }

    @Test("resnet50 on a 12 GB card trains in bf16-amp without checkpointing by default")
    func resnetOnTwelveGigabytes() throws {
        let result = try Self.fit("resnet50", on: "RTX 3060 12GB")
        let best = try #require(result.best)
        #expect(best.configuration.precision == .bf16Amp)
        #expect(best.configuration.checkpointing == Checkpointing.none)
        #expect(best.configuration.mode == .full)
        #expect(best.precisionStanding == .recommended && best.precisionNote == nil)
        let stepTime = try #require(best.stepTime)
        #expect(stepTime.stepTimeMs > 0 && stepTime.samplesPerSecond > 0 && stepTime.tokensPerSecond == nil)
        // Block checkpointing buys batch at a price the alternative states.
        let block = try #require(result.alternatives.first { $0.configuration.checkpointing == .block && $0.configuration.precision == .bf16Amp })
        #expect(block.maxBatchSize > best.maxBatchSize)
        #expect(block.whyNot?.contains("slower per sample") == true)
        #expect(result.input == .image(channels: 3, height: 224, width: 224) && result.task == .imageClassification)
    }

    @Test("--prefer batch keeps the largest-micro-batch ranking")
    func preferBatch() throws {
        let result = try Self.fit("resnet50", on: "RTX 3060 12GB", options: SolverOptions(preference: .batch))
        let best = try #require(result.best)
        #expect(result.alternatives.filter(\.fits).allSatisfy { $0.maxBatchSize <= best.maxBatchSize })
        #expect(best.configuration.checkpointing == .block)
    }

    @Test("a 7B full fine-tune on 24 GB does not fit and LoRA or QLoRA is offered")
    func sevenBillionOnTwentyFourGigabytes() throws {
        let fullOnly = try Self.fit("llama-2-7b", on: "RTX 3090", filters: FitFilters(optimizers: [.adamw], modes: [.full]))
        #expect(fullOnly.best == nil)
        let changes = try #require(fullOnly.nothingFits).suggestions.map(\.change)
        #expect(changes.contains { $0.hasPrefix("mode lora") })
        #expect(changes.contains { $0.hasPrefix("mode qlora") })
        #expect(!changes.contains { $0.contains("fp16 (pure") })
        let defaults = try Self.fit("llama-2-7b", on: "RTX 3090")
        let best = try #require(defaults.best)
        #expect(best.configuration.mode == .lora || best.configuration.mode == .qlora)
        #expect(best.configuration.precision == .bf16Amp)
        #expect(defaults.assumptions.contains { $0.hasPrefix("full training does not fit") })
    }

    @Test("pure fp16 is never planned unless asked, and then with a warning", arguments: ["T4", "RTX 3060 12GB", "V100 16GB"])
    func pureFP16OnlyWhenAsked(card: String) throws {
        for model in ["resnet50", "gpt2", "bert-base-uncased"] {
            let result = try Self.fit(model, on: card)
            let all = (result.best.map { [$0] } ?? []) + result.alternatives
            #expect(!all.contains { $0.configuration.precision == .fp16 }, "\(model) on \(card)")
        }
        let asked = try Self.fit("gpt2", on: card, filters: FitFilters(precisions: [.fp16, .fp16Amp], optimizers: [.adamw], modes: [.full]))
        #expect(asked.alternatives.contains { $0.configuration.precision == .fp16 } || asked.best?.configuration.precision == .fp16)
        #expect(asked.assumptions.contains { $0.contains("not a usable training recipe") })
    }

    @Test("cards without bf16 use fp16-amp as their mixed precision")
    func fp16AmpWithoutBF16() throws {
        let best = try #require(try Self.fit("resnet50", on: "T4").best)
        #expect(best.configuration.precision == .fp16Amp)
    }

    @Test("pure bf16 full training is offered only when no mixed-precision full plan fits, flagged")
    func pureBF16AsLastResort() throws {
        let resnet = try Self.fit("resnet50", on: "RTX 3060 12GB")
        let firstBF16 = try #require(resnet.alternatives.firstIndex { $0.configuration.precision == .bf16 })
        let lastRecommendedFull = try #require(resnet.alternatives.lastIndex {
            $0.fits && $0.configuration.mode == .full && $0.precisionStanding == .recommended })
        #expect(firstBF16 > lastRecommendedFull)
        #expect(resnet.alternatives[firstBF16].whyNot?.contains("trade-off") == true)
        // gpt2-large's AdamW states in fp32 do not fit 12 GB: pure bf16 is the only full plan, and it says so.
        let large = try #require(try Self.fit("gpt2-large", on: "RTX 3060 12GB").best)
        #expect(large.configuration.precision == .bf16 && large.configuration.mode == .full)
        #expect(large.precisionStanding == .tradeOff)
        #expect(large.precisionNote?.contains("fidelity trade-off") == true)
    }

    @Test("fp8 is planned only on cards with FP8 tensor cores, as mixed fp8", arguments: [("H100 SXM", true), ("A100 80GB SXM", false)])
    func fp8OnlyWithTensorCores(card: String, expected: Bool) throws {
        let result = try Self.fit("gpt2", on: card)
        let fp8 = result.alternatives.filter { $0.configuration.precision == .fp8 }
        #expect(!fp8.isEmpty == expected)
        #expect(fp8.allSatisfy { $0.precisionStanding == .tradeOff && $0.precisionNote?.contains("Transformer Engine") == true })
        #expect(result.best?.configuration.precision == .bf16Amp)
    }

    @Test("LoRA and QLoRA keep their recipe: bf16-amp over a half or NF4 base")
    func adapterRecipes() throws {
        let result = try Self.fit("llama-3.2-1b", on: "RTX 3060 12GB", filters: FitFilters(optimizers: [.adamw], modes: [.lora, .qlora]))
        let all = (result.best.map { [$0] } ?? []) + result.alternatives
        #expect(!all.isEmpty)
        #expect(all.allSatisfy { $0.configuration.precision == .bf16Amp })
    }

    @Test("a card without the precision's TFLOPS ranks by batch, and the precision policy still holds")
    func missingRatesFallBackToBatch() throws {
        // The catalog's A10G row has fp32 TFLOPS only.
        let result = try Self.fit("resnet50", on: "A10G")
        let best = try #require(result.best)
        #expect(best.stepTime == nil)
        #expect(best.configuration.precision == .bf16Amp)
        #expect(result.assumptions.contains { $0.hasPrefix("ranking: batch") })
        #expect(result.assumptions.contains { $0.contains("no bf16_tflops for A10G") })
    }

    @Test("the step-time calibration learned from our H100 runs and says so")
    func calibrationSources() throws {
        let global = try #require(Self.throughput.scopes["global"])
        #expect(global.runsUsed >= 150)
        #expect(global.runsUsed == (try Self.catalog.throughputObservations().count))
        let result = try Self.fit("resnet50", on: "H100 SXM")
        #expect(result.best?.stepTime?.scope == "H100 SXM / resnet50")
        #expect(result.assumptions.contains { $0.contains("calibrated from") && $0.contains("H100 SXM / resnet50") })
    }
}
