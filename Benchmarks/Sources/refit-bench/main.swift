// A whole calibration refit over 100,000 stored runs, as the first plan after the runs changed pays it: read the
// runs from the catalog, predict each at its configuration, fit the memory and step-time calibrations.
//
//   swift run -c release --package-path Benchmarks refit-bench [RUNS] [REPETITIONS] [--digest FILE]
//       [--catalog FILE] [--read-and-predict] [--physical]
//
// --catalog keeps the prepared catalog in FILE (filled on the first run, reused as it is after), so repeated runs
// skip the import; --read-and-predict times only the first two stages; --digest writes out what a refit read and
// computed (Digest.swift), to compare two builds byte for byte. REFIT_BENCH_STAGES=calibration reads and predicts
// once and repeats only the two calibrations (for profiling the fitters); =kept times only reading every run's kept
// facts; =warm only the refit after one run was recorded. After the whole refit's stages it times what a plan pays
// (`Catalog.currentCalibrations`): the first refit with no run's facts kept, and the refit after one more run was
// recorded, whose fitted calibrations it compares with a whole fit's over the same runs. It ends with a digest of both fitted
// calibrations (FNV-1a of their JSON, scopes in order, keys sorted, fitting dates left out): equal digests before
// and after a change mean the same fit to the bit; with REFIT_BENCH_JSON=PATH that JSON is also written to PATH.
//
// The runs are the built-in usable runs as batch-size sweeps: copy i of a run is measured at a batch of 1 … its own
// (distinct run keys, the configuration otherwise the run's), its readings scaled in proportion to the batch (a
// timing workload, not evidence to learn from). With --physical only each run's predicted share of activations
// shrinks with the batch and every copy scatters within ±2%, as a real batch sweep reads: the proportional sweeps
// make the model states look batch-dependent, which pins the fitted model-state scale at its bound. (Give a
// --catalog of its own to each workload: a kept catalog is reused as it is.) Prints each stage's median.
import BatchPlanCatalog
import BenchSupport
import BatchPlanCore
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
/// Removes `--name VALUE` from the arguments and returns VALUE.
@MainActor func option(_ name: String) -> String? {
    guard let flag = arguments.firstIndex(of: name), flag + 1 < arguments.count else { return nil }
    defer { arguments.removeSubrange(flag...(flag + 1)) }
    return arguments[flag + 1]
}
let digestPath = option("--digest")
let keptPath = option("--catalog")
let readAndPredictOnly = arguments.contains("--read-and-predict")
arguments.removeAll { $0 == "--read-and-predict" }
let physical = arguments.contains("--physical")
arguments.removeAll { $0 == "--physical" }
let count = arguments.count > 0 ? Int(arguments[0]) ?? 100_000 : 100_000
let repetitions = arguments.count > 1 ? Int(arguments[1]) ?? 5 : 5
let path = keptPath ?? NSTemporaryDirectory() + "refit-bench-\(getpid()).sqlite"
let prepared = keptPath.map { FileManager.default.fileExists(atPath: $0) } ?? false
/// Removes a temporary catalog with its write-ahead log and shared-memory index (`exit` runs no `defer`).
func removeTemporaryCatalog() {
    guard keptPath == nil else { return }
    for file in [path, path + "-wal", path + "-shm"] { try? FileManager.default.removeItem(atPath: file) }
}
defer { removeTemporaryCatalog() }

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// CPU time of the whole process (every thread), seconds: on a loaded machine, what a stage costs apart from waiting.
func processorSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
/// CPU seconds of each timed stage, by stage name.
nonisolated(unsafe) var processorTimes: [String: [Double]] = [:]
func seconds(_ stage: String = "", _ body: () throws -> Void) rethrows -> Double {
    let start = Date()
    let processor = processorSeconds()
    try body()
    processorTimes[stage, default: []].append(processorSeconds() - processor)
    return Date().timeIntervalSince(start)
}
/// ", CPU median X s" for a stage.
func processor(_ stage: String) -> String { String(format: " (CPU %.3f s)", median(processorTimes[stage] ?? [0])) }

