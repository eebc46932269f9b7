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

/// Aligned text tables for terminals: the reports' `TextTable` (one renderer for both), with the columns the CLI
/// names right-aligned and the others left, and no newline after the last row (`Output.data` adds it).
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []
    var rightAligned: Set<Int> = []

    func render() -> String {
        var table = BatchPlanReports.TextTable(
            columns: headers.indices.map { .init(headers[$0], alignment: rightAligned.contains($0) ? .right : .left) })
        for row in rows { table.append(row) }
        return String(table.render().dropLast())
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
