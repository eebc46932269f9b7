import BatchPlanCore
import GRDB

/// A row of the `model` table.
struct ModelRecord: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
    static let databaseTableName = "model"

    var id: Int64?
    var name: String
    var kind: String
    var family: String
    var parameters: Int
    var payload: String
    var source: String
    var origin: String
    var addedAt: String

    enum CodingKeys: String, CodingKey {
        case id, name, kind, family, parameters, payload, source, origin
        case addedAt = "added_at"
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    var definition: ModelDefinition {
        ModelDefinition(
            name: name, kind: ModelDefinitionKind(rawValue: kind) ?? .rawCounts, payload: payload, source: source,
            origin: RowOrigin(rawValue: origin) ?? .user)
    }
}

/// A catalog model: its definition plus what the catalog knows without accounting it again.
public struct CatalogModel: Sendable, Hashable {
    public var definition: ModelDefinition
    public var family: ModelFamily
    public var parameters: Int
    public var addedAt: String

    public var name: String { definition.name }

    public init(definition: ModelDefinition, family: ModelFamily, parameters: Int, addedAt: String) {
        self.definition = definition
        self.family = family
        self.parameters = parameters
        self.addedAt = addedAt
    }
}

extension ModelRecord {
    var catalogModel: CatalogModel {
        CatalogModel(definition: definition, family: ModelFamily(rawValue: family) ?? .custom, parameters: parameters, addedAt: addedAt)
    }
}
