import BatchPlanCore
import Testing

@testable import BatchPlanCatalog

@Suite("Observations from predicted runs")
struct RunEvidenceObservationsTests {
    /// The observations built the straightforward way, prediction by prediction: each counter a run reports, its
    /// outcome, or both sides of its maximum-batch fact (the failing side predicted through `Planner.estimate`).
    static func straightforward(_ predictions: [RunEvidence.Prediction]) throws -> [CalibrationObservation] {
        var observations: [CalibrationObservation] = []
        for prediction in predictions {
            let run = prediction.run
            let path = RunEvidence.scopePath(
                gpu: prediction.gpu, model: prediction.model, framework: prediction.configuration.framework,
                trainer: prediction.configuration.trainer, checkpointing: prediction.configuration.checkpointing)
            let source = run.url ?? run.source
            let decomposition = RunEvidence.decomposition(prediction)
            // A cap bounds the allocator's reserved memory; a card, the device's.
            let capacity = Double(run.memoryCapBytes ?? run.gpuMemoryBytes ?? prediction.gpu.memoryBytes)
            let level: CalibrationCounter = run.memoryCapBytes != nil ? .reserved : .deviceUsed
            switch run.kind {
            case .memAtBatch:
                let readings: [(CalibrationCounter, Int?)] = [
                    (.allocated, run.peakAllocatedBytes), (.reserved, run.peakReservedBytes),
                    (.deviceUsed, run.deviceUsedBytes),
                ]
                for (counter, bytes) in readings {
                    guard let bytes else { continue }
                    observations.append(
                        CalibrationObservation(
                            id: "\(run.key)#\(counter.rawValue)", source: source, path: path,
                            decomposition: decomposition, evidence: .measured(counter: counter, bytes: Double(bytes))))
                }
            case .fits, .oom:
                observations.append(
                    CalibrationObservation(
                        id: run.key, source: source, path: path, decomposition: decomposition,
                        evidence: .outcome(ran: run.outcome == .ok, capacityBytes: capacity, counter: level)))
            case .maxBatch:
                var oomAt: CalibrationDecomposition?
                if let next = run.bracketNext {
                    var failing = prediction
                    failing.configuration.batchSize = next
                    if let estimate = try? Planner.estimate(
                        model: prediction.accounting, gpu: prediction.gpu, configuration: failing.configuration)
                    {
                        failing.estimate = estimate
                        oomAt = RunEvidence.decomposition(failing)
                    }
                }
                observations += CalibrationObservation.maxBatchFact(
                    id: run.key, source: source, path: path, ranAt: decomposition, oomAt: oomAt,
                    capacityBytes: capacity, counter: level)
            }
        }
        return observations
    }

    @Test("every built-in run gives the observations the straightforward construction gives, in the same order")
    func sameAsStraightforward() throws {
        let catalog = try Catalog(path: ":memory:")
        let (predictions, _) = RunEvidence.predictions(try catalog.runsWithUsability())
        let observations = RunEvidence.observations(predictions)
        let expected = try Self.straightforward(predictions)
        #expect(observations.count == expected.count)
        #expect(observations.count > predictions.count)
        let firstDiffering = Array(zip(observations, expected).filter { $0 != $1 }.map(\.0.id).prefix(3))
        #expect(firstDiffering.isEmpty)
        // Every kind of evidence is among them: counters, outcomes and both sides of maximum-batch facts.
        #expect(observations.contains { $0.id.hasSuffix("#device_used") })
        #expect(observations.contains { $0.id.hasSuffix("/oom") })
        #expect(
            observations.contains {
                if case .outcome(ran: false, _, _) = $0.evidence { !$0.id.hasSuffix("/oom") } else { false }
            })
    }

    @Test("a run under a memory cap is judged at the reserved level against the cap itself; a card's at device-used")
    func cappedOutcomesAtReserved() throws {
        let catalog = try Catalog(path: ":memory:")
        let (predictions, _) = RunEvidence.predictions(try catalog.runsWithUsability())
        let capOf = Dictionary(
            predictions.map { ($0.run.key, $0.run.memoryCapBytes) }, uniquingKeysWith: { first, _ in first })
        var capped = 0
        var uncapped = 0
        for observation in RunEvidence.observations(predictions) {
            guard case .outcome(_, let capacity, let counter) = observation.evidence else { continue }
            let key = observation.runGroup
            if let cap = capOf[key] ?? nil {
                capped += 1
                #expect(counter == .reserved, "\(observation.id)")
                #expect(capacity == Double(cap), "\(observation.id): the cap, without the CUDA context")
            } else {
                uncapped += 1
                #expect(counter == .deviceUsed, "\(observation.id)")
            }
        }
        // The built-in H100 searches: 70 OOM probes and 24 brackets under caps; the published facts are uncapped.
        #expect(capped >= 100)
        #expect(uncapped > 0)
    }
}
