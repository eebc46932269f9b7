import Foundation
import Testing

@testable import BatchPlanCore

@Suite("Planner fit")
struct PlannerFitTests {
    @Test("fit ranks by largest micro-batch and says why each alternative lost")
    func rankingByBatch() throws {
        let model = PlannerFixtures.toyTransformer()
        let gpu = PlannerFixtures.gpu(memory: 2 << 30)
        let results = try Planner.fit(
            models: [model], gpus: [gpu],
            filters: FitFilters(precisions: [.fp32, .bf16Amp], optimizers: [.adamw], modes: [.full]))
        let result = try #require(results.first)
        let best = try #require(result.best)
        #expect(best.rank == 1 && best.whyNot == nil && best.fits)
        #expect(result.alternatives.count == 2 * 3 - 1)
        for alternative in result.alternatives {
            #expect(alternative.maxBatchSize <= best.maxBatchSize)
            #expect(alternative.whyNot != nil)
        }
        #expect(result.alternatives.map(\.rank) == Array(2...6))
        // Half-precision activations give the biggest batch here.
        #expect(best.configuration.precision == .bf16Amp)
        #expect(result.assumptions.contains { $0.hasPrefix("headroom 10%") })
    }

    @Test("ties on batch go to less recomputation, then higher precision")
    func tieBreaks() throws {
        // Batch capped at 8: every combination reaches it, so the ties decide.
        let results = try Planner.fit(
            models: [PlannerFixtures.toyTransformer()], gpus: [PlannerFixtures.gpu()],
            filters: FitFilters(optimizers: [.adamw], modes: [.full]), options: SolverOptions(maxBatch: 8))
        let best = try #require(results.first?.best)
        #expect(best.maxBatchSize == 8)
        #expect(best.configuration.checkpointing == Checkpointing.none)
        #expect(best.configuration.precision == .fp32)
        let loser = try #require(results.first?.alternatives.first { $0.configuration.checkpointing == .block })
        #expect(loser.whyNot?.contains("recomputation") == true)
    }

    @Test("--prefer fidelity puts the highest precision first even with a smaller batch")
    func preferFidelity() throws {
        let gpu = PlannerFixtures.gpu(memory: 2 << 30)
        let results = try Planner.fit(
            models: [PlannerFixtures.toyTransformer()], gpus: [gpu],
            filters: FitFilters(precisions: [.fp32, .bf16Amp], optimizers: [.adamw], modes: [.full]),
            options: SolverOptions(preference: .fidelity))
        let best = try #require(results.first?.best)
        #expect(best.configuration.precision == .fp32)
        #expect(best.configuration.checkpointing == Checkpointing.none)
    }

    @Test("fit enumerates only precisions the card supports and skips modes a model cannot use")
    func enumeration() throws {
        let turing = PlannerFixtures.gpu("T4", memory: 15 << 30, architecture: "turing", bf16: false, tf32: false)
        let raw = try PlannerFixtures.classic()
        let results = try Planner.fit(models: [raw], gpus: [turing])
        let result = try #require(results.first)
        let all = [result.best].compactMap { $0 } + result.alternatives
        // Pure fp16 is not a recipe the policy plans unless asked (PrecisionPolicy).
        #expect(Set(all.map(\.configuration.precision)) == [.fp32, .fp16Amp])
        // No linear layers: no LoRA/QLoRA; no head: no frozen; no blocks or attention: checkpointing would
        // recompute nothing, so only none. 2 precisions × every optimizer.
        #expect(Set(all.map(\.configuration.mode)) == [.full])
        #expect(Set(all.map(\.configuration.checkpointing)) == [Checkpointing.none])
        #expect(all.count == 2 * OptimizerKind.allCases.count)
        #expect(result.assumptions.contains { $0.contains("lora skipped") })
        // Asking for bf16 explicitly says why it was skipped.
        let asked = try Planner.fit(models: [raw], gpus: [turing], filters: FitFilters(precisions: [.bf16Amp, .fp16Amp]))
        #expect(asked.first?.assumptions.contains { $0.contains("bf16-amp needs") } == true)
    }

    @Test("when nothing fits on a card the result carries advice")
    func nothingFitsInFit() throws {
        let model = try PlannerFixtures.raw("huge", parameters: 3_000_000_000, activations: 1000, input: [10])
        let results = try Planner.fit(
            models: [model], gpus: [PlannerFixtures.gpu(memory: 4 << 30)], filters: FitFilters(optimizers: [.adamw]))
        let result = try #require(results.first)
        #expect(result.best == nil)
        #expect(result.nothingFits != nil)
        #expect(result.alternatives.allSatisfy { !$0.fits && $0.whyNot?.hasPrefix("does not fit") == true })
    }
}

@Suite("Planner fit preferences")
struct PlannerFitPreferenceTests {
    @Test("--prefer memory picks the candidate that uses least memory at batch 1")
    func preferMemory() throws {
        let results = try Planner.fit(
            models: [try PlannerFixtures.classic()], gpus: [PlannerFixtures.gpu()],
            filters: FitFilters(precisions: [.fp32, .bf16], optimizers: [.adamw, .sgd], modes: [.full]),
            options: SolverOptions(preference: .memory))
        let result = try #require(results.first)
        let best = try #require(result.best)
        // Pure bf16 with SGD: the lightest states (4 B/param) and the smallest activations.
        #expect(best.configuration.precision == .bf16 && best.configuration.optimizer == .sgd)
        let adam = try #require(result.alternatives.first { $0.configuration.optimizer == .adamw })
        #expect(adam.whyNot?.hasPrefix("more memory at batch 1") == true)
        // Equal memory at batch 1 (within a 2 MiB segment): the larger batch wins the tie.
        #expect(best.configuration.checkpointing == Checkpointing.none)
        #expect(best.estimate.assumptions.contains { $0.hasPrefix("optimizer sgd") })
        #expect(result.alternatives.allSatisfy { $0.estimate.assumptions.isEmpty })
    }
}
