import BatchPlanCore
import Foundation
import Testing

@testable import BatchPlanCatalog

/// Outcome constraints under a framework batchplan has no profile for: "ran at N, out of memory at N + 1" for two
/// models of a family must move the family's activation scale so that it carries to the family's other sizes and to
/// other sequence lengths.
@Suite("Calibration from constraints carries across a family")
struct CalibrationConstraintCarryTests {
    /// What the "true" framework does in this test: 1.6× the activations PyTorch's accounting predicts.
    static let truth = CalibrationFactors(activationScale: 1.6, runsUsed: 1)
    static let framework = "tensorflow-1.11"

    static func configuration(_ framework: Framework) -> TrainingConfiguration {
        TrainingConfiguration(precision: .fp32, optimizer: .adam, framework: framework)
    }

    static func maxBatch(_ catalog: Catalog, model: String, seq: Int, gpu: GPU, factors: CalibrationFactors) throws -> Int {
        let accounting = try catalog.model(named: model).definition.account(AccountingOptions(input: .sequence(length: seq)))
        let framework = try Framework(parsing: framework)
        return try Planner.maxBatch(
            model: accounting, gpu: gpu, configuration: configuration(framework), calibration: factors,
            options: SolverOptions(headroom: .bytes(0))).maxBatchSize
    }

    @Test("two models' ran/OOM pairs under tensorflow-1.11 put the family's other sizes and lengths within a step")
    func constraintsCarry() throws {
        let catalog = try Catalog(path: temporaryCatalogPath())
        let gpu = try catalog.gpu(named: "RTX 3090")
        var rows: [String] = []
        for (index, model) in ["gpt2", "gpt2-medium"].enumerated() {
            let n = try Self.maxBatch(catalog, model: model, seq: 512, gpu: gpu, factors: Self.truth)
            #expect(n >= 2)
            for (kind, batch) in [("fits", n), ("oom", n + 1)] {
                rows.append(#"{"id": "tf-\#(index)-\#(kind)", "kind": "\#(kind)", "model": "\#(model)", "gpu": "RTX 3090", "framework": "\#(Self.framework)", "precision": "fp32", "optimizer": "adam", "seq_len": 512, "batch_size": \#(batch), "source": "lab"}"#)
            }
        }
        let summary = try catalog.importRuns(
            RunFile.parse(data: Data(rows.joined(separator: "\n").utf8), file: "tf.jsonl", now: "2026-12-04T00:00:00Z"),
            file: "tf.jsonl")
        #expect(summary.added == 4)
        let calibration = try catalog.fitCalibration().model
        let framework = try Framework(parsing: Self.framework)

        var calibratedWithin = 0
        var analyticWithin = 0
        var cases = 0
        var lines: [String] = []
        for model in ["gpt2", "gpt2-medium", "gpt2-large"] {
            for seq in [128, 256, 1024] {
                let truth = try Self.maxBatch(catalog, model: model, seq: seq, gpu: gpu, factors: Self.truth)
                guard truth >= 1 else { continue }
                var factors = calibration.factors(for: try catalog.model(named: model), gpu: gpu, framework: framework)
                factors.logSpread = 0
                let calibrated = try Self.maxBatch(catalog, model: model, seq: seq, gpu: gpu, factors: factors)
                let analytic = try Self.maxBatch(catalog, model: model, seq: seq, gpu: gpu, factors: .analytic)
                func within(_ predicted: Int) -> Bool {
                    abs(predicted - truth) <= 1 || abs(Double(predicted) / Double(truth) - 1) <= 0.26
                }
                cases += 1
                if within(calibrated) { calibratedWithin += 1 }
                if within(analytic) { analyticWithin += 1 }
                lines.append("\(model) seq \(seq): true \(truth), calibrated \(calibrated) (\(factors.scope)), analytic \(analytic)")
            }
        }
        print(lines.joined(separator: "\n"))
        #expect(cases >= 8)
        #expect(Double(calibratedWithin) >= 0.75 * Double(cases), "\(calibratedWithin) of \(cases) within one step or 26%")
        #expect(analyticWithin < calibratedWithin, "the constraints must have moved something")
    }
}
