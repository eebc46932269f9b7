import Foundation
import Testing

@testable import BatchPlanCore

@Suite("Calibration outcome constraints")
struct CalibrationConstraintTests {
    typealias F = CalibrationFixtures

    /// A transformer-like configuration: activations grow with batch × sequence length.
    struct Config {
        var modelStates: Double
        var activationsPerToken: Double
        var sequenceLength: Double

        func decomposition(batch: Int) -> CalibrationDecomposition {
            CalibrationDecomposition(
                modelStates: modelStates, activations: activationsPerToken * sequenceLength * Double(batch),
                other: 0.3 * F.gib, defaultReserveRatio: 0.05, defaultContextBytes: 512 * F.mib)
        }

        /// Largest batch whose deviceUsed under `factors` fits in `capacity`.
        func maxBatch(capacity: Double, factors: CalibrationFactors) -> Int {
            var batch = 0
            while decomposition(batch: batch + 1).predicted(.deviceUsed, with: factors) <= capacity { batch += 1 }
            return batch
        }
    }

    static let capacity = 80 * F.gib
    static let path = F.path(framework: "jax-0.4", family: "gpt", model: "gpt-a")

    static func outcome(_ id: String, _ config: Config, batch: Int, ran: Bool, path: CalibrationScopePath = path)
        -> CalibrationObservation
    {
        CalibrationObservation(
            id: id, source: "maxbatch:\(id.prefix(1))", path: path, decomposition: config.decomposition(batch: batch),
            evidence: .outcome(ran: ran, capacityBytes: capacity))
    }

    /// A few allocated readings where the analytic model is right, so the scope starts at scale 1.
    static let exactReadings = (0..<4).map { index -> CalibrationObservation in
        let activations = Double(4 + index * 3) * F.gib
        return F.measured(
            "m\(index)", path: path, activations: activations, bytes: 10 * F.gib + activations + 0.2 * F.gib)
    }

    @Test("out-of-memory runs from several sources at a batch the model says fits raise the activation scale")
    func outOfMemoryRaisesTheScale() {
        let config = Config(modelStates: 20 * F.gib, activationsPerToken: 2 * F.mib, sequenceLength: 2_048)
        let analyticMax = config.maxBatch(capacity: Self.capacity, factors: .analytic)
        let ooms = (0..<3).map {
            CalibrationObservation(
                id: "o\($0)", source: "lab-\($0)", path: Self.path,
                decomposition: config.decomposition(batch: analyticMax - 2 - $0),
                evidence: .outcome(ran: false, capacityBytes: Self.capacity))
        }
        let with = CalibrationFitter.fit(ooms, options: F.options).resolve(Self.path)
        #expect(with.activationScale > 1.02)
        #expect(config.maxBatch(capacity: Self.capacity, factors: with) < analyticMax)
    }

    @Test("readings that say the activations are exact outweigh out-of-memory runs that contradict them")
    func contradictedOutOfMemoryIsNotApplied() {
        // Held out, each reading is predicted worse by a fit that believed the OOMs: the gate keeps the scale at 1.
        let config = Config(modelStates: 20 * F.gib, activationsPerToken: 2 * F.mib, sequenceLength: 2_048)
        let analyticMax = config.maxBatch(capacity: Self.capacity, factors: .analytic)
        let ooms = (0..<3).map { Self.outcome("o\($0)", config, batch: analyticMax - 2, ran: false) }
        let model = CalibrationFitter.fit(Self.exactReadings + ooms, options: F.options)
        let with = model.resolve(Self.path)
        #expect(abs(with.activationScale - 1) < 0.02)
    }

    @Test("a run that ran at a batch the model says overflows lowers the activation scale")
    func ranLowersTheScale() {
        let config = Config(modelStates: 20 * F.gib, activationsPerToken: 2 * F.mib, sequenceLength: 2_048)
        let analyticMax = config.maxBatch(capacity: Self.capacity, factors: .analytic)
        let rans = (0..<3).map { Self.outcome("r\($0)", config, batch: analyticMax + 2, ran: true) }
        let without = CalibrationFitter.fit(Self.exactReadings, options: F.options).resolve(Self.path)
        let with = CalibrationFitter.fit(Self.exactReadings + rans, options: F.options).resolve(Self.path)
        #expect(with.activationScale < without.activationScale - 0.02)
    }

    @Test("outcomes that agree with the prediction leave the fit where the measurements put it")
    func satisfiedConstraintsDoNotPull() {
        let config = Config(modelStates: 20 * F.gib, activationsPerToken: 2 * F.mib, sequenceLength: 2_048)
        let analyticMax = config.maxBatch(capacity: Self.capacity, factors: .analytic)
        let agreeing = [
            Self.outcome("a1", config, batch: analyticMax / 2, ran: true),
            Self.outcome("a2", config, batch: analyticMax * 2, ran: false),
        ]
        let without = CalibrationFitter.fit(Self.exactReadings, options: F.options).resolve(Self.path)
        let with = CalibrationFitter.fit(Self.exactReadings + agreeing, options: F.options).resolve(Self.path)
        #expect(abs(with.activationScale - without.activationScale) < 1e-6)
    }

    @Test("two max-batch facts for a framework pull its predictions at other sequence lengths and sizes into line")
    func maxBatchFactsPullOtherPredictions() {
        // The framework really needs 1.6× the analytic activations; no reading says so, only two max-batch facts.
        let truth = CalibrationFactors(activationScale: 1.6)
        let a = Config(modelStates: 14 * F.gib, activationsPerToken: 1.5 * F.mib, sequenceLength: 2_048)
        let b = Config(modelStates: 26 * F.gib, activationsPerToken: 2.5 * F.mib, sequenceLength: 4_096)
        var facts: [CalibrationObservation] = []
        for (name, config) in [("a", a), ("b", b)] {
            let trueMax = config.maxBatch(capacity: Self.capacity, factors: truth)
            facts += CalibrationObservation.maxBatchFact(
                id: name, source: "paper-\(name)", path: Self.path, ranAt: config.decomposition(batch: trueMax),
                oomAt: config.decomposition(batch: trueMax + 1), capacityBytes: Self.capacity)
        }
        #expect(facts.map(\.id) == ["a/ran", "a/oom", "b/ran", "b/oom"])
        let model = CalibrationFitter.fit(facts, options: F.options)
        // Another model and sequence length under the same framework and card.
        let other = Config(modelStates: 6 * F.gib, activationsPerToken: 1 * F.mib, sequenceLength: 1_024)
        let otherPath = F.path(framework: "jax-0.4", family: "t5", model: "t5-small")
        let calibrated = model.resolve(otherPath, defaultReserveRatio: 0.05, defaultContextBytes: 512 * F.mib)
        let trueMax = other.maxBatch(capacity: Self.capacity, factors: truth)
        let before = other.maxBatch(capacity: Self.capacity, factors: .analytic)
        let after = other.maxBatch(capacity: Self.capacity, factors: calibrated)
        #expect(before > trueMax)
        #expect(abs(after - trueMax) < abs(before - trueMax), "after \(after), before \(before), true \(trueMax)")
        #expect(after >= trueMax, "shrinkage stops short of the facts, never past them")
    }
}
