import BatchPlanCore
import Testing

@testable import BatchPlanCatalog

@Suite("Predicting runs through the estimate cache")
struct EstimateCacheTests {
    @Test("every built-in run is predicted exactly as Planner.estimate predicts it")
    func sameAsPlanner() throws {
        let catalog = try Catalog(path: ":memory:")
        let (predictions, _) = RunEvidence.predictions(try catalog.runsWithUsability())
        #expect(predictions.count > 300)
        var mismatches: [String] = []
        for prediction in predictions {
            var direct = try Planner.estimate(
                model: prediction.accounting, gpu: prediction.gpu, configuration: prediction.configuration)
            direct.assumptions = []
            if direct != prediction.estimate { mismatches.append(prediction.run.key) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test("runs that differ only in batch share one phase model and still get their own batch")
    func batchesDiffer() throws {
        let catalog = try Catalog(path: ":memory:")
        let model = try catalog.model(named: "resnet50").definition.account(AccountingOptions())
        let gpu = try catalog.gpu(named: "RTX 3090")
        var cache = EstimateCache()
        var configuration = TrainingConfiguration(precision: .bf16Amp, optimizer: .adamw, batchSize: 8)
        let at8 = try cache.estimate(model: model, key: "resnet50", gpu: gpu, configuration: configuration)
        configuration.batchSize = 64
        let at64 = try cache.estimate(model: model, key: "resnet50", gpu: gpu, configuration: configuration)
        var direct = try Planner.estimate(model: model, gpu: gpu, configuration: configuration)
        direct.assumptions = []
        #expect(at64 == direct)
        #expect(at64.deviceUsedBytes > at8.deviceUsedBytes)
        #expect(at64.configuration.batchSize == 64)
        configuration.batchSize = 0
        #expect(throws: CoreError.self) { try cache.estimate(model: model, key: "resnet50", gpu: gpu, configuration: configuration) }
    }
}
