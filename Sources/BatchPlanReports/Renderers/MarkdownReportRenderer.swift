/// Writes the report as GitHub-flavoured Markdown: headings, pipe tables and lists, no raw HTML.
public struct MarkdownReportRenderer: ReportRenderer {
    public init() {}

    public var fileExtension: String { "md" }

    public func render(_ report: PlanningReport) throws(ReportError) -> String {
        var out: [String] = []
        let e = Escaping.markdown
        out.append("# \(e(report.title))")
        out.append("")
        out.append(
            "Generated \(ReportWording.timestamp(report.generatedAt)) by batchplan \(e(report.versions.batchplan)) "
                + "(catalog schema \(e(report.versions.catalogSchema)), data \(e(report.versions.data))).")
        out.append("")
        out.append("## Summary")
        out.append("")
        out.append("**Question:** \(e(report.question))")
        out.append("")
        for card in report.cards {
            out.append(
                "- **\(e(card.gpuName))** (\(ReportWording.bytes(card.memoryBytes)), \(CardVerdict(card).rawValue)): "
                    + e(ReportWording.answer(for: card, namingCard: false)))
        }
        out.append("")
        for card in report.cards {
            out += cardSection(card)
        }
        out += calibrationSection(report)
        out.append("## Assumptions")
        out.append("")
        out += report.assumptions.map { "- \(e($0))" }
        out.append("")
        out.append("## Versions")
        out.append("")
        out += table(
            header: ["Item", "Value"], alignments: [.left, .left],
            rows: [
                ["batchplan", e(report.versions.batchplan)],
                ["catalog schema", e(report.versions.catalogSchema)],
                ["data", e(report.versions.data)],
                ["generated", ReportWording.timestamp(report.generatedAt)],
            ])
        return out.joined(separator: "\n") + "\n"
    }

    private func cardSection(_ card: CardSection) -> [String] {
        let e = Escaping.markdown
        var out = ["## \(e(card.gpuName)) — \(ReportWording.bytes(card.memoryBytes))", ""]
        for plans in card.models {
            let best = plans.best
            out.append("### \(e(plans.model))")
            out.append("")
            if let input = plans.input {
                out.append("Planned at input \(e(input))\(plans.task.map { ", task \(e($0))" } ?? "").")
                out.append("")
            }
            out.append(best.fits ? "**Chosen plan**" : "**Closest plan (does not fit)**")
            out.append("")
            out += table(
                header: ["Precision", "Optimizer", "Checkpointing", "Mode", "Max batch", "Accum. steps", "Device used", "Headroom",
                         "Step time", "Samples/s"],
                alignments: [.left, .left, .left, .left, .right, .right, .right, .right, .right, .right],
                rows: [planCells(best)])
            out.append("")
            if let note = best.precisionNote {
                out.append("Note: \(e(note)).")
                out.append("")
            }
            out.append("**Memory breakdown** at batch \(best.maxBatchSize > 0 ? best.maxBatchSize : 1)")
            out.append("")
            var rows = best.components.map { component in
                [
                    e(MemoryComponent.displayName(of: component.key)), ReportWording.bytes(component.bytes),
                    String(component.bytes), e(ReportWording.share(component.bytes, of: card.memoryBytes)),
                ]
            }
            rows.append([
                "**total**", "**\(ReportWording.bytes(best.deviceUsedBytes))**", String(best.deviceUsedBytes),
                ReportWording.share(best.deviceUsedBytes, of: card.memoryBytes),
            ])
            out += table(header: ["Component", "Size", "Bytes", "Of card"], alignments: [.left, .right, .right, .right], rows: rows)
            out.append("")
            if !plans.alternatives.isEmpty {
                out.append("**Alternatives**")
                out.append("")
                out += table(
                    header: ["Precision", "Optimizer", "Checkpointing", "Mode", "Max batch", "Accum. steps", "Device used", "Samples/s",
                             "Why it lost"],
                    alignments: [.left, .left, .left, .left, .right, .right, .right, .right, .left],
                    rows: plans.alternatives.map { alternative in
                        let p = alternative.plan
                        return [
                            p.precision.rawValue, p.optimizer.rawValue, p.checkpointing.rawValue, p.mode.rawValue,
                            p.fits ? String(p.maxBatchSize) : "does not fit", p.gradAccumSteps.map(String.init) ?? "–",
                            ReportWording.bytes(p.deviceUsedBytes), ReportWording.rate(p.samplesPerSecond), e(alternative.whyLost),
                        ]
                    })
                out.append("")
            }
        }
        return out
    }

    private func planCells(_ plan: PlanRow) -> [String] {
        [
            plan.precision.rawValue, plan.optimizer.rawValue, plan.checkpointing.rawValue, plan.mode.rawValue,
            plan.fits ? String(plan.maxBatchSize) : "does not fit", plan.gradAccumSteps.map(String.init) ?? "–",
            ReportWording.bytes(plan.deviceUsedBytes), ReportWording.bytes(plan.headroomBytes),
            ReportWording.milliseconds(plan.stepTimeMs), ReportWording.rate(plan.samplesPerSecond),
        ]
    }

    private func calibrationSection(_ report: PlanningReport) -> [String] {
        let e = Escaping.markdown
        var out = ["## Calibration", "", e(ReportWording.calibration(report.calibration)), ""]
        guard !report.measuredVsPredicted.isEmpty else { return out }
        out.append("**Measured versus predicted**")
        out.append("")
        out += table(
            header: ["Run", "Measured", "Predicted", "Error"], alignments: [.left, .right, .right, .right],
            rows: report.measuredVsPredicted.map { point in
                let error = point.measuredBytes > 0
                    ? ReportWording.signedPercent(Double(point.predictedBytes - point.measuredBytes) / Double(point.measuredBytes))
                    : "–"
                return [
                    e(point.label), ReportWording.bytes(point.measuredBytes), ReportWording.bytes(point.predictedBytes), error,
                ]
            })
        out.append("")
        return out
    }

    private enum Alignment { case left, right }

    private func table(header: [String], alignments: [Alignment], rows: [[String]]) -> [String] {
        let rule = alignments.map { $0 == .right ? "---:" : "---" }
        return (["| " + header.joined(separator: " | ") + " |", "| " + rule.joined(separator: " | ") + " |"]
            + rows.map { "| " + $0.joined(separator: " | ") + " |" })
    }
}
