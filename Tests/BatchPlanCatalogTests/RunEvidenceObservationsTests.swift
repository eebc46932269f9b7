import BatchPlanCore
import Testing

@testable import BatchPlanCatalog

@Suite("Observations from predicted runs")
struct RunEvidenceObservationsTests {
    /// The observations built the straightforward way, prediction by prediction: each counter a run reports, its
    /// outcome, or both sides of its maximum-batch fact (the failing side predicted through `Planner.estimate`).
    static func straightforward(_ predictions: [RunEvidence.Prediction]) throws -> [CalibrationObservation] {
        var observations: [CalibrationObservation] = []
        let stated = RunEvidence.statedSides(predictions)
        for (index, prediction) in predictions.enumerated() {
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
                guard !stated.repeated.contains(index) else { continue }
                observations.append(
                    CalibrationObservation(
                        id: run.key, source: source, path: path, decomposition: decomposition,
                        evidence: .outcome(ran: run.outcome == .ok, capacityBytes: capacity, counter: level)))
            case .maxBatch:
                var oomAt: CalibrationDecomposition?
                if let next = run.bracketNext, !stated.outOfMemory.contains(index) {
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
                    id: run.key, source: source, path: path, ranAt: stated.ran.contains(index) ? nil : decomposition,
                    oomAt: oomAt, capacityBytes: capacity, counter: level)
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
        // The built-in H100 searches' OOM probes, all under caps (their brackets add nothing: see below); the
        // published facts are uncapped.
        #expect(capped >= 60)
        #expect(uncapped > 0)
    }

    @Test("a search's bracket adds no fact its own probes state; a bracket without its probes keeps both sides")
    func bracketsOfSearchesAreNotCountedTwice() throws {
        let catalog = try Catalog(path: ":memory:")
        let (predictions, _) = RunEvidence.predictions(try catalog.runsWithUsability())
        let stated = RunEvidence.statedSides(predictions)
        let brackets = predictions.indices.filter { predictions[$0].run.kind == .maxBatch }
        let searched = brackets.filter { predictions[$0].run.memoryCapBytes != nil }
        // Our H100 searches (23 brackets, all capped) wrote their probes: both sides of each are stated already.
        // (The 24th search's first probe ran out of memory: its bracket, "batch 0", is an OOM at batch 1, repeated.)
        #expect(searched.count == 23)
        let repeatedOOM = predictions.indices.filter { stated.repeated.contains($0) }
        #expect(repeatedOOM.count == 1)
        #expect(repeatedOOM.allSatisfy { predictions[$0].run.kind == .oom && predictions[$0].run.batchSize == 1 })
        for index in searched {
            #expect(stated.ran.contains(index), "\(predictions[index].run.key)")
            #expect(stated.outOfMemory.contains(index) == (predictions[index].run.bracketNext != nil))
        }
        // The published brackets (timm on an RTX 3090) come without probes and keep both sides.
        let published = brackets.filter { predictions[$0].run.memoryCapBytes == nil }
        #expect(published.count >= 10)
        #expect(published.allSatisfy { !stated.ran.contains($0) && !stated.outOfMemory.contains($0) })
        let observations = RunEvidence.observations(predictions)
        let keys = Set(searched.map { predictions[$0].run.key })
        #expect(!observations.contains { keys.contains($0.runGroup) })
        // And the probes themselves are still there: the OOM probes as outcomes at the cap.
        #expect(observations.contains {
            if case .outcome(ran: false, _, .reserved) = $0.evidence { true } else { false }
        })
    }

    @Test("a reading states that a run ran only at the level the fact is judged at: allocated alone leaves a fits fact")
    func readingsStateOnlyAtTheirLevel() throws {
        for (readings, stated) in [
            (#""peak_allocated_bytes": 1200000000"#, false),
            (#""peak_allocated_bytes": 1200000000, "device_used_bytes": 1900000000"#, true),
        ] {
            let catalog = try RunImportTests.catalogWithModel()
            let rows = """
                {"id": "m", "kind": "mem_at_batch", "model": "classic", "gpu": "RTX 3090", "batch_size": 128, "precision": "fp32", "optimizer": "sgd", \(readings), "source": "lab"}
                {"id": "f", "kind": "fits", "model": "classic", "gpu": "RTX 3090", "batch_size": 128, "precision": "fp32", "optimizer": "sgd", "source": "lab"}
                {"id": "g", "kind": "fits", "model": "classic", "gpu": "RTX 3090", "batch_size": 128, "precision": "fp32", "optimizer": "sgd", "source": "elsewhere"}
                """
            _ = try catalog.importRuns(RunImportTests.parse(rows), file: "runs.jsonl")
            let (predictions, _) = RunEvidence.predictions(try catalog.runsWithUsability(model: "classic"))
            let sides = RunEvidence.statedSides(predictions)
            let fits = predictions.indices.filter { predictions[$0].run.kind == .fits }
            #expect(fits.count == 2)
            let lab = fits.filter { predictions[$0].run.source == "lab" }
            #expect(lab.allSatisfy { sides.repeated.contains($0) } == stated, "\(readings)")
            // Another source's fits is a fact of its own either way.
            #expect(fits.filter { predictions[$0].run.source == "elsewhere" }.allSatisfy { !sides.repeated.contains($0) })
        }
    }
}
