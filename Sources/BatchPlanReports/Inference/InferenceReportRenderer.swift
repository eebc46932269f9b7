import BatchPlanCore
import Foundation

/// Writes an inference report in each `ReportFormat`: Markdown, CSV (one row per curve point), JSON (the
/// `inference_report` contract, docs/report-json.md) and a self-contained HTML page with an SVG chart.
public struct InferenceReportRenderer: Sendable {
    public var format: ReportFormat

    public init(format: ReportFormat) { self.format = format }

    public func render(_ report: InferenceReport) throws(ReportError) -> String {
        switch format {
        case .md: markdown(report)
        case .csv: csv(report)
        case .json: try json(report).serialized() + "\n"
        case .html: html(report)
        }
    }

    private static let curveColumns = ["weights", "KV cache", "activations", "other", "device used", "fits"]

    private func axisName(_ card: InferenceReport.Card) -> String { card.curveAxis == "sequences" ? "sequences" : "context tokens" }

    private func axisValue(_ point: InferenceReport.Point, _ card: InferenceReport.Card) -> Int {
        card.curveAxis == "sequences" ? point.sequences : point.contextTokens
    }

    // MARK: Markdown

    func markdown(_ report: InferenceReport) -> String {
        let m = Escaping.markdown
        var out = ["# \(m(report.title))", "", "Question: \(m(report.question))", ""]
        for card in report.cards {
            let s = card.solution
            out += ["## \(m(card.gpu))", "", "**\(m(card.sentence))**", ""]
            out.append("Budget \(ByteSize.format(card.budgetBytes)) of \(ByteSize.format(card.memoryBytes)); limited by \(s.limitedBy.replacingOccurrences(of: "_", with: " ")).")
            if !s.suggestions.isEmpty {
                out.append("Would raise it: " + s.suggestions.map { "`\($0.change)` → \($0.answer)" }.joined(separator: ", ") + ".")
            }
            out += ["", "| component | bytes | size |", "|---|---:|---:|"]
            for (key, bytes) in s.estimate.components.keyed {
                out.append("| \(m(InferenceWording.componentLabels[key] ?? key)) | \(bytes) | \(ByteSize.format(bytes)) |")
            }
            out += ["", "Memory against \(axisName(card)):", "",
                    "| \(axisName(card)) | " + Self.curveColumns.joined(separator: " | ") + " |",
                    "|---:|" + String(repeating: "---:|", count: Self.curveColumns.count - 1) + "---|"]
            for p in card.curve {
                out.append("| \(axisValue(p, card)) | " + [p.weights, p.kvCache, p.activations, p.other, p.deviceUsed].map(ByteSize.format).joined(separator: " | ") + " | \(p.fits ? "yes" : "no") |")
            }
            out.append("")
        }
        out += ["## Assumptions", ""] + report.assumptions.map { "- \(m($0))" }
        out += ["", "batchplan \(report.versions.batchplan), catalog schema \(report.versions.catalogSchema), data \(report.versions.data), generated \(ReportWording.timestamp(report.generatedAt))"]
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: CSV

    func csv(_ report: InferenceReport) -> String {
        let header = ["gpu", "model", "question", "answer", "limited_by", "sequences", "context_tokens", "weights_bytes",
                      "kv_cache_bytes", "activations_bytes", "other_bytes", "device_used_bytes", "budget_bytes", "fits"]
        var lines = [header.joined(separator: ",")]
        for card in report.cards {
            for p in card.curve {
                let s = card.solution
                lines.append([card.gpu, report.model, s.question.rawValue, String(s.answer), s.limitedBy, String(p.sequences),
                              String(p.contextTokens), String(p.weights), String(p.kvCache), String(p.activations),
                              String(p.other), String(p.deviceUsed), String(card.budgetBytes), p.fits ? "true" : "false"]
                    .map(Escaping.csv).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: JSON

    func json(_ report: InferenceReport) -> JSONValue {
        .object([
            "schema_version": .int(1), "kind": .string("inference_report"), "title": .string(report.title),
            "question": .string(report.question), "model": .string(report.model),
            "generated_at": .string(ReportWording.timestamp(report.generatedAt)),
            "versions": .object([
                "batchplan": .string(report.versions.batchplan), "catalog_schema": .string(report.versions.catalogSchema),
                "data": .string(report.versions.data),
            ]),
            "assumptions": .array(report.assumptions.map(JSONValue.string)),
            "cards": .array(report.cards.map(cardJSON)),
        ])
    }

    private func cardJSON(_ card: InferenceReport.Card) -> JSONValue {
        let s = card.solution
        let e = s.estimate
        var components: [String: JSONValue] = [:]
        for (key, bytes) in e.components.keyed { components[key] = .int(bytes) }
        return .object([
            "gpu": .string(card.gpu), "memory_bytes": .int(card.memoryBytes), "budget_bytes": .int(card.budgetBytes),
            "question": .string(s.question.rawValue), "answer": .int(s.answer), "fits": .bool(s.fits),
            "sentence": .string(card.sentence), "limited_by": .string(s.limitedBy),
            "sequences": .int(e.workload.sequences), "context_tokens": .int(e.workload.contextTokens),
            "kv_cache_budget_bytes": .optional(s.kvCacheBudgetBytes, JSONValue.int),
            "kv_cache_bytes_per_token": .int(e.kvBytesPerToken), "kv_cache_bytes_per_sequence": .int(e.kvBytesPerSequence),
            "components": .object(components), "device_used_bytes": .int(e.deviceUsedBytes),
            "suggestions": .array(s.suggestions.map { .object(["change": .string($0.change), "answer": .int($0.answer)]) }),
            "curve_axis": .string(card.curveAxis),
            "curve": .array(card.curve.map { p in
                .object([
                    "sequences": .int(p.sequences), "context_tokens": .int(p.contextTokens), "weights": .int(p.weights),
                    "kv_cache": .int(p.kvCache), "activations": .int(p.activations), "other": .int(p.other),
                    "device_used_bytes": .int(p.deviceUsed), "fits": .bool(p.fits),
                ])
            }),
        ])
    }

    // MARK: HTML

    func html(_ report: InferenceReport) -> String {
        let x = Escaping.xml
        var out = [
            "<!DOCTYPE html>", "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">", "<head>",
            "<meta charset=\"utf-8\"/>", "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>",
            "<title>\(x(report.title))</title>", "<style>\n\(HTMLReportStyle.css)</style>", "</head>", "<body>", "<main>",
            "<header>", "<h1>\(x(report.title))</h1>", "<p>\(x(report.question))</p>", "</header>",
        ]
        for (index, card) in report.cards.enumerated() {
            let s = card.solution
            out += ["<section>", "<h2>\(x(card.gpu))</h2>", "<p><strong>\(x(card.sentence))</strong></p>",
                    "<p>Limited by \(x(s.limitedBy.replacingOccurrences(of: "_", with: " "))); budget \(x(ByteSize.format(card.budgetBytes))) of \(x(ByteSize.format(card.memoryBytes))).</p>"]
            if !s.suggestions.isEmpty {
                out.append("<p>Would raise it: " + s.suggestions.map { "<code>\(x($0.change))</code> → \($0.answer)" }.joined(separator: ", ") + "</p>")
            }
            let rows = card.curve.map { p in
                StackedBarChart.Row(
                    label: "\(axisValue(p, card)) \(axisName(card))",
                    segments: [
                        .init(name: "weights", bytes: p.weights, series: 0), .init(name: "KV cache", bytes: p.kvCache, series: 1),
                        .init(name: "activations", bytes: p.activations, series: 2), .init(name: "other", bytes: p.other, series: 3),
                    ],
                    limitBytes: card.budgetBytes)
            }
            let chart = StackedBarChart(
                id: "inference\(index)", title: "Memory against \(axisName(card)) on \(card.gpu)", rows: rows,
                capacityBytes: card.memoryBytes)
            out += ["<figure>", chart.svg(), "</figure>"]
            out.append("<table><thead><tr><th>component</th><th class=\"num\">size</th></tr></thead><tbody>")
            for (key, bytes) in s.estimate.components.keyed {
                out.append("<tr><td>\(x(InferenceWording.componentLabels[key] ?? key))</td><td class=\"num\">\(x(ByteSize.format(bytes)))</td></tr>")
            }
            out += ["</tbody></table>", "</section>"]
        }
        out += ["<section id=\"assumptions\">", "<h2>Assumptions</h2>", "<ul>"] + report.assumptions.map { "<li>\(x($0))</li>" }
        out += ["</ul>", "</section>",
                "<footer><p>batchplan \(x(report.versions.batchplan)) · catalog schema \(x(report.versions.catalogSchema)) · data \(x(report.versions.data)) · generated \(ReportWording.timestamp(report.generatedAt))</p></footer>",
                "</main>", "</body>", "</html>"]
        return out.joined(separator: "\n") + "\n"
    }
}
