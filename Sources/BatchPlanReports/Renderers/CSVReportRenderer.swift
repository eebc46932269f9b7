/// Writes one CSV row per plan (chosen and alternatives) for spreadsheets: a header row, bytes as integers.
///
/// Columns: gpu, gpu_memory_bytes, model, rank (1 = chosen), chosen, precision, optimizer, checkpointing, mode, fits,
/// max_batch_size, grad_accum_steps (empty when none was requested), device_used_bytes, headroom_bytes, one
/// `<component>_bytes` column per standard component key (then any other key the report uses), why_lost, then the
/// estimated step_time_ms, samples_per_second and tokens_per_second (empty when unknown). Lines end in CRLF as
/// RFC 4180 asks.
public struct CSVReportRenderer: ReportRenderer {
    public init() {}

    public var fileExtension: String { "csv" }

    public func render(_ report: PlanningReport) throws(ReportError) -> String {
        let componentKeys = Self.componentKeys(in: report)
        var header = [
            "gpu", "gpu_memory_bytes", "model", "rank", "chosen", "precision", "optimizer", "checkpointing", "mode",
            "fits", "max_batch_size", "grad_accum_steps", "device_used_bytes", "headroom_bytes",
        ]
        header += componentKeys.map { "\($0)_bytes" }
        header += ["why_lost", "step_time_ms", "samples_per_second", "tokens_per_second"]
        var lines = [header.map(Escaping.csv).joined(separator: ",")]
        for card in report.cards {
            for plans in card.models {
                let ranked = [(plans.best, "")] + plans.alternatives.map { ($0.plan, $0.whyLost) }
                for (index, (plan, whyLost)) in ranked.enumerated() {
                    var fields = [
                        card.gpuName, String(card.memoryBytes), plans.model, String(index + 1), index == 0 ? "true" : "false",
                        plan.precision.rawValue, plan.optimizer.rawValue, plan.checkpointing.rawValue, plan.mode.rawValue,
                        plan.fits ? "true" : "false", String(plan.maxBatchSize), plan.gradAccumSteps.map(String.init) ?? "",
                        String(plan.deviceUsedBytes), String(plan.headroomBytes),
                    ]
                    fields += componentKeys.map { String(plan.bytes(of: $0)) }
                    fields.append(whyLost)
                    fields += [(plan.stepTimeMs, 3), (plan.samplesPerSecond, 2), (plan.tokensPerSecond, 1)].map { value, digits in
                        value.map { String(JSONReportRenderer.rounded($0, digits)) } ?? ""
                    }
                    lines.append(fields.map(Escaping.csv).joined(separator: ","))
                }
            }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// The standard keys, then any other key found in the report in first-seen order.
    static func componentKeys(in report: PlanningReport) -> [String] {
        var keys = MemoryComponent.standardKeys
        for card in report.cards {
            for plans in card.models {
                for plan in [plans.best] + plans.alternatives.map(\.plan) {
                    for component in plan.components where !keys.contains(component.key) {
                        keys.append(component.key)
                    }
                }
            }
        }
        return keys
    }
}
