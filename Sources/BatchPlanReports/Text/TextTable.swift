import Foundation
import BatchPlanCore

/// A plain-text table for terminals: aligned columns, numbers right-aligned, a rule under the header.
///
/// For `gpus list`, `models list`, `fit` and similar output meant for people; scripts should use `--format json`.
/// Widths count characters (grapheme clusters), which is right for the Latin, digit and unit text these tables hold.
public struct TextTable: Sendable {
    /// How a column's cells line up.
    public enum Alignment: Sendable {
        case left
        case right
        /// Right when every non-empty cell in the column looks like a number ("256", "11.2 GiB", "-3.1 %", "–"),
        /// left otherwise.
        case automatic
    }

    public struct Column: Sendable {
        public var header: String
        public var alignment: Alignment

        public init(_ header: String, alignment: Alignment = .automatic) {
            self.header = header
            self.alignment = alignment
        }
    }

    public var columns: [Column]
    public private(set) var rows: [[String]] = []
    /// Spaces between columns.
    public var gap = 2

    public init(columns: [Column]) {
        self.columns = columns
    }

    /// Columns from header names, aligned automatically.
    public init(headers: [String]) {
        self.init(columns: headers.map { Column($0) })
    }

    /// Appends a row; missing cells are blank, extra cells are dropped.
    public mutating func append(_ cells: [String]) {
        var row = Array(cells.prefix(columns.count))
        row += Array(repeating: "", count: columns.count - row.count)
        rows.append(row.map { $0.replacingOccurrences(of: "\n", with: " ") })
    }

    /// The table as lines joined by "\n", with a trailing newline; trailing spaces are trimmed from each line.
    public func render() -> String {
        let widths = columns.indices.map { index in
            ([columns[index].header] + rows.map { $0[index] }).map(\.count).max() ?? 0
        }
        let rightAligned = columns.indices.map { index -> Bool in
            switch columns[index].alignment {
            case .left: false
            case .right: true
            case .automatic:
                rows.contains { !$0[index].isEmpty } && rows.allSatisfy { Self.looksNumeric($0[index]) }
            }
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return rightAligned[index] ? padding + cell : cell + padding
            }
            let text = padded.joined(separator: String(repeating: " ", count: gap))
            return String(text.reversed().drop { $0 == " " }.reversed())
        }
        var lines = [line(columns.map(\.header)), line(widths.map { String(repeating: "-", count: $0) })]
        lines += rows.map(line)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Whether a cell reads as a number, possibly signed and followed by a unit: "256", "-3.1 %", "11.2 GiB", "×4".
    static func looksNumeric(_ cell: String) -> Bool {
        let trimmed = cell.trimmingSpaces()
        if trimmed.isEmpty || trimmed == "–" || trimmed == "-" { return true }
        var rest = Substring(trimmed)
        if let first = rest.first, "+-−×~≈".contains(first) { rest = rest.dropFirst() }
        guard let first = rest.first, first.isNumber else { return false }
        let number = rest.prefix { $0.isNumber || $0 == "." || $0 == "," || $0 == "_" }
        let unit = rest.dropFirst(number.count).trimmingSpaces()
        return unit.count <= 4 && unit.allSatisfy { $0.isLetter || $0 == "%" || $0 == "/" }
    }
}
