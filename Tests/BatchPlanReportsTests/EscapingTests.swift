import BatchPlanCore
import Foundation
import FoundationXML
import Testing

@testable import BatchPlanReports

/// Hostile names show as text in every format and never break its syntax.
@Suite("Escaping in every format")
struct EscapingTests {
    static let hostile = "<script>alert(\"x\")</script> & co|*_,\n'quoted'"

    /// The sample with its first model and first card renamed to something hostile.
    static func hostileReport() -> PlanningReport {
        var report = ReportSample.report(title: "Plan for <b>team</b> & friends")
        report.cards[0].gpuName = "GPU <img src=x onerror=alert(1)>"
        report.cards[0].models[0].model = hostile
        report.cards[0].models[0].best.model = hostile
        report.cards[0].models[0].alternatives[0].whyLost = "because <i>reasons</i>, \"quoted\""
        report.measuredVsPredicted[0].label = hostile
        return report
    }

    @Test("HTML shows a model named <script> as text, and the page still parses")
    func html() throws {
        let html = try HTMLReportRenderer().render(Self.hostileReport())
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>team"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"))
        let document = try XMLDocument(xmlString: html, options: [])
        let headings = try document.nodes(forXPath: "//*[local-name()='h3']").compactMap(\.stringValue)
        #expect(headings.contains(Self.hostile))
        let title = try document.nodes(forXPath: "//*[local-name()='title']").first?.stringValue
        #expect(title == "Plan for <b>team</b> & friends")
    }

    @Test("Markdown escapes HTML and table syntax so nothing renders as markup")
    func markdown() throws {
        let markdown = try MarkdownReportRenderer().render(Self.hostileReport())
        #expect(markdown.range(of: #"<[A-Za-z/!]"#, options: .regularExpression) == nil)
        #expect(markdown.contains("### &lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; co\\|\\*\\_, 'quoted'"))
        // Every table row keeps its column count: an escaped pipe does not split a cell.
        for block in markdown.components(separatedBy: "\n\n") where block.hasPrefix("|") {
            let rows = block.split(separator: "\n").map { row in
                row.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count
            }
            #expect(Set(rows).count == 1, "ragged table: \(block)")
        }
    }

    @Test("CSV quotes fields with commas, quotes and newlines and keeps one record per plan")
    func csv() throws {
        let csv = try CSVReportRenderer().render(Self.hostileReport())
        let records = try CSVParsing.records(csv)
        let header = try #require(records.first)
        let modelColumn = try #require(header.firstIndex(of: "model"))
        #expect(records.allSatisfy { $0.count == header.count })
        #expect(records[1][modelColumn] == Self.hostile)
    }

    @Test("JSON round-trips a hostile name exactly")
    func json() throws {
        let json = try JSONReportRenderer().render(Self.hostileReport())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let cards = try #require(object["cards"] as? [[String: Any]])
        let models = try #require(cards[0]["models"] as? [[String: Any]])
        #expect(models[0]["model"] as? String == Self.hostile)
        #expect(cards[0]["gpu"] as? String == "GPU <img src=x onerror=alert(1)>")
    }

    @Test(
        "XML escaping replaces the five special characters and drops control characters",
        arguments: [
            ("a & b", "a &amp; b"), ("<x>", "&lt;x&gt;"), ("\"'", "&quot;&#39;"), ("bell\u{07}", "bell\u{FFFD}"),
            ("tab\tline\n", "tab\tline\n"), ("ViT-B/16", "ViT-B/16"),
        ])
    func xmlEscaping(input: String, expected: String) {
        #expect(Escaping.xml(input) == expected)
    }

    @Test(
        "Markdown escaping neutralises markup characters",
        arguments: [
            ("a|b", "a\\|b"), ("*bold*", "\\*bold\\*"), ("<b>", "&lt;b&gt;"), ("two\nlines", "two lines"),
            ("snake_case", "snake\\_case"), ("[link](x)", "\\[link\\](x)"), ("plain 1.5 GiB", "plain 1.5 GiB"),
        ])
    func markdownEscaping(input: String, expected: String) {
        #expect(Escaping.markdown(input) == expected)
    }

    @Test(
        "CSV quoting follows RFC 4180",
        arguments: [("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("l1\nl2", "\"l1\nl2\"")])
    func csvQuoting(input: String, expected: String) {
        #expect(Escaping.csv(input) == expected)
    }
}

/// A small RFC 4180 reader for the tests (quoted fields, doubled quotes, CRLF records).
enum CSVParsing {
    struct Malformed: Error {}

    static func records(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" {
                        field.append("\"")
                        characters.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
            } else if character == "\"" {
                guard field.isEmpty else { throw Malformed() }
                quoted = true
            } else if character == "," {
                record.append(field)
                field = ""
            } else if character == "\r\n" || character == "\n" {
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                field.append(character)
            }
        }
        guard !quoted else { throw Malformed() }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }
}
