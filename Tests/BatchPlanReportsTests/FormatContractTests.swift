import BatchPlanCore
import Foundation
import Testing

@testable import BatchPlanReports

/// What each format promises beyond its golden file: JSON's contract, CSV's shape, Markdown's tables.
@Suite("Report format contracts")
struct FormatContractTests {
    static func jsonObject(_ report: PlanningReport = ReportSample.report()) throws -> [String: Any] {
        let text = try JSONReportRenderer().render(report)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("JSON carries schema_version at the top level")
    func jsonSchemaVersion() throws {
        #expect(try Self.jsonObject()["schema_version"] as? Int == JSONReportRenderer.schemaVersion)
    }

    @Test("JSON plans list every component by its contract key, summing to device_used_bytes")
    func jsonComponents() throws {
        let cards = try #require(try Self.jsonObject()["cards"] as? [[String: Any]])
        let models = try #require(cards[0]["models"] as? [[String: Any]])
        let best = try #require(models[0]["best"] as? [String: Any])
        let components = try #require(best["components"] as? [String: Int])
        #expect(Set(components.keys) == Set(MemoryComponent.standardKeys))
        #expect(components.values.reduce(0, +) == best["device_used_bytes"] as? Int)
        #expect(best["why_lost"] == nil)
        let alternative = try #require((models[0]["alternatives"] as? [[String: Any]])?.first)
        #expect(alternative["why_lost"] is String)
    }

    @Test("JSON writes unknown calibration errors as explicit nulls")
    func jsonNulls() throws {
        var report = ReportSample.report()
        report.calibration = CalibrationSummary(scope: "global", runsUsed: 0)
        let calibration = try #require(try Self.jsonObject(report)["calibration"] as? [String: Any])
        #expect(calibration.keys.contains("cv_median_relative_error"))
        #expect(calibration["cv_median_relative_error"] is NSNull)
    }

    @Test("JSON refuses a non-finite error instead of writing invalid JSON")
    func jsonRejectsNaN() {
        var report = ReportSample.report()
        report.calibration.crossValidatedMedianError = .nan
        #expect(throws: ReportError.self) { try JSONReportRenderer().render(report) }
    }

    @Test("CSV has a header row and one row per plan, bytes as integers that add up")
    func csvShape() throws {
        let report = ReportSample.report()
        let records = try CSVParsing.records(try CSVReportRenderer().render(report))
        let header = records[0]
        let plans = report.cards.flatMap(\.models).reduce(0) { $0 + 1 + $1.alternatives.count }
        #expect(records.count == plans + 1)
        let used = try #require(header.firstIndex(of: "device_used_bytes"))
        let componentColumns = header.indices.filter { header[$0].hasSuffix("_bytes") && header[$0] != "device_used_bytes" }
            .filter { !["gpu_memory_bytes", "headroom_bytes"].contains(header[$0]) }
        #expect(componentColumns.count == MemoryComponent.standardKeys.count)
        for record in records.dropFirst() {
            let parts = componentColumns.map { Int(record[$0]) }
            #expect(parts.allSatisfy { $0 != nil })
            #expect(parts.compactMap { $0 }.reduce(0, +) == Int(record[used]))
        }
    }

    @Test("CSV marks exactly one chosen row per card and model")
    func csvChosen() throws {
        let report = ReportSample.report()
        let records = try CSVParsing.records(try CSVReportRenderer().render(report))
        let chosen = try #require(records[0].firstIndex(of: "chosen"))
        #expect(records.dropFirst().filter { $0[chosen] == "true" }.count == report.cards.flatMap(\.models).count)
    }

    @Test("Markdown answers the question with one bullet per card")
    func markdownSummary() throws {
        let report = ReportSample.report()
        let markdown = try MarkdownReportRenderer().render(report)
        let summary = try #require(markdown.components(separatedBy: "## Summary").last?.components(separatedBy: "\n## ").first)
        #expect(summary.split(separator: "\n").filter { $0.hasPrefix("- **") }.count == report.cards.count)
    }

    @Test("A card where nothing fits says so and names what the closest plan needs")
    func nothingFits() throws {
        let card = ReportSample.report().cards[1]
        let answer = ReportWording.answer(for: card)
        #expect(answer.contains("Llama-3.2-1B does not fit even at batch 1"))
        #expect(answer.contains(ReportWording.bytes(card.models[1].best.deviceUsedBytes)))
    }

    @Test("Where the plan knows the card it needs, the answer names that size, as fit's 'needs' does")
    func nothingFitsNamesTheCardNeeded() throws {
        var card = ReportSample.report().cards[1]
        card.models[1].requiredMemoryBytes = 17_000_000_000
        let answer = ReportWording.answer(for: card)
        #expect(answer.contains("needs a card of at least \(ReportWording.bytes(17_000_000_000))"), "\(answer)")
        #expect(answer.contains("\(ReportWording.bytes(card.models[1].best.deviceUsedBytes)) of device memory"))
    }

    @Test("Calibration without cross-validation says its error is unknown")
    func calibrationWording() {
        let sentence = ReportWording.calibration(CalibrationSummary(scope: "global", runsUsed: 0))
        #expect(sentence.contains("not cross-validated"))
        let tested = ReportWording.calibration(
            CalibrationSummary(scope: "global", runsUsed: 9, crossValidatedMedianError: 0.05, crossValidatedP90Error: 0.12))
        #expect(tested.contains("median 5.0 %") && tested.contains("90th percentile 12.0 %"))
    }

    @Test("Calibration names each scope's own observations before the whole calibration's runs")
    func calibrationScopeCounts() {
        let one = ReportWording.calibration(CalibrationSummary(
            scope: "architecture pytorch/ampere", runsUsed: 389, scopeObservations: [26], crossValidatedMedianError: 0.05))
        #expect(one.hasPrefix("Scope architecture pytorch/ampere (26 observations), of a calibration fitted on 389 measured runs;"), "\(one)")
        let two = ReportWording.calibration(CalibrationSummary(
            scope: "gpu pytorch/RTX 3090; global", runsUsed: 389, scopeObservations: [26, 894]))
        #expect(two.hasPrefix("Scopes gpu pytorch/RTX 3090 (26 observations) and global (894 observations), of a calibration"), "\(two)")
    }

    @Test("Every format has a renderer with its own file extension")
    func formats() {
        #expect(ReportFormat.allCases.map { $0.renderer.fileExtension } == ["md", "html", "csv", "json"])
    }
}