let catalog = try Catalog(path: path)
// A kept catalog is already filled: nothing to import.
let usable = prepared ? [] : try catalog.runsWithUsability().filter { $0.unusableReason == nil }
let base = usable.map(\.stored.run)
// --physical: each run's predicted activations at its own batch, by key, to shape its sweep.
var activationShare: [String: Double] = [:]
if physical {
    for prediction in RunEvidence.predictions(usable).predictions {
        let peak = prediction.estimate.decomposition
        let total = Double(peak.modelStates + peak.activations + peak.other)
        if total > 0 { activationShare[prediction.run.key] = Double(peak.activations) / total }
    }
}
var runs: [(line: Int, run: MeasuredRun)] = []
runs.reserveCapacity(count)
for index in 0..<(base.isEmpty ? 0 : count) {
    var run = base[index % base.count]
    let copy = index / base.count
    // Sweeps downward from the measured batch (1 … the run's batch, round robin), so scaled readings stay
    // within the card.
    let batch = 1 + copy % max(1, run.batchSize ?? 1)
    var scale = Double(batch) / Double(max(1, run.batchSize ?? 1))
    if physical {
        // Only the activations shrink with the batch (the predicted share of the peak at the run's own batch), and
        // each copy reads within ±2% of that (a deterministic spread, as repeated measurements scatter).
        let share = activationShare[run.key] ?? 0.5
        var hash = FNV1a()
        hash.combine("\(run.key)-\(copy)")
        let noise = Double(hash.value % 2001) / 1000 - 1
        scale = (1 - share * (1 - scale)) * (1 + 0.02 * noise)
    }
    func scaled(_ bytes: Int?) -> Int? { bytes.map { Int(Double($0) * scale) } }
    run.key = "\(run.key)-sweep\(copy)"
    // Stored as the user's runs: a built-in copy would be replaced, with the built-in runs, by the next build whose
    // seed differs, and a kept catalog would lose its sweeps.
    run.origin = .user
    run.batchSize = batch
    if run.kind == .memAtBatch {
        run.peakAllocatedBytes = scaled(run.peakAllocatedBytes)
        run.peakReservedBytes = scaled(run.peakReservedBytes)
        run.deviceUsedBytes = scaled(run.deviceUsedBytes)
    }
    if copy > 0 { runs.append((index + 1, run)) }
}
var summary: Catalog.ImportSummary?
let setup = try seconds {
    guard !prepared else { return }
    summary = try catalog.importRuns(RunFile.Parsed(runs: runs), file: "refit-bench", skipInvalid: true)
}
let stored = try catalog.runs().count
if prepared {
    print("catalog: \(stored) runs stored, kept from an earlier run")
} else {
    print(String(format: "catalog: %d runs stored (%d built-in usable runs as batch sweeps), set up in %.1f s", stored, base.count, setup))
}
if let summary, !summary.rejected.isEmpty || summary.duplicates > 0 {
    print("  import: \(summary.added) added, \(summary.duplicates) duplicates, \(summary.rejected.count) rejected, e.g. \(summary.rejected.first ?? "-")")
}

if let digestPath {
    try writeDigest(of: catalog, to: digestPath)
    print("digest written to \(digestPath)")
}
if repetitions < 1 {
    removeTemporaryCatalog()
    exit(0)
}

