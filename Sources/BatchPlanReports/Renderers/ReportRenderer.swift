/// Turns a planning report into the text of one output format.
///
/// Renderers are pure: the same report gives the same bytes, with no clock, locale or environment read.
public protocol ReportRenderer: Sendable {
    /// The usual file extension for this format, without the dot: "md", "html", "csv", "json".
    var fileExtension: String { get }
    /// Renders the whole report.
    func render(_ report: PlanningReport) throws(ReportError) -> String
}

/// The `--format` values of `batchplan report`, each with its renderer.
public enum ReportFormat: String, CaseIterable, Sendable {
    case md
    case html
    case csv
    case json

    /// The renderer that writes this format.
    public var renderer: any ReportRenderer {
        switch self {
        case .md: MarkdownReportRenderer()
        case .html: HTMLReportRenderer()
        case .csv: CSVReportRenderer()
        case .json: JSONReportRenderer()
        }
    }
}

/// Every error the Reports module throws. Messages name the object and say the fix.
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The report holds a value the format cannot represent (a non-finite number in JSON, …).
    case unrepresentable(what: String, problem: String)

    public var description: String {
        switch self {
        case let .unrepresentable(what, problem):
            "cannot write \(what) in the report: \(problem)"
        }
    }
}
