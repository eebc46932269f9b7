import BatchPlanReports
import Foundation

/// Writing to stdout (data) and stderr (errors, warnings, progress).
enum Output {
    static func data(_ text: String) {
        FileHandle.standardOutput.write(Data(terminated(text).utf8))
    }

    /// `text` ending in exactly one line end: its own when it has one (`\n`, or CSV's `\r\n`), else `\n`.
    ///
    /// By scalars, not characters: `"\r\n"` is one `Character`, so `hasSuffix("\n")` is false for it, and CSV used
    /// to get a blank last line (a ragged last row for CSV readers).
    static func terminated(_ text: String) -> String {
        text.unicodeScalars.last == "\n" ? text : text + "\n"
    }

    static func warning(_ text: String) {
        FileHandle.standardError.write(Data("warning: \(text)\n".utf8))
    }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data("\(text)\n".utf8))
    }

    /// Encodes a JSON document with sorted keys (stable output) and the contract's `schema_version`.
    static func json(_ object: [String: Any]) throws -> String {
        var document = object
        document["schema_version"] = JSONContract.schemaVersion
        return String(decoding: try jsonData(document), as: UTF8.self)
    }

    /// The bytes `JSONSerialization` writes with `.prettyPrinted`, `.sortedKeys` and `.withoutEscapingSlashes`:
    /// `PrettyJSON` when it knows every value (it is far faster), else `JSONSerialization` itself.
    static func jsonData(_ document: [String: Any]) throws -> Data {
        if let data = try? PrettyJSON.data(document) { return data }
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}

/// The version of every `--format json` document; bumped only on incompatible changes.
enum JSONContract {
    static let schemaVersion = 1
}

/// Aligned text tables for terminals; numbers right-aligned.
///
/// Only trailing spaces are trimmed from a line: a right-aligned first column starts with its padding, and
/// trimming that too shifted the whole line left of the rule under the header.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []
    var rightAligned: Set<Int> = []

    func render() -> String {
        var widths = headers.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ").droppingTrailingSpaces()
        }
        return ([line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
            .joined(separator: "\n")
    }
}

extension String {
    /// The text without the spaces at its end; leading spaces (a right-aligned cell's padding) stay.
    func droppingTrailingSpaces() -> String {
        guard let last = lastIndex(where: { $0 != " " }) else { return "" }
        return String(self[...last])
    }
}

/// Usage errors: one line on stderr and exit 64, the code ArgumentParser uses for its own usage errors.
enum Usage {
    static func error(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        return ExitCode(64)
    }

    /// Runs a value parser; an invalid value becomes a one-line usage error.
    static func parse<T>(_ body: () throws(CoreError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw Usage.error(error.description)
        }
    }
}

import ArgumentParser
import BatchPlanCore
