import BatchPlanCore
import Foundation
import Testing

@testable import BatchPlanCatalog

@Suite("Emulated cards: predicted versus measured maximum batch")
struct CappedMaxBatchTests {
    @Test("capped searches of the H100 campaign are predicted from the other runs within one step, mostly")
    func cappedSearches() throws {
        let catalog = try Catalog(path: ":memory:")
        let rows = CappedMaxBatchCheck.rows(try catalog.runsWithUsability())
        #expect(rows.count >= 16, "the campaign searched at least 4 models under 4 caps")
        var lines = ["| model | configuration | cap | measured max (first failing) | predicted, analytic | predicted, calibrated | scope |",
                     "|---|---|---:|---:|---:|---:|---|"]
        for row in rows {
            lines.append("| \(row.model) | \(row.configuration) | \(ByteSize.format(row.capBytes)) | \(row.measuredMax) (\(row.firstFailing.map(String.init) ?? "-")) | \(row.predictedAnalytic) | \(row.predictedCalibrated) | \(row.calibrationScope) |")
        }
        print(lines.joined(separator: "\n"))
        // Within one step of the measured bracket (×1.5), for at least three quarters of the searches.
        let within = rows.filter { row in
            let low = Double(row.measuredMax)
            let high = Double(row.firstFailing ?? row.measuredMax)
            return Double(row.predictedCalibrated) >= low / 1.5 && Double(row.predictedCalibrated) < high * 1.5
        }
        #expect(Double(within.count) >= 0.75 * Double(rows.count), "\(within.count) of \(rows.count) within one step")
    }
}
