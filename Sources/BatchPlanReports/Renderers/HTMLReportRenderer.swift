/// Writes the report as one self-contained HTML page: inline CSS and SVG charts, no scripts, nothing fetched.
///
/// The page is also well-formed XML (XHTML syntax: every element closed, all text escaped), so tools and tests can
/// parse it, and it prints cleanly (`@media print`: no shadows, charts kept whole on a page).
public struct HTMLReportRenderer: ReportRenderer {
    public init() {}

    public var fileExtension: String { "html" }

    public func render(_ report: PlanningReport) throws(ReportError) -> String {
        let x = Escaping.xml
        var out = [
            "<!DOCTYPE html>",
            "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">",
            "<head>",
            "<meta charset=\"utf-8\"/>",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>",
            "<meta name=\"generator\" content=\"batchplan \(x(report.versions.batchplan))\"/>",
            "<title>\(x(report.title))</title>",
            "<style>\n\(HTMLReportStyle.css)</style>",
            "</head>",
            "<body>",
            "<main>",
            "<header>",
            "<h1>\(x(report.title))</h1>",
            "<p class=\"meta\">Generated <time datetime=\"\(ReportWording.timestamp(report.generatedAt))\">"
                + "\(ReportWording.timestamp(report.generatedAt))</time> by batchplan \(x(report.versions.batchplan))"
                + " · catalog schema \(x(report.versions.catalogSchema)) · data \(x(report.versions.data))</p>",
            "</header>",
        ]
        out += summary(report)
        for (index, card) in report.cards.enumerated() {
            out += cardSection(card, index: index)
        }
        out += calibration(report)
        out.append("<section id=\"assumptions\">")
        out.append("<h2>Assumptions</h2>")
        out.append("<ul>")
        out += report.assumptions.map { "<li>\(x($0))</li>" }
        out.append("</ul>")
        out.append("</section>")
        out.append("<footer>")
        out.append("<h2>Versions</h2>")
        out += table(
            header: ["Item", "Value"], numeric: [false, false],
            rows: [
                ["batchplan", report.versions.batchplan], ["catalog schema", report.versions.catalogSchema],
                ["data", report.versions.data], ["generated", ReportWording.timestamp(report.generatedAt)],
            ])
        out.append("</footer>")
        out.append("</main>")
        out.append("</body>")
        out.append("</html>")
        return out.joined(separator: "\n") + "\n"
    }

    private func summary(_ report: PlanningReport) -> [String] {
        let x = Escaping.xml
        var out = [
            "<section id=\"summary\">", "<h2>Summary</h2>",
            "<p class=\"question\"><span class=\"label\">Question</span> \(x(report.question))</p>",
            "<ul class=\"answers\">",
        ]
        for card in report.cards {
            let verdict = CardVerdict(card)
            let className = verdict == .fits ? "fits" : verdict == .partial ? "partial" : "no-fit"
            out.append(
                "<li class=\"\(className)\"><span class=\"badge\">\(verdict.rawValue)</span> "
                    + "<strong>\(x(card.gpuName))</strong> <span class=\"capacity\">(\(ReportWording.bytes(card.memoryBytes)))</span>: "
                    + "\(x(ReportWording.answer(for: card, namingCard: false)))</li>")
        }
        out += ["</ul>", "<p class=\"calibration-line\">\(x(ReportWording.calibration(report.calibration)))</p>", "</section>"]
        return out
    }

    private func cardSection(_ card: CardSection, index: Int) -> [String] {
        let x = Escaping.xml
        var out = [
            "<section class=\"card\" id=\"card-\(index + 1)\">",
            "<h2>\(x(card.gpuName)) <span class=\"capacity\">\(ReportWording.bytes(card.memoryBytes))</span></h2>",
            figure(HTMLReportCharts.maxBatch(card: card, id: "c\(index + 1)-batch")),
            figure(HTMLReportCharts.breakdown(card: card, id: "c\(index + 1)-mem")),
        ]
        for (modelIndex, plans) in card.models.enumerated() {
            out += modelArticle(plans, card: card, id: "c\(index + 1)-m\(modelIndex + 1)")
        }
        out.append("</section>")
        return out
    }

