import BatchPlanCore
import Foundation
import GRDB
import Testing

@testable import BatchPlanCatalog

/// A refit keeps each run's calibration facts (`run_evidence`) and predicts only the runs it has not seen: what it
/// fits from must be what predicting every run gives, fact for fact and in the same order.
@Suite("Runs' kept calibration facts")
struct RunFactsKeptTests {
    static func rows(_ catalog: Catalog) throws -> Int {
        try catalog.read("counting") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM run_evidence") ?? 0 }
    }

    static func runCount(_ catalog: Catalog) throws -> Int {
        try catalog.read("counting") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM run") ?? 0 }
    }

    /// Every usable run's facts, predicted now.
    static func fresh(_ catalog: Catalog) throws -> [RunEvidence.RunFacts] {
        RunEvidence.facts(RunEvidence.predictions(try catalog.runsWithUsability()).predictions)
    }

    static func decode(_ bytes: [UInt8]) -> RunEvidence.RunFacts? {
        var shared = RunEvidence.RunFacts.SharedTexts()
        return bytes.withUnsafeBufferPointer { RunEvidence.RunFacts.decode($0, shared: &shared) }
    }

    static let oneMore = #"{"id": "b1", "kind": "mem_at_batch", "model": "classic", "gpu": "RTX 3090", "batch_size": 64, "precision": "fp32", "optimizer": "sgd", "peak_allocated_bytes": 1000000000, "step_time_ms": 80, "source": "lab"}"#

