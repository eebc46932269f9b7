import BatchPlanCore
import Testing

@testable import BatchPlanCatalog

/// `RunEvidence.predictions` predicts each recipe once and splits large catalogs over the cores; neither may change a
/// prediction, its order, or which runs are skipped and why.
@Suite("Predicting runs by recipe and in stretches")
struct RunPredictorTests {
    /// The built-in runs, then copies of the usable ones at other batches and with settings the planner rejects
    /// (a batch of 0, no accumulation steps, fp8 on a card without it), interleaved so that stretches and recipes
    /// cross.
    static func entries() throws -> [Catalog.RunWithUsability] {
        let builtin = try Catalog(path: ":memory:").runsWithUsability()
        var entries = builtin
        for (index, entry) in builtin.enumerated() where entry.unusableReason == nil {
            var copy = entry
            copy.stored.id += 100_000
            copy.stored.run.key += "-copy"
            switch index % 5 {
            case 0: copy.stored.run.batchSize = 0
            case 1: copy.stored.run.gradAccumSteps = 0
            case 2: copy.stored.run.precision = .fp8
            case 3: copy.stored.run.batchSize = (entry.stored.run.batchSize ?? 1) * 2
            default:
                copy.stored.run.batchSize = 0
                copy.stored.run.gradAccumSteps = 0
            }
            entries.insert(copy, at: (index * 7) % entries.count)
        }
        return entries
    }

    /// What a prediction says, as one comparable value.
    static func fields(_ prediction: RunEvidence.Prediction) -> [AnyHashable] {
        [prediction.run, prediction.gpu, prediction.model, prediction.accounting, prediction.accountingKey,
         prediction.configuration, prediction.estimate]
    }

    @Test("predicting in stretches on several cores gives the serial predictions, in order, and skips the same runs")
    func stretchesMatchSerial() throws {
        let entries = try Self.entries()
        let serial = RunEvidence.predictions(entries, concurrency: 1)
        let parted = RunEvidence.predictions(entries, concurrency: 3, minimumRunsPerPart: 100)
        #expect(serial.predictions.count > 400)
        #expect(serial.skipped.count > 100)
        #expect(parted.predictions.map(Self.fields) == serial.predictions.map(Self.fields))
        #expect(parted.skipped.map { "\($0.0.id) \($0.1)" } == serial.skipped.map { "\($0.0.id) \($0.1)" })
    }

    @Test("observations made in stretches on every core are the single pass's, in order")
    func observationsInStretchesMatchOnePass() throws {
        let predictions = RunEvidence.predictions(try Self.entries(), concurrency: 1).predictions
        let whole = RunEvidence.observations(predictions, minimumRunsPerPart: .max)
        let split = RunEvidence.observations(predictions, minimumRunsPerPart: 100, concurrency: 3)
        #expect(whole.count > predictions.count)
        #expect(split == whole)
    }

    @Test("no runs, or only unusable ones, give no predictions on one core or several", arguments: [1, 3])
    func nothingToPredict(concurrency: Int) throws {
        let unusable = try Self.entries().filter { $0.unusableReason != nil }
        #expect(!unusable.isEmpty)
        for runs in [[], unusable] {
            let predicted = RunEvidence.predictions(runs, concurrency: concurrency, minimumRunsPerPart: 10)
            #expect(predicted.predictions.isEmpty && predicted.skipped.isEmpty)
        }
    }

    @Test("each run is predicted, or skipped with the reason, exactly as accounting and estimating it alone would")
    func recipesMatchPerRun() throws {
        let entries = try Self.entries()
        let predicted = RunEvidence.predictions(entries, concurrency: 1)
        var (predictions, skipped) = (predicted.predictions[...], predicted.skipped[...])
        for entry in entries where entry.unusableReason == nil {
            let run = entry.stored.run
            let (gpu, model) = (try #require(entry.gpu), try #require(entry.model))
            let alone = Result { () throws(CoreError) -> (ModelAccounting, TrainingConfiguration, MemoryEstimate) in
                let options = RunEvidence.accountingOptions(for: run, family: model.family)
                let accounting = try model.definition.account(options).asTrained(by: RunEvidence.configuration(for: run))
                let configuration = RunEvidence.configuration(for: run, accounting: accounting)
                var estimate = try Planner.estimate(model: accounting, gpu: gpu, configuration: configuration)
                estimate.assumptions = []
                return (accounting, configuration, estimate)
            }
            switch alone {
            case .success(let (accounting, configuration, estimate)):
                let next = predictions.popFirst()
                let prediction = try #require(next, "\(run.key) was not predicted")
                #expect(prediction.run == run)
                #expect(prediction.accounting == accounting)
                #expect(prediction.configuration == configuration)
                #expect(prediction.estimate == estimate, "\(run.key)")
            case .failure(let error):
                let next = skipped.popFirst()
                let (stored, reason) = try #require(next, "\(run.key) was not skipped")
                #expect(stored.id == entry.stored.id)
                #expect(reason == error.description, "\(run.key)")
            }
        }
        #expect(predictions.isEmpty && skipped.isEmpty)
    }
}
