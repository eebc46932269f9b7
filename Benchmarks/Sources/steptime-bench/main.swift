import BatchPlanCatalog
import BatchPlanCore
import Foundation

// The step-time model against measured step times it did not learn from (leave-one-model-out): every built-in run
// with a `step_time_ms` (our H100 runs, data/runs/measured-h100-2026-11-26.jsonl), each model's runs predicted by a
// fit over the other models' runs. Prints the median |error| of the step time and the Spearman rank correlation of
// time per sample (the order of plans) per card and per model, calibrated and uncalibrated.
//   swift run -c release --package-path Benchmarks steptime-bench [--rows]

let catalog = try Catalog(path: ":memory:")
let observations = try catalog.throughputObservations()
let showRows = CommandLine.arguments.contains("--rows")

func report(_ name: String, _ validation: ThroughputCrossValidation) {
    print("\(name): \(validation.rows.count) runs, median |error| \(String(format: "%.1f", validation.medianAbsoluteError * 100))%")
    for card in Set(validation.rows.map(\.observation.path.gpu)).sorted() {
        let rows = validation.rows.filter { $0.observation.path.gpu == card }
        print(String(format: "  %@: Spearman (time per sample, all plans) %.3f over %d runs", card,
                     ThroughputCrossValidation.spearman(rows), rows.count))
        for model in Set(rows.map(\.observation.path.model)).sorted() {
            let own = rows.filter { $0.observation.path.model == model }
            let errors = own.map { abs($0.relativeError) }.sorted()
            print(String(format: "    %-18@ n=%3d  median |error| %5.1f%%  Spearman %.3f  scope %@", model as NSString,
                         own.count, errors[errors.count / 2] * 100, ThroughputCrossValidation.spearman(own), own[0].scope))
        }
    }
}

report("calibrated (leave-one-model-out)", ThroughputCrossValidation(observations))
report("uncalibrated defaults", ThroughputCrossValidation(observations, uncalibrated: true))
let all = ThroughputFitter().fit(observations)
for key in all.scopes.keys.sorted() {
    let f = all.scopes[key]!
    print(String(format: "scope %-28@ runs %3d  tensor-core utilisation %.1f%%  fp32 utilisation %.1f%%  bandwidth %.0f%%  overhead %.1f µs/pass  median |error| %.1f%%",
                 key as NSString, f.runsUsed, f.utilization(tensorCores: true) * 100, f.utilization(tensorCores: false) * 100,
                 f.bandwidthEfficiency * 100, f.overheadPerPassSeconds * 1e6, f.medianRelativeError * 100))
}
if showRows {
    for row in ThroughputCrossValidation(observations).rows {
        print(String(format: "%-18@ %-40@ measured %8.2f ms predicted %8.2f ms (%+.0f%%)", row.observation.path.model as NSString,
                     row.observation.label as NSString, row.observation.measuredSeconds * 1000, row.predictedSeconds * 1000,
                     row.relativeError * 100))
    }
}