    @Test("every built-in run's facts come back from their bytes; cut or foreign bytes come back as nothing")
    func roundTrip() throws {
        let catalog = try Catalog(path: ":memory:")
        let facts = try Self.fresh(catalog)
        #expect(facts.count > 300)
        // Every kind of fact is among them, and step-time observations.
        #expect(Set(facts.map(\.kind)) == Set(MeasuredRun.Kind.allCases))
        #expect(facts.contains { $0.throughput != nil })
        #expect(facts.contains { $0.kind == .maxBatch && $0.observations.count == 2 })
        var shared = RunEvidence.RunFacts.SharedTexts()
        for fact in facts {
            let decoded = fact.encoded().withUnsafeBufferPointer { RunEvidence.RunFacts.decode($0, shared: &shared) }
            #expect(decoded == fact)
        }
        let bytes = facts[0].encoded()
        for cut in [0, 1, bytes.count / 2, bytes.count - 1] { #expect(Self.decode(Array(bytes.prefix(cut))) == nil) }
        // Every cut of a reading with a step time and of a maximum-batch fact, and every byte changed, is refused or
        // read without reading past the end (a crash would end the test run).
        let samples = [facts.first { $0.throughput != nil }, facts.first { $0.kind == .maxBatch }].compactMap { $0 }
        for sample in samples {
            let encoded = sample.encoded()
            for cut in 0..<encoded.count { #expect(Self.decode(Array(encoded.prefix(cut))) == nil) }
            for position in encoded.indices {
                for value: UInt8 in [0, 1, 0x7F, 0x80, 0xFF] {
                    var changed = encoded
                    changed[position] = value
                    _ = Self.decode(changed)
                }
            }
        }
        var foreign = bytes
        foreign[0] = 4  // format 2 (zigzag)
        #expect(Self.decode(foreign) == nil)
        #expect(Self.decode(bytes + [0]) == nil)
    }

    @Test("a refit predicts only the runs it has not seen, and fits from what predicting them all gives")
    func predictsOnlyNewRuns() throws {
        let catalog = try RunImportTests.catalogWithModel()
        _ = try catalog.importRuns(RunImportTests.parse(RunImportTests.goodRows), file: "runs.jsonl")
        let total = try Self.runCount(catalog)

        let first = try catalog.refitFacts()
        #expect(first.predicted == total && first.kept == 0)
        let freshFirst = try Self.fresh(catalog)
        #expect(first.facts == freshFirst)
        #expect(try Self.rows(catalog) == total)

        let second = try catalog.refitFacts()
        #expect(second.predicted == 0 && second.kept == total)
        #expect(second.facts == first.facts)

        _ = try catalog.importRuns(RunImportTests.parse(Self.oneMore), file: "more.jsonl")
        let third = try catalog.refitFacts()
        #expect(third.predicted == 1 && third.kept == total)
        let fresh = try Self.fresh(catalog)
        #expect(third.facts == fresh)
        #expect(third.facts.last?.throughput?.id == "lab:b1")

        // The calibration plans use is the one a whole fit gives.
        let (memory, throughput) = try catalog.currentCalibrations()
        let whole = try catalog.fitCalibration()
        #expect(RunEvidence.observations(third.facts) == whole.observations)
        #expect(memory.parameters == whole.model.parameters)
        #expect(throughput.scopes == whole.throughput.scopes)
    }

    @Test("a removed run takes its facts along; damaged bytes, another build's stamp or a new model mean predicting again")
    func predictsAgainWhenItMust() throws {
        let catalog = try RunImportTests.catalogWithModel()
        _ = try catalog.importRuns(RunImportTests.parse(RunImportTests.goodRows), file: "runs.jsonl")
        _ = try catalog.refitFacts()
        let total = try Self.runCount(catalog)

        let user = try #require(try catalog.runs().first { $0.run.origin == .user })
        try catalog.removeRun(id: user.id)
        #expect(try Self.rows(catalog) == total - 1)
        #expect(try catalog.refitFacts().predicted == 0)

        // Removed where foreign keys are off (the sqlite3 shell's default), a run still takes its facts along.
        let other = try #require(try catalog.runs().first { $0.run.origin == .user })
        try catalog.queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "DELETE FROM run WHERE id = ?", arguments: [other.id])
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        #expect(try Self.rows(catalog) == total - 2)
        let afterShell = try catalog.refitFacts()
        let freshAfterShell = try Self.fresh(catalog)
        #expect(afterShell.predicted == 0 && afterShell.facts == freshAfterShell)

        try catalog.write("damaging") { db in
            try db.execute(sql: """
                UPDATE run_evidence SET payload = x'02ff'
                WHERE run_id = (SELECT min(run_id) FROM run_evidence WHERE length(payload) > 0)
                """)
        }
        let repaired = try catalog.refitFacts()
        let freshAfterRepair = try Self.fresh(catalog)
        #expect(repaired.predicted == 1 && repaired.facts == freshAfterRepair)
        #expect(try catalog.refitFacts().predicted == 0)

        try catalog.write("another build") { db in
            try db.execute(sql: "UPDATE catalog_meta SET value = 'another build' WHERE key = 'evidence_stamp'")
        }
        #expect(try catalog.refitFacts().predicted == total - 2)
        #expect(try catalog.refitFacts().predicted == 0)

        let payload = #"{"parameters": 1000000, "activationsPerSample": 1000, "input": [32, 32, 3], "classes": 10}"#
        try catalog.addModel(ModelDefinition(name: "tiny", kind: .rawCounts, payload: payload, source: "test", origin: .user))
        let afterModel = try catalog.refitFacts()
        let freshAfterModel = try Self.fresh(catalog)
        #expect(afterModel.predicted == total - 2 && afterModel.kept == 0)
        #expect(afterModel.facts == freshAfterModel)
    }

    @Test("kept facts read in two halves are those of one read, with user runs on both sides of the built-in ones")
    func halvesAreOneRead() throws {
        let catalog = try RunImportTests.catalogWithModel()
        _ = try catalog.importRuns(RunImportTests.parse(RunImportTests.goodRows), file: "runs.jsonl")
        // A refreshed seed numbers the built-in runs after the user's runs so far; later user runs come after them.
        try catalog.write("test") { db in
            try db.execute(sql: "UPDATE catalog_meta SET value = 'old' WHERE key = 'seed_version'")
        }
        try catalog.refreshBuiltins()
        _ = try catalog.refitFacts()
        _ = try catalog.importRuns(RunImportTests.parse(Self.oneMore), file: "more.jsonl")
        let halves = try catalog.refitFacts(keptHalvesFrom: 2)
        let fresh = try Self.fresh(catalog)
        #expect(halves.predicted == 1 && halves.facts == fresh)
        #expect(try catalog.refitFacts(keptHalvesFrom: 2).facts == fresh)
        #expect(try catalog.refitFacts(keptHalvesFrom: .max).facts == fresh)
    }

    @Test("runs missing in several stretches are each predicted with their own model; a replaced newest model drops every kept fact")
    func stretchesAndReplacedModels() throws {
        let catalog = try RunImportTests.catalogWithModel()
        let payload = #"{"parameters": 1000000, "activationsPerSample": 1000, "input": [32, 32, 3], "classes": 10}"#
        try catalog.addModel(ModelDefinition(name: "tiny", kind: .rawCounts, payload: payload, source: "test", origin: .user))
        _ = try catalog.importRuns(RunImportTests.parse(RunImportTests.goodRows), file: "runs.jsonl")
        _ = try catalog.refitFacts()
        let total = try Self.runCount(catalog)
        // A damaged row among the built-in runs and a new run at the end: two stretches, whose readers number the
        // models they meet from 0 each.
        try catalog.write("damaging") { db in
            try db.execute(sql: """
                UPDATE run_evidence SET payload = x'02ff'
                WHERE run_id = (SELECT run_id FROM run_evidence WHERE length(payload) > 0 ORDER BY run_id LIMIT 1 OFFSET 100)
                """)
        }
        let tinyRun = #"{"id": "t1", "kind": "mem_at_batch", "model": "tiny", "gpu": "RTX 3090", "batch_size": 16, "precision": "fp32", "optimizer": "sgd", "peak_allocated_bytes": 200000000, "source": "lab"}"#
        _ = try catalog.importRuns(RunImportTests.parse(tinyRun), file: "tiny.jsonl")
        let two = try catalog.refitFacts()
        let freshTwo = try Self.fresh(catalog)
        #expect(two.predicted == 2 && two.kept == total - 1)
        #expect(two.facts == freshTwo)
        #expect(two.facts.last?.observations.first?.path.model == "tiny")

        // Replacing the newest model in one transaction keeps the models' count and largest id.
        let bigger = #"{"parameters": 9000000, "activationsPerSample": 5000, "input": [32, 32, 3], "classes": 10}"#
        try catalog.addModel(
            ModelDefinition(name: "tiny", kind: .rawCounts, payload: bigger, source: "test", origin: .user), replacing: true)
        let replaced = try catalog.refitFacts()
        let freshReplaced = try Self.fresh(catalog)
        #expect(replaced.predicted == total + 1 && replaced.kept == 0)
        #expect(replaced.facts == freshReplaced)
        #expect(replaced.facts.last?.observations.first?.decomposition != two.facts.last?.observations.first?.decomposition)
    }

    @Test("a card replaced by one of another memory, or a run edited in place, is predicted again")
    func replacedCardAndEditedRun() throws {
        let catalog = try RunImportTests.catalogWithModel()
        var card = try catalog.gpu(named: "RTX 3090")
        card.name = "Lab 3090"
        card.aliases = []
        _ = try catalog.addGPU(card)
        let labRun = #"{"id": "g1", "kind": "mem_at_batch", "model": "classic", "gpu": "Lab 3090", "batch_size": 64, "precision": "fp32", "optimizer": "sgd", "peak_allocated_bytes": 900000000, "device_used_bytes": 1500000000, "source": "lab"}"#
        _ = try catalog.importRuns(RunImportTests.parse(RunImportTests.goodRows + "\n" + labRun), file: "runs.jsonl")
        _ = try catalog.refitFacts()
        let total = try Self.runCount(catalog)

        // The newest card removed and added again with other memory: the same count and largest id.
        try catalog.removeGPU(named: "Lab 3090")
        card.memoryBytes /= 2
        _ = try catalog.addGPU(card)
        let replaced = try catalog.refitFacts()
        let freshReplaced = try Self.fresh(catalog)
        #expect(replaced.predicted == total && replaced.facts == freshReplaced)
        #expect(try catalog.calibrationIsStale())

        // A run edited in place (as a shell may): its facts are dropped and the calibration is stale again.
        _ = try catalog.currentCalibrations()
        #expect(try !catalog.calibrationIsStale())
        try catalog.write("editing") { db in
            try db.execute(sql: "UPDATE run SET batch_size = 32 WHERE run_key = 'lab:g1'")
        }
        #expect(try catalog.calibrationIsStale())
        let edited = try catalog.refitFacts()
        let freshEdited = try Self.fresh(catalog)
        #expect(edited.predicted == 1 && edited.facts == freshEdited)
    }

    @Test("a dropout of -0 asks what a dropout of 0 asks, as == has them equal")
    func negativeZeroDropout() {
        var zero = TrainingConfiguration(mode: .lora)
        zero.loraDropout = 0
        var negative = zero
        negative.loraDropout = -0.0
        #expect(zero == negative)
        #expect(RunEvidence.Questions.written(zero) == RunEvidence.Questions.written(negative))
        #expect(!RunEvidence.Questions.encoderProbe.isEmpty)
    }
}
