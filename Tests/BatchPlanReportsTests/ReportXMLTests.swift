import Foundation
import FoundationXML
import Testing

@testable import BatchPlanReports

/// The HTML page and every chart are well-formed XML and self-contained.
@Suite("HTML and SVG well-formedness")
struct ReportXMLTests {
    static func html() throws -> String { try HTMLReportRenderer().render(ReportSample.report()) }

    @Test("The HTML report parses as XML with an html root")
    func htmlParses() throws {
        let document = try XMLDocument(xmlString: try Self.html(), options: [])
        #expect(document.rootElement()?.name == "html")
        let svgs = try document.nodes(forXPath: "//*[local-name()='svg']")
        // Per card: max batch and breakdown; per card × model: one curve chart, and one throughput chart where the
        // plan has throughput curves; plus measured vs predicted.
        let report = ReportSample.report()
        let models = report.cards.flatMap(\.models)
        let expected = report.cards.count * 2 + models.count + models.filter { !$0.throughputCurves.isEmpty }.count + 1
        #expect(models.contains { !$0.throughputCurves.isEmpty })
        #expect(svgs.count == expected)
    }

    @Test("The HTML report fetches nothing and runs nothing")
    func selfContained() throws {
        let html = try Self.html()
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("src="))
        #expect(!html.contains("<link"))
        #expect(!html.contains("@import"))
        #expect(!html.contains("url(http"))
        // The only absolute URLs are the XML namespace names, which browsers never fetch.
        let urls = html.components(separatedBy: "http").dropFirst().map { String($0.prefix(30)) }
        #expect(urls.allSatisfy { $0.hasPrefix("://www.w3.org/") })
    }

    @Test("The HTML report prints: it has an @media print block")
    func printable() throws {
        #expect(try Self.html().contains("@media print"))
    }

    @Test("Element ids are unique across the page's charts")
    func uniqueIDs() throws {
        let document = try XMLDocument(xmlString: try Self.html(), options: [])
        let ids = try document.nodes(forXPath: "//@id").compactMap(\.stringValue)
        #expect(!ids.isEmpty)
        #expect(Set(ids).count == ids.count)
    }

    static let charts: [any SVGChart] = {
        let report = ReportSample.report()
        let card = report.cards[0]
        return [
            HTMLReportCharts.maxBatch(card: card, id: "a"),
            HTMLReportCharts.breakdown(card: card, id: "b"),
            HTMLReportCharts.curves(card: card, plans: card.models[0], id: "c")!,
            HTMLReportCharts.measuredVsPredicted(report.measuredVsPredicted, id: "d")!,
        ]
    }()

    @Test("Each chart kind renders a standalone SVG document that parses as XML", arguments: 0..<4)
    func chartParses(index: Int) throws {
        let chart = Self.charts[index]
        let document = try XMLDocument(xmlString: chart.svg(), options: [])
        let root = try #require(document.rootElement())
        #expect(root.name == "svg")
        #expect(root.uri == "http://www.w3.org/2000/svg")
        let title = try document.nodes(forXPath: "/*[local-name()='svg']/*[local-name()='title']").first?.stringValue
        #expect(title == chart.title)
    }
}
