import BatchPlanCore
import Foundation

/// Reads a runs file (JSON Lines or CSV) into runs, validating every row.
public enum RunFile {
    public enum Format: String, CaseIterable, Sendable { case jsonl, csv }

    /// A row that could not be read, with its 1-based line.
    public struct RowError: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    public struct Parsed: Sendable {
        public var runs: [(line: Int, run: MeasuredRun)]
        public var errors: [RowError]

        public init(runs: [(line: Int, run: MeasuredRun)], errors: [RowError] = []) {
            self.runs = runs
            self.errors = errors
        }
    }

    /// Guesses the format from the extension, else from the first character.
    public static func format(for path: String, text: String) -> Format {
        if path.lowercased().hasSuffix(".csv") { return .csv }
        if path.lowercased().hasSuffix(".jsonl") || path.lowercased().hasSuffix(".json") { return .jsonl }
        return text.first == "{" ? .jsonl : .csv
    }

    /// Parses `data` (which must be UTF-8); every row is validated and errors are collected, not thrown.
    public static func parse(
        data: Data, file: String, format: Format? = nil, origin: RowOrigin = .user, now: String
    ) throws(CatalogError) -> Parsed {
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalidInput("\(file): not UTF-8 text; save it as UTF-8 (JSON Lines or CSV)")
        }
        let decoder = RunDecoder(origin: origin, now: now)
        let rows = try rows(text: text, file: file, format: format ?? Self.format(for: file, text: text))
        var parsed = Parsed(runs: [], errors: rows.errors)
        var seen: [String: Int] = [:]
        for (line, fields) in rows.fields {
            do {
                let run = try decoder.decode(fields)
                if let first = seen[run.key] {
                    parsed.errors.append(RowError(file: file, line: line, message: "duplicate id \(run.key) (first on line \(first))"))
                    continue
                }
                seen[run.key] = line
                parsed.runs.append((line, run))
            } catch {
                parsed.errors.append(RowError(file: file, line: line, message: (error as? RunFields.Problem)?.message ?? "\(error)"))
            }
        }
        parsed.errors.sort { $0.line < $1.line }
        return parsed
    }

    /// The first non-empty line when it reads as a CSV header of a runs file (comma-separated, a `model` column, no
    /// JSON in it), so JSON Lines input that is really CSV (`runs import -` reads JSON Lines) is told so once
    /// instead of failing on every line.
    static func firstLineIfCSVHeader(_ text: String) -> String? {
        guard let line = text.split(whereSeparator: \.isNewline).lazy
            .map({ $0.trimmingCharacters(in: .whitespaces) }).first(where: { !$0.isEmpty })
        else { return nil }
        guard !line.hasPrefix("{"), !line.hasPrefix("["), line.contains(",") else { return nil }
        let columns = line.split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
        }
        return columns.contains("model") ? line : nil
    }

    private static func rows(text: String, file: String, format: Format) throws(CatalogError)
        -> (fields: [(Int, RunFields)], errors: [RowError])
    {
        var fields: [(Int, RunFields)] = []
        var errors: [RowError] = []
        switch format {
        case .jsonl:
            if let header = firstLineIfCSVHeader(text) {
                throw .invalidInput(
                    "\(file):1: looks like CSV (a header row: \(header.prefix(60))\(header.count > 60 ? "…" : "")), not JSON Lines: "
                        + "pass --format csv")
            }
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !trimmed.isEmpty else { continue }
                do {
                    let value = try JSONDecoder().decode(JSONValue.self, from: Data(trimmed.utf8))
                    guard case let .object(object) = value else {
                        errors.append(RowError(file: file, line: index + 1, message: "expected a JSON object"))
                        continue
                    }
                    fields.append((index + 1, RunFields(json: object)))
                } catch {
                    errors.append(RowError(file: file, line: index + 1, message: "not valid JSON (truncated or malformed line)"))
                }
            }
        case .csv:
            let records: [CSV.Record]
            do {
                records = try CSV.parse(text)
            } catch {
                throw .invalidInput("\(file): \(error.description)")
            }
            guard let header = records.first?.fields.map({ $0.trimmingCharacters(in: .whitespaces) }) else {
                throw .invalidInput("\(file): the file is empty; expected a header row")
            }
            guard header.contains("model") else {
                throw .invalidInput("\(file):1: the header must name the columns (model, gpu, batch_size, …)")
            }
            for record in records.dropFirst() {
                guard record.fields.count == header.count else {
                    errors.append(RowError(file: file, line: record.line, message: "expected \(header.count) fields, found \(record.fields.count)"))
                    continue
                }
                fields.append((record.line, RunFields(csv: Dictionary(zip(header, record.fields)) { a, _ in a })))
            }
        }
        return (fields, errors)
    }
}
