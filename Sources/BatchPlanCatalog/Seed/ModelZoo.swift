import BatchPlanCore
import Foundation

/// The built-in model zoo: `data/models/zoo.csv` lists each model, its definition kind, and where its definition
/// is (a builder name, or an embedded `data/models/…` file), with its source.
enum ModelZoo {
    static let path = "data/models/zoo.csv"

    struct Entry {
        var definition: ModelDefinition
        /// Other names the model is published under (timm, Hugging Face repo names).
        var aliases: [String]
    }

    static func load() throws -> [Entry] {
        guard let text = EmbeddedData.text(path) else { return [] }
        let records = try CSV.parse(text)
        guard records.first?.fields == ["name", "kind", "definition", "source", "aliases"] else {
            throw CatalogError.invalidInput("\(path): the header must be name,kind,definition,source,aliases")
        }
        return try records.dropFirst().map { record in
            guard record.fields.count == 5, let kind = ModelDefinitionKind(rawValue: record.fields[1]) else {
                throw CatalogError.invalidInput("\(path):\(record.line): expected name,kind,definition,source,aliases with a known kind")
            }
            let payload: String
            if kind == .builder {
                payload = record.fields[2]
            } else {
                guard let text = EmbeddedData.text(record.fields[2]) else {
                    throw CatalogError.invalidInput("\(path):\(record.line): \(record.fields[2]) is not embedded")
                }
                payload = text
            }
            return Entry(
                definition: ModelDefinition(
                    name: record.fields[0], kind: kind, payload: payload, source: record.fields[3], origin: .builtin),
                aliases: record.fields[4].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty })
        }
    }
}
