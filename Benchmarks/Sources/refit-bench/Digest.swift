// What a refit read and computed, written out in full so that two builds can be compared byte for byte
// (`refit-bench RUNS REPETITIONS --digest FILE`): every stored run as read with its usability, every prediction
// (configuration, accounting key, estimate), every distinct accounting once, the skipped runs, and both fitted
// calibrations. Doubles print as their shortest round-tripping text, so equal text is equal bits.
import BatchPlanCatalog
import BatchPlanCore
import Foundation

/// Writes the digest of a refit over `catalog`'s runs to `path`.
func writeDigest(of catalog: Catalog, to path: String) throws {
    var text = ""
    let entries = try catalog.runsWithUsability()
    for entry in entries {
        text += "run \(entry.stored.id)\t\(entry.unusableReason ?? "-")\t\(entry.gpu.map { "\($0)" } ?? "-")\t"
        text += "\(entry.model?.name ?? "-")\t\(String(reflecting: entry.stored.run))\n"
    }
    let (predictions, skipped) = RunEvidence.predictions(entries)
    var accountings: Set<String> = []
    for prediction in predictions {
        text += "prediction \(prediction.run.key)\t\(prediction.accountingKey)\t\(prediction.gpu.name)\t"
        text += "\(prediction.model.name)\t\(prediction.configuration)\t\(prediction.estimate)\n"
        if accountings.insert(prediction.accountingKey).inserted {
            text += "accounting \(prediction.accountingKey)\t\(prediction.accounting)\n"
        }
    }
    for (stored, reason) in skipped { text += "skipped \(stored.id)\t\(reason)\n" }
    var fitted = try catalog.fitCalibration()
    fitted.model.fittedAt = nil
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    text += "memory calibration \(String(decoding: try encoder.encode(fitted.model), as: UTF8.self))\n"
    text += "step-time calibration \(String(decoding: try encoder.encode(fitted.throughput), as: UTF8.self))\n"
    text += "observations \(fitted.observations.count) predictions \(fitted.predictions.count) skipped \(fitted.skipped.count)\n"
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}
