import BatchPlanCore

extension Catalog {
    /// Values fitted from measured inference runs for `gpu`: the runtime context (device used − peak reserved), the
    /// median over the card's inference runs, else over its architecture's. Training runs never enter it.
    ///
    /// The allocator reserve is not fitted: inference applies it to what one pass allocates and frees, which a run's
    /// two counters alone do not separate from its weights and cache.
    public func inferenceCalibration(gpu: GPU) throws(CatalogError) -> InferenceCalibration {
        let runs = try runsWithUsability().filter { $0.stored.run.phase == .inference && $0.gpu != nil }
        for (scope, matching) in [
            ("inference gpu \(gpu.name)", runs.filter { $0.gpu?.name == gpu.name }),
            ("inference architecture \(gpu.architecture)", runs.filter { $0.gpu?.architecture == gpu.architecture }),
        ] {
            let readings = matching.map(\.stored.run).filter { $0.outcome == .ok }
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
