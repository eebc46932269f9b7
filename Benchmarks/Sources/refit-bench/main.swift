// A whole calibration refit over 100,000 stored runs, as the first plan after the runs changed pays it: read the
// runs from the catalog, predict each at its configuration, fit the memory and step-time calibrations.
//
//   swift run -c release --package-path Benchmarks refit-bench [RUNS] [REPETITIONS] [CATALOG]
//
// With CATALOG, the catalog is kept in that file and reused when it already holds the runs (the setup, ~40 s for
// 100,000 runs, is then paid once). It ends with a digest of both fitted calibrations (FNV-1a of their JSON, scopes
// in order, keys sorted, fitting dates left out): equal digests before and after a change mean the same fit to the
// bit. With REFIT_BENCH_JSON=PATH set, that JSON is also written to PATH.
//
// The runs are the built-in usable runs as batch-size sweeps: copy i of a run is measured at a batch of 1 … its own
// (distinct run keys, the configuration otherwise the run's), its readings scaled in proportion to the batch (a
// timing workload, not evidence to learn from). Prints each stage's median.
import BatchPlanCatalog
import BatchPlanCore
import Foundation

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 100_000 : 100_000
let repetitions = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 5 : 5
let kept = CommandLine.arguments.count > 3 ? CommandLine.arguments[3] : nil
let path = kept ?? NSTemporaryDirectory() + "refit-bench-\(getpid()).sqlite"
defer { if kept == nil { try? FileManager.default.removeItem(atPath: path) } }

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// The fitted memory calibration as JSON that does not depend on the process: scopes in order (a dictionary keyed
/// by a struct encodes in its hashing order, which is seeded per process), keys sorted, fitting dates left out.
func canonicalJSON(_ model: CalibrationModel) throws -> Data {
    struct Entry: Encodable {
        var scope: String
        var factors: CalibrationFactors
        var parameters: CalibrationParameters?
    }
    let entries = model.factors.keys.sorted { "\($0)" < "\($1)" }.map { scope in
        var factors = model.factors[scope]!
        factors.fittedAt = nil
        return Entry(scope: "\(scope)", factors: factors, parameters: model.parameters[scope])
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    return try encoder.encode(entries)
}

/// FNV-1a, 64 bits: a digest to compare fits by.
func digest(_ data: Data) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
}

/// Wall seconds of `body`; its processor seconds (all threads) are added to `cpu`, when given.
func seconds(cpu: UnsafeMutablePointer<[Double]>? = nil, _ body: () throws -> Void) rethrows -> Double {
    func processorSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
    let start = Date()
    let startCPU = processorSeconds()
    try body()
    cpu?.pointee.append(processorSeconds() - startCPU)
    return Date().timeIntervalSince(start)
}

let catalog = try Catalog(path: path)
// The built-in runs, from a catalog of nothing else (a kept catalog holds the copies too).
let base = try Catalog(path: ":memory:").runsWithUsability().filter { $0.unusableReason == nil }.map(\.stored.run)
var runs: [(line: Int, run: MeasuredRun)] = []
runs.reserveCapacity(count)
for index in 0..<count {
    var run = base[index % base.count]
    let copy = index / base.count
    // Sweeps downward from the measured batch (1 … the run's batch, round robin), so scaled readings stay
    // within the card.
    let batch = 1 + copy % max(1, run.batchSize ?? 1)
    let scale = Double(batch) / Double(max(1, run.batchSize ?? 1))
    func scaled(_ bytes: Int?) -> Int? { bytes.map { Int(Double($0) * scale) } }
    run.key = "\(run.key)-sweep\(copy)"
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
    if try catalog.runs().count < base.count + runs.count {
        summary = try catalog.importRuns(RunFile.Parsed(runs: runs), file: "refit-bench", skipInvalid: true)
    }
}
let stored = try catalog.runs().count
print(String(format: "catalog: %d runs stored (%d built-in usable runs as batch sweeps), set up in %.1f s", stored, base.count, setup))
if let summary, !summary.rejected.isEmpty || summary.duplicates > 0 {
    print("  import: \(summary.added) added, \(summary.duplicates) duplicates, \(summary.rejected.count) rejected, e.g. \(summary.rejected.first ?? "-")")
}

// REFIT_BENCH_STAGES=calibration reads and predicts the runs once and repeats only the two calibrations (for
// profiling the fitters); the whole refit is then not timed.
let calibrationOnly = ProcessInfo.processInfo.environment["REFIT_BENCH_STAGES"] == "calibration"
var reads: [Double] = [], predictions: [Double] = [], observationTimes: [Double] = [], fits: [Double] = []
var throughputFits: [Double] = [], wholes: [Double] = []
// Processor seconds of the same stages: a loaded machine stretches wall time far more than these.
var observationCPU: [Double] = [], fitCPU: [Double] = [], throughputCPU: [Double] = []
var predicted = 0
var made: [RunEvidence.Prediction] = []
var model = CalibrationModel.analytic
var throughput = ThroughputCalibration(scopes: [:], sources: [])
for repetition in 0..<repetitions {
    if !calibrationOnly || repetition == 0 {
        var entries: [Catalog.RunWithUsability] = []
        reads.append(try seconds { entries = try catalog.runsWithUsability() })
        predictions.append(seconds { made = RunEvidence.predictions(entries).predictions })
        predicted = made.count
    }
    var observations: [CalibrationObservation] = []
    observationTimes.append(seconds(cpu: &observationCPU) { observations = RunEvidence.observations(made) })
    fits.append(seconds(cpu: &fitCPU) { model = CalibrationFitter.fit(observations) })
    throughputFits.append(seconds(cpu: &throughputCPU) {
        throughput = ThroughputFitter().fit(ThroughputEvidence.observations(made))
    })
    if !calibrationOnly { wholes.append(try seconds { _ = try catalog.fitCalibration() }) }
}
let memory = zip(observationTimes, fits).map(+)
print(String(format: "read %d runs: median %.3f s", stored, median(reads)))
print(String(format: "predict %d usable runs at their configurations: median %.3f s", predicted, median(predictions)))
print(String(format: "memory calibration (observations and gated fit): median %.3f s (observations %.3f s, fit %.3f s)",
             median(memory), median(observationTimes), median(fits)))
print(String(format: "  processor time: observations %.3f s, fit %.3f s (all threads, medians)", median(observationCPU),
             median(fitCPU)))
print(String(format: "step-time calibration (observations and fit): median %.3f s (processor %.3f s)",
             median(throughputFits), median(throughputCPU)))
if !calibrationOnly {
    print(String(format: "whole refit (Catalog.fitCalibration): median %.3f s (min %.3f, max %.3f, n=%d)",
                 median(wholes), wholes.min()!, wholes.max()!, repetitions))
}

// The digest of both fitted calibrations, the dates left out.
if !calibrationOnly {
    let fitted = try catalog.fitCalibration()
    model = fitted.model
    throughput = fitted.throughput
}
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
