import BatchPlanCatalog
import BenchSupport
import BatchPlanCore
import Foundation

// Benchmarks (wall time, median of several repetitions, release build):
//  1. `fit --memory 12GB` over the whole built-in zoo and every combination (all precisions, optimizers,
//     checkpointing modes and training modes), the planner's heaviest path.
//  2. A calibration fit over 100,000 synthetic runs.
//  3. Accounting every zoo model (what `models show --layers` costs), the largest one separately.

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}


func time(_ repetitions: Int, _ body: () throws -> Void) rethrows -> [Double] {
    var samples: [Double] = []
    for _ in 0..<repetitions {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return samples
}

let repetitions = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 5
let catalog = try Catalog(path: ":memory:")
let models = try catalog.models()

var accountings: [ModelAccounting] = []
let accountTimes = try time(1) { accountings = try models.map { try $0.definition.account() } }
let largest = models.max { $0.parameters < $1.parameters }!
let largestTimes = try time(repetitions) { _ = try largest.definition.account() }
print(String(format: "accounting: all %d zoo models %.3f s; largest (%@, %d layers) median %.4f s", models.count,
             accountTimes[0], largest.name, accountings.map(\.layers.count).max() ?? 0, median(largestTimes)))

let card = GPU(
    name: "12 GiB card", vendor: .nvidia, architecture: "ampere", segment: "other", memoryBytes: 12 << 30,
    marketedMemory: "12GB", marketedMemoryBytes: 12 << 30, tf32TFLOPS: 1, supportsBF16: true, supportsFP8: false,
    sourceURL: "benchmark", origin: .user)
var candidates = 0
let fitTimes = try time(repetitions) {
    let results = try Planner.fit(models: accountings, gpus: [card])
    candidates = results.reduce(0) { $0 + $1.alternatives.count + ($1.best == nil ? 0 : 1) }
}
print(String(format: "fit --memory 12GB, whole zoo, every combination: %d plans evaluated, median %.3f s (min %.3f, max %.3f, n=%d)",
             candidates, median(fitTimes), fitTimes.min()!, fitTimes.max()!, repetitions))

var calibrationModel = CalibrationModel.analytic
let calibrationTimes = (0..<repetitions).map { _ in
    let (seconds, model) = CalibrationSynthesis.timeBenchmarkFit(count: 100_000)
    calibrationModel = model
    return seconds
}
// A digest of the fitted model: equal digests before and after a change to the fitter mean the same fit to the bit.
print(String(format: "calibration fit over 100,000 runs: median %.3f s (min %.3f, max %.3f, n=%d)",
             median(calibrationTimes), calibrationTimes.min()!, calibrationTimes.max()!, repetitions))
print(String(format: "  fitted model digest %016llx", digest(try canonicalJSON(calibrationModel))))
