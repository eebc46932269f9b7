import BatchPlanCore
import GRDB

extension Catalog {
    /// Values fitted from measured inference runs for `gpu`: the runtime context (device used − peak reserved), the
    /// median over the card's inference runs, else over its architecture's. Training runs never enter it.
    ///
    /// The allocator reserve is not fitted: inference applies it to what one pass allocates and frees, which a run's
    /// two counters alone do not separate from its weights and cache.
    public func inferenceCalibration(gpu: GPU) throws(CatalogError) -> InferenceCalibration {
        // Only inference rows, and each card name resolved once: training runs are most of the catalog.
        let runs: [(run: MeasuredRun, gpu: GPU)] = try read("reading inference runs") { db in
            let records = try RunRecord.filter(sql: "phase = 'inference' AND outcome = 'ok' AND gpu IS NOT NULL").fetchAll(db)
            var cards: [String: GPU?] = [:]
            return records.compactMap { record in
                let run = record.run
                guard let name = run.gpu else { return nil }
                if cards[name] == nil { cards[name] = .some(try? Self.resolveRunGPU(name, db)) }
                return (cards[name] ?? nil).map { (run, $0) }
            }
        }
        for (scope, matching) in [
            ("inference gpu \(gpu.name)", runs.filter { $0.gpu.name == gpu.name }),
            ("inference architecture \(gpu.architecture)", runs.filter { $0.gpu.architecture == gpu.architecture }),
        ] {
            let readings = matching.map(\.run)
            let contexts = readings.compactMap { run -> Int? in
                guard let used = run.deviceUsedBytes, let reserved = run.peakReservedBytes, used >= reserved else { return nil }
                return used - reserved
            }
            guard !contexts.isEmpty else { continue }
            return InferenceCalibration(
                runtimeContextBytes: Self.median(contexts.map(Double.init)).map { Int($0.rounded()) },
                runsUsed: contexts.count, scope: scope)
        }
        return .analytic
    }

    private static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
