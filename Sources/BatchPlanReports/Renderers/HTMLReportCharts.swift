/// Builds the report's chart values from a planning report: the only place that decides what each chart shows.
enum HTMLReportCharts {
    /// (a) The largest batch per model × combination on one card, chosen plans marked, colored by precision.
    static func maxBatch(card: CardSection, id: String) -> HorizontalBarChart {
        var precisions: [String] = []
        var bars: [HorizontalBarChart.Bar] = []
        for plans in card.models {
            for (rank, plan) in ([plans.best] + plans.alternatives.map(\.plan)).enumerated() {
                let precision = plan.precision.rawValue
                if !precisions.contains(precision) { precisions.append(precision) }
                var valueLabel = plan.fits ? "\(plan.maxBatchSize)" : "does not fit"
                if rank == 0 && plan.fits { valueLabel += " (chosen)" }
                bars.append(
                    .init(
                        label: "\(plans.model) · \(plan.combinationLabel)", value: Double(plan.fits ? plan.maxBatchSize : 0),
                        valueLabel: valueLabel, series: precisions.firstIndex(of: precision)!, emphasized: rank == 0))
            }
        }
        return HorizontalBarChart(
            id: id, title: "Largest batch that fits on \(card.gpuName)", bars: bars,
            legend: precisions.map { "precision \($0)" }, axisTitle: "largest micro-batch that fits (samples)")
    }

    /// (b) The memory breakdown of each chosen plan on one card against its capacity and headroom limit.
    static func breakdown(card: CardSection, id: String) -> StackedBarChart {
        StackedBarChart(
            id: id, title: "Where the memory goes on \(card.gpuName) (chosen plans)",
            rows: card.models.map { plans in
                .init(
                    label: plans.model,
                    segments: plans.best.components.map {
                        .init(name: MemoryComponent.displayName(of: $0.key), bytes: $0.bytes)
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
