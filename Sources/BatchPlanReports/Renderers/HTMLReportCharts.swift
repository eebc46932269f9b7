import BatchPlanCore

/// Builds the report's chart values from a planning report: the only place that decides what each chart shows.
enum HTMLReportCharts {
    /// (a) The largest batch per combination on one card, one group per model, chosen plans marked, colored by
    /// precision.
    static func maxBatch(card: CardSection, id: String) -> HorizontalBarChart {
        let used = Set(card.models.flatMap { [$0.best.precision] + $0.alternatives.map(\.plan.precision) })
        let groups = card.models.map { plans in
            HorizontalBarChart.Group(
                heading: plans.model,
                bars: ([plans.best] + plans.alternatives.map(\.plan)).enumerated().map { rank, plan in
                    var valueLabel = plan.fits ? "\(plan.maxBatchSize)" : "does not fit"
                    if rank == 0 { valueLabel += plan.fits ? " (chosen)" : " (closest)" }
                    return .init(
                        label: plan.combinationLabel, value: Double(plan.fits ? plan.maxBatchSize : 0),
                        valueLabel: valueLabel, series: series(of: plan.precision), emphasized: rank == 0)
                })
        }
        return HorizontalBarChart(
            id: id, title: "Largest batch that fits on \(card.gpuName)", groups: groups,
            legend: precisionOrder.filter(used.contains).map { LegendEntry(name: "precision \($0.rawValue)", series: series(of: $0)) },
            axisTitle: "largest micro-batch that fits (samples)")
    }

    /// Precisions in the order that picks their colors, the common mixed precisions first, so a precision keeps its
    /// color and hatch on every chart of the page.
    static let precisionOrder: [Precision] = [.bf16Amp, .fp16Amp, .fp32, .tf32, .bf16, .fp16, .fp8]

    static func series(of precision: Precision) -> Int { precisionOrder.firstIndex(of: precision) ?? 0 }

    /// A component's color and hatch: its place among the contract keys, so it is the same in every chart.
    static func series(ofComponent key: String) -> Int {
        MemoryComponent.standardKeys.firstIndex(of: key) ?? MemoryComponent.standardKeys.count
    }

    /// (b) The memory breakdown of each chosen plan on one card against its capacity and headroom limit.
    static func breakdown(card: CardSection, id: String) -> StackedBarChart {
        StackedBarChart(
            id: id, title: "Where the memory goes on \(card.gpuName) (chosen plans)",
            rows: card.models.map { plans in
                .init(
                    label: plans.best.fits ? plans.model : "\(plans.model) (does not fit)",
                    // A calibration adjustment below zero takes from the other slices; a bar draws only positive ones.
                    segments: plans.best.components.filter { $0.bytes > 0 }.map {
                        .init(
                            name: MemoryComponent.displayName(of: $0.key), bytes: $0.bytes, series: series(ofComponent: $0.key))
                    },
                    limitBytes: card.memoryBytes - plans.best.headroomBytes)
            },
            capacityBytes: card.memoryBytes)
    }

    /// (c) Device memory against batch size per precision/optimizer, with capacity, headroom and the crossings.
    static func curves(card: CardSection, plans: ModelPlans, id: String) -> LineChart? {
        guard !plans.curves.isEmpty else { return nil }
        let limit = card.memoryBytes - plans.best.headroomBytes
        let series = plans.curves.map { curve in
            LineChart.Series(
                name: curve.label,
                points: curve.points.map { .init(x: Double($0.batchSize), y: Double($0.deviceUsedBytes)) })
        }
        let markers = plans.curves.enumerated().compactMap { index, curve -> LineChart.Marker? in
            guard let batch = curve.maxBatchSize, let y = interpolate(curve.points, at: batch) else { return nil }
            return .init(series: index, point: .init(x: Double(batch), y: y), label: "max \(batch)")
        }
        return LineChart(
            id: id, title: "\(plans.model) on \(card.gpuName): memory against batch size", series: series,
            rules: [
                .init(label: "capacity \(ReportWording.bytes(card.memoryBytes))", y: Double(card.memoryBytes)),
                .init(label: "headroom limit \(ReportWording.bytes(limit))", y: Double(limit), dashed: true),
            ],
            markers: markers, xTitle: "micro-batch size (samples)", yTitle: "predicted device memory (GiB)")
    }

    /// (c′) Estimated throughput against batch size for the chosen combination, with and without block
    /// checkpointing: where a bigger micro-batch stops paying, and what recomputation costs.
    static func throughput(card: CardSection, plans: ModelPlans, id: String) -> LineChart? {
        guard !plans.throughputCurves.isEmpty else { return nil }
        let series = plans.throughputCurves.map { curve in
            LineChart.Series(name: curve.label, points: curve.points.map { .init(x: Double($0.batchSize), y: $0.samplesPerSecond) })
        }
        let markers = plans.throughputCurves.enumerated().compactMap { index, curve -> LineChart.Marker? in
            guard let last = curve.points.last, last.batchSize == curve.maxBatchSize else { return nil }
            return .init(series: index, point: .init(x: Double(last.batchSize), y: last.samplesPerSecond), label: "max \(last.batchSize)")
        }
        return LineChart(
            id: id, title: "\(plans.model) on \(card.gpuName): estimated throughput against batch size", series: series,
            markers: markers, xTitle: "micro-batch size (samples)", yTitle: "estimated samples per second", yUnit: .count)
    }

    /// (d) Measured against predicted device memory for the runs behind the calibration.
    static func measuredVsPredicted(_ points: [MeasuredPoint], id: String) -> ScatterChart? {
        guard !points.isEmpty else { return nil }
        return ScatterChart(
            id: id, title: "Measured versus predicted device memory",
            points: points.map { .init(label: $0.label, predicted: Double($0.predictedBytes), measured: Double($0.measuredBytes)) })
    }

    /// Memory at `batch` on a curve, linearly between its points; `nil` outside them.
    static func interpolate(_ points: [CurvePoint], at batch: Int) -> Double? {
        if let exact = points.first(where: { $0.batchSize == batch }) { return Double(exact.deviceUsedBytes) }
        for (a, b) in zip(points, points.dropFirst()) where a.batchSize < batch && batch < b.batchSize {
            let t = Double(batch - a.batchSize) / Double(b.batchSize - a.batchSize)
            return Double(a.deviceUsedBytes) + t * Double(b.deviceUsedBytes - a.deviceUsedBytes)
        }
        return nil
    }
}
