/// Writes the report as the documented JSON contract (docs/report-json.md): keys sorted, nulls explicit.
public struct JSONReportRenderer: ReportRenderer {
    /// The contract version; bumped only when a field is removed or changes meaning (adding a field does not).
    public static let schemaVersion = 1

    public init() {}

    public var fileExtension: String { "json" }

    public func render(_ report: PlanningReport) throws(ReportError) -> String {
        try document(report).serialized() + "\n"
    }

    /// The report as a JSON value. Field names are the contract: change them only with a schema_version bump.
    public func document(_ report: PlanningReport) -> JSONValue {
        let calibration = report.calibration
        return .object([
            "schema_version": .int(Self.schemaVersion),
            "kind": .string("planning_report"),
            "title": .string(report.title),
            "question": .string(report.question),
            "generated_at": .string(ReportWording.timestamp(report.generatedAt)),
            "versions": .object([
                "batchplan": .string(report.versions.batchplan),
                "catalog_schema": .string(report.versions.catalogSchema),
                "data": .string(report.versions.data),
            ]),
            "assumptions": .array(report.assumptions.map(JSONValue.string)),
            "calibration": .object([
                "scope": .string(calibration.scope),
                "runs_used": .int(calibration.runsUsed),
                "cv_median_relative_error": .optional(calibration.crossValidatedMedianError, JSONValue.double),
                "cv_p90_relative_error": .optional(calibration.crossValidatedP90Error, JSONValue.double),
            ]),
            "cards": .array(report.cards.map(card)),
            "measured_vs_predicted": .array(
                report.measuredVsPredicted.map { point in
                    .object([
                        "label": .string(point.label),
                        "measured_bytes": .int(point.measuredBytes),
                        "predicted_bytes": .int(point.predictedBytes),
                    ])
                }),
        ])
    }

    private func card(_ card: CardSection) -> JSONValue {
        .object([
            "gpu": .string(card.gpuName),
            "memory_bytes": .int(card.memoryBytes),
            "answer": .string(ReportWording.answer(for: card)),
            "models": .array(
                card.models.map { plans in
                    .object([
                        "model": .string(plans.model),
                        "best": plan(plans.best, whyLost: nil),
                        "alternatives": .array(plans.alternatives.map { plan($0.plan, whyLost: $0.whyLost) }),
                        "curves": .array(plans.curves.map(curve)),
                        "input": .optional(plans.input, JSONValue.string),
                        "task": .optional(plans.task, JSONValue.string),
                        "throughput_curves": .array(plans.throughputCurves.map(throughputCurve)),
                    ])
                }),
        ])
    }

    private func plan(_ row: PlanRow, whyLost: String?) -> JSONValue {
        var members: [String: JSONValue] = [
            "model": .string(row.model),
            "precision": .string(row.precision.rawValue),
            "optimizer": .string(row.optimizer.rawValue),
            "checkpointing": .string(row.checkpointing.rawValue),
            "mode": .string(row.mode.rawValue),
            "fits": .bool(row.fits),
            "max_batch_size": .int(row.maxBatchSize),
            "grad_accum_steps": .optional(row.gradAccumSteps, JSONValue.int),
            "device_used_bytes": .int(row.deviceUsedBytes),
            "headroom_bytes": .int(row.headroomBytes),
            "components": .object(
                Dictionary(row.components.map { ($0.key, $0.bytes) }, uniquingKeysWith: +).mapValues(JSONValue.int)),
            "calibration_adjustment_bytes": .int(row.components.first { $0.key == "calibration_adjustment" }?.bytes ?? 0),
        ]
        members["step_time_ms"] = .optional(row.stepTimeMs.map { Self.rounded($0, 3) }, JSONValue.double)
        members["samples_per_second"] = .optional(row.samplesPerSecond.map { Self.rounded($0, 2) }, JSONValue.double)
        members["tokens_per_second"] = .optional(row.tokensPerSecond.map { Self.rounded($0, 1) }, JSONValue.double)
        members["precision_note"] = .optional(row.precisionNote, JSONValue.string)
        if let whyLost { members["why_lost"] = .string(whyLost) }
        return .object(members)
    }

    /// Rounded so that reports are byte-stable across platforms' last-digit differences.
    static func rounded(_ value: Double, _ digits: Int) -> Double {
        let scale = ([1, 10, 100, 1000, 10_000] as [Double])[min(digits, 4)]
        return (value * scale).rounded() / scale
    }

    private func throughputCurve(_ curve: ThroughputCurve) -> JSONValue {
        .object([
            "precision": .string(curve.precision.rawValue),
            "optimizer": .string(curve.optimizer.rawValue),
            "checkpointing": .string(curve.checkpointing.rawValue),
            "mode": .string(curve.mode.rawValue),
            "max_batch_size": .int(curve.maxBatchSize),
            "points": .array(
                curve.points.map {
                    .object([
                        "batch_size": .int($0.batchSize), "samples_per_second": .double(Self.rounded($0.samplesPerSecond, 2)),
                        "step_time_ms": .double(Self.rounded($0.stepTimeMs, 3)),
                    ])
                }),
        ])
    }

    private func curve(_ curve: MemoryCurve) -> JSONValue {
        .object([
            "precision": .string(curve.precision.rawValue),
            "optimizer": .string(curve.optimizer.rawValue),
            "checkpointing": .string(curve.checkpointing.rawValue),
            "max_batch_size": .optional(curve.maxBatchSize, JSONValue.int),
            "points": .array(
                curve.points.map {
                    .object(["batch_size": .int($0.batchSize), "device_used_bytes": .int($0.deviceUsedBytes)])
                }),
        ])
    }
}
