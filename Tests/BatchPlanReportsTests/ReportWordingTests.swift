import Testing

@testable import BatchPlanReports

@Suite("Report wording")
struct ReportWordingTests {
    @Test("a share of the card is rounded, small parts say '<1 %' either way, and nothing reads '-0 %'")
    func shares() {
        #expect(ReportWording.share(71, of: 80) == "89 %")
        #expect(ReportWording.share(0, of: 80) == "0 %")
        #expect(ReportWording.share(1, of: 1_000) == "<1 %")
        #expect(ReportWording.share(-1, of: 1_000) == "-<1 %")
        #expect(ReportWording.share(-8, of: 100) == "-8 %")
        #expect(ReportWording.share(5, of: 0) == "–")
    }
}