if ProcessInfo.processInfo.environment["REFIT_BENCH_STAGES"] == "kept" {
    // Only reading every run's kept facts (kept first if there are none), for profiling that read.
    _ = try catalog.refitFacts()
    var times: [Double] = []
    var read = Catalog.RefitFacts(facts: [], predicted: 0, kept: 0)
    for _ in 0..<repetitions { times.append(try seconds("kept") { read = try catalog.refitFacts() }) }
    print(String(format: "read %d runs' kept facts (%d predicted): median %.3f s", read.kept, read.predicted, median(times))
          + processor("kept"))
    exit(0)
}
let calibrationOnly = ProcessInfo.processInfo.environment["REFIT_BENCH_STAGES"] == "calibration"
// REFIT_BENCH_STAGES=warm: only the refits after one run was recorded (for profiling them).
let warmOnly = ProcessInfo.processInfo.environment["REFIT_BENCH_STAGES"] == "warm"
var reads: [Double] = [], predictions: [Double] = [], factTimes: [Double] = [], observationTimes: [Double] = []
var fits: [Double] = []
var throughputFits: [Double] = [], wholes: [Double] = []
var predicted = 0
var made: [RunEvidence.Prediction] = []
var model = CalibrationModel.analytic
var throughput = ThroughputCalibration(scopes: [:])
for repetition in 0..<(warmOnly ? 0 : repetitions) {
    if !calibrationOnly || repetition == 0 {
        var entries: [Catalog.RunWithUsability] = []
        reads.append(try seconds("read") { entries = try catalog.runsWithUsability() })
        predictions.append(seconds("predict") { made = RunEvidence.predictions(entries).predictions })
        predicted = made.count
    }
    if readAndPredictOnly { continue }
    var facts: [RunEvidence.RunFacts] = []
    factTimes.append(seconds("facts") { facts = RunEvidence.facts(made) })
    var observations: [CalibrationObservation] = []
    observationTimes.append(seconds("observations") { observations = RunEvidence.observations(facts) })
    fits.append(seconds("fit") { model = CalibrationFitter.fit(observations) })
    throughputFits.append(seconds("step-time") {
        throughput = ThroughputFitter().fit(RunEvidence.throughputObservations(facts))
    })
    if !calibrationOnly { wholes.append(try seconds("whole") { _ = try catalog.fitCalibration() }) }
}
if !warmOnly {
print(String(format: "read %d runs: median %.3f s", stored, median(reads)) + processor("read"))
print(String(format: "predict %d usable runs at their configurations: median %.3f s", predicted, median(predictions))
      + processor("predict"))
if readAndPredictOnly {
    removeTemporaryCatalog()
    exit(0)
}
print(String(format: "each run's facts (observations, step-time observation, what it asks): median %.3f s", median(factTimes))
      + processor("facts"))
print(String(format: "memory calibration (observations and gated fit): median %.3f s", median(zip(observationTimes, fits).map(+)))
      + String(format: " (observations %.3f s", median(observationTimes)) + processor("observations")
      + String(format: ", fit %.3f s", median(fits)) + processor("fit") + ")")
print(String(format: "step-time calibration (observations and fit): median %.3f s", median(throughputFits))
      + processor("step-time"))
}
if !calibrationOnly {
    if !warmOnly {
        print(String(format: "whole refit (Catalog.fitCalibration): median %.3f s (min %.3f, max %.3f, n=%d)",
                     median(wholes), wholes.min()!, wholes.max()!, repetitions) + processor("whole"))
    }
    let fitted = try catalog.fitCalibration()
    model = fitted.model
    throughput = fitted.throughput

    // What a plan pays when the runs changed (`Catalog.currentCalibrations`, which keeps each run's facts): the first
    // refit with none kept (after a new build, model or card), which predicts every run and keeps its facts, and a
    // refit after one more run was recorded, which predicts that run only. Both runs are removed again after.
    guard let template = try catalog.runsWithUsability().first(where: {
        $0.unusableReason == nil && $0.stored.run.kind == .memAtBatch
    })?.stored.run else { fatalError("no usable run to copy") }
    var colds: [Double] = [], warms: [Double] = []
    var kept = 0
    var sameAsWhole = true
    func fitDigest(_ memory: CalibrationModel, _ throughput: ThroughputCalibration) throws -> UInt64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        var json = try canonicalJSON(memory)
        json.append(contentsOf: Array("\n".utf8))
        json.append(try encoder.encode(throughput))
        return digest(json)
    }
    for repetition in 0..<repetitions {
        var keys: [String] = []
        func record(_ name: String) throws {
            var run = template
            run.key = "refit-bench-\(name)-\(repetition)-\(getpid())"
            run.origin = .user
            keys.append(run.key)
            _ = try catalog.importRuns(RunFile.Parsed(runs: [(1, run)]), file: "refit-bench")
        }
        if !warmOnly {
            try catalog.forgetRunFacts()
            try record("cold")
            colds.append(try seconds("cold") { _ = try catalog.currentCalibrations() })
        }
        try record("warm")
        var warm: (memory: CalibrationModel, throughput: ThroughputCalibration)?
        warms.append(try seconds("warm") { warm = try catalog.currentCalibrations() })
        kept = try catalog.refitFacts().kept
        if repetition == 0, let warm {
            // The refit from kept facts is the whole fit over the same runs, to the bit.
            let whole = try catalog.fitCalibration()
            sameAsWhole = try fitDigest(warm.memory, warm.throughput) == fitDigest(whole.model, whole.throughput)
        }
        for stored in try catalog.runs() where keys.contains(stored.run.key) { try catalog.removeRun(id: stored.id) }
    }
    if !warmOnly {
        print(String(format: "refit with no run's facts kept (predicts every run, keeps their facts): median %.3f s", median(colds))
              + processor("cold"))
    }
    print(String(format: "refit after one run was recorded (%d runs' facts kept, 1 predicted): median %.3f s", kept - 1,
                 median(warms)) + processor("warm") + (sameAsWhole ? ", the whole fit's to the bit" : ", DIFFERS from the whole fit"))
}
// The digest of both fitted calibrations, the dates left out.
let encoder = JSONEncoder()
encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
var json = try canonicalJSON(model)
json.append(contentsOf: Array("\n".utf8))
json.append(try encoder.encode(throughput))
print(String(format: "fitted model digest %016llx (%d scopes, %d step-time scopes)", digest(json), model.factors.count,
             throughput.scopes.count))
if let out = ProcessInfo.processInfo.environment["REFIT_BENCH_JSON"] {
    try json.write(to: URL(fileURLWithPath: out))
}
removeTemporaryCatalog()