    private func modelArticle(_ plans: ModelPlans, card: CardSection, id: String) -> [String] {
        let x = Escaping.xml
        let best = plans.best
        var out = [
            "<article class=\"model\">",
            "<h3>\(x(plans.model))</h3>",
        ]
        if let input = plans.input {
            out.append("<p>Planned at input \(x(input))\(plans.task.map { ", task \(x($0))" } ?? "").</p>")
        }
        out.append("<h4>\(best.fits ? "Chosen plan" : "Closest plan — does not fit")</h4>")
        out += table(
            header: ["Precision", "Optimizer", "Checkpointing", "Mode", "Max batch", "Accum. steps", "Device used", "Headroom",
                     "Step time", "Samples/s"],
            numeric: [false, false, false, false, true, true, true, true, true, true],
            rows: [[
                best.precision.rawValue, best.optimizer.rawValue, best.checkpointing.rawValue, best.mode.rawValue,
                best.fits ? String(best.maxBatchSize) : "does not fit", best.gradAccumSteps.map(String.init) ?? "–",
                ReportWording.bytes(best.deviceUsedBytes), ReportWording.bytes(best.headroomBytes),
                ReportWording.milliseconds(best.stepTimeMs), ReportWording.rate(best.samplesPerSecond),
            ]])
        if let note = best.precisionNote { out.append("<p>Note: \(x(note)).</p>") }
        out.append("<h4>Memory breakdown at batch \(max(best.maxBatchSize, 1))</h4>")
        var rows = best.components.map { component in
            [
                MemoryComponent.displayName(of: component.key), ReportWording.bytes(component.bytes), String(component.bytes),
                ReportWording.share(component.bytes, of: card.memoryBytes),
            ]
        }
        rows.append([
            "total", ReportWording.bytes(best.deviceUsedBytes), String(best.deviceUsedBytes),
            ReportWording.share(best.deviceUsedBytes, of: card.memoryBytes),
        ])
        out += table(header: ["Component", "Size", "Bytes", "Of card"], numeric: [false, true, true, true], rows: rows, totalRow: true)
        if let chart = HTMLReportCharts.curves(card: card, plans: plans, id: "\(id)-curve") {
            out.append(figure(chart))
        }
        if let chart = HTMLReportCharts.throughput(card: card, plans: plans, id: "\(id)-speed") {
            out.append(figure(chart))
        }
        if !plans.alternatives.isEmpty {
            out.append("<h4>Alternatives and why they lost</h4>")
            out += table(
                header: ["Precision", "Optimizer", "Checkpointing", "Mode", "Max batch", "Accum. steps", "Device used", "Samples/s",
                         "Why it lost"],
                numeric: [false, false, false, false, true, true, true, true, false],
                rows: plans.alternatives.map { alternative in
                    let p = alternative.plan
                    return [
                        p.precision.rawValue, p.optimizer.rawValue, p.checkpointing.rawValue, p.mode.rawValue,
                        p.fits ? String(p.maxBatchSize) : "does not fit", p.gradAccumSteps.map(String.init) ?? "–",
                        ReportWording.bytes(p.deviceUsedBytes), ReportWording.rate(p.samplesPerSecond), alternative.whyLost,
                    ]
                })
        }
        out.append("</article>")
        return out
    }

    private func calibration(_ report: PlanningReport) -> [String] {
        let x = Escaping.xml
        var out = ["<section id=\"calibration\">", "<h2>Calibration</h2>"]
        out += table(
            header: ["Scope", "Runs used", "CV median error", "CV 90th pct error"], numeric: [false, true, true, true],
            rows: [[
                report.calibration.scope, String(report.calibration.runsUsed),
                report.calibration.crossValidatedMedianError.map(ReportWording.percent) ?? "not tested",
                report.calibration.crossValidatedP90Error.map(ReportWording.percent) ?? "not tested",
            ]])
        out.append("<p>\(x(ReportWording.calibration(report.calibration)))</p>")
        if let chart = HTMLReportCharts.measuredVsPredicted(report.measuredVsPredicted, id: "runs") {
            out.append(figure(chart))
            out += table(
                header: ["Run", "Measured", "Predicted", "Error"], numeric: [false, true, true, true],
                rows: report.measuredVsPredicted.map { point in
                    [
                        point.label, ReportWording.bytes(point.measuredBytes), ReportWording.bytes(point.predictedBytes),
                        point.measuredBytes > 0
                            ? ReportWording.signedPercent(
                                Double(point.predictedBytes - point.measuredBytes) / Double(point.measuredBytes)) : "–",
                    ]
                })
        }
        out.append("</section>")
        return out
    }

    private func figure(_ chart: some SVGChart) -> String {
        "<figure>\n\(chart.svg())\n</figure>"
    }

    /// A table; cells are escaped here, numeric columns right-aligned, the last row styled as a total if asked.
    private func table(header: [String], numeric: [Bool], rows: [[String]], totalRow: Bool = false) -> [String] {
        let x = Escaping.xml
        func cell(_ tag: String, _ text: String, _ column: Int) -> String {
            numeric[column] ? "<\(tag) class=\"num\">\(x(text))</\(tag)>" : "<\(tag)>\(x(text))</\(tag)>"
        }
        var out = ["<table>", "<thead><tr>" + header.enumerated().map { cell("th", $1, $0) }.joined() + "</tr></thead>", "<tbody>"]
        for (index, row) in rows.enumerated() {
            let rowClass = totalRow && index == rows.count - 1 ? " class=\"total\"" : ""
            out.append("<tr\(rowClass)>" + row.enumerated().map { cell("td", $1, $0) }.joined() + "</tr>")
        }
        out += ["</tbody>", "</table>"]
        return out
    }
}
