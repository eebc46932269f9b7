import Foundation
import Testing

@testable import BatchPlanReports

/// Renders the fixed sample in every format and compares it byte for byte with the committed golden file.
///
/// To accept a deliberate change: `BATCHPLAN_UPDATE_GOLDEN=1 swift test --filter GoldenFileTests`, then review the diff.
@Suite("Golden report files")
struct GoldenFileTests {
    @Test("Each format renders the sample exactly as its golden file", arguments: ReportFormat.allCases)
    func matchesGolden(format: ReportFormat) throws {
        let rendered = try format.renderer.render(ReportSample.report())
        let name = "report.\(format.renderer.fileExtension)"
        if ProcessInfo.processInfo.environment["BATCHPLAN_UPDATE_GOLDEN"] == "1" {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Golden").appendingPathComponent(name)
            try rendered.write(to: source, atomically: true, encoding: .utf8)
            return  // the bundle still holds the old copy until the next build
        }
        let url = try #require(
            Bundle.module.url(forResource: "report", withExtension: format.renderer.fileExtension, subdirectory: "Golden"),
            "missing Golden/\(name); run with BATCHPLAN_UPDATE_GOLDEN=1 once")
        let golden = try String(contentsOf: url, encoding: .utf8)
        if rendered != golden {
            let renderedLines = rendered.components(separatedBy: "\n")
            let goldenLines = golden.components(separatedBy: "\n")
            let first = zip(renderedLines, goldenLines).enumerated().first { $1.0 != $1.1 }?.offset
                ?? min(renderedLines.count, goldenLines.count)
            Issue.record(
                "\(name) differs from its golden file first at line \(first + 1):\n  got:  \(first < renderedLines.count ? renderedLines[first] : "<end>")\n  want: \(first < goldenLines.count ? goldenLines[first] : "<end>")")
        }
    }

    @Test("Rendering does not depend on when or how often it runs", arguments: ReportFormat.allCases)
    func deterministic(format: ReportFormat) throws {
        let first = try format.renderer.render(ReportSample.report())
        let second = try format.renderer.render(ReportSample.report())
        #expect(first == second)
        if format != .csv {  // CSV rows are plans; the timestamp lives in the other formats
            #expect(first.contains("2026-11-26T12:00:00Z"))
        }
    }

    @Test("The sample's chosen batches are the largest under each card's headroom limit")
    func sampleIsConsistent() {
        for card in ReportSample.report().cards {
            for plans in card.models where plans.best.fits {
                let limit = card.memoryBytes - plans.best.headroomBytes
                #expect(plans.best.deviceUsedBytes <= limit)
                let curve = plans.curves.first {
                    $0.optimizer == plans.best.optimizer && $0.checkpointing == plans.best.checkpointing
                }
                #expect(curve?.maxBatchSize == plans.best.maxBatchSize)
            }
        }
    }
}
