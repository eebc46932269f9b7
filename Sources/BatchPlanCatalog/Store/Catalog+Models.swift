import BatchPlanCore
import Foundation
import GRDB

extension Catalog {
    /// Every model, built-in first, by family and name.
    public func models() throws(CatalogError) -> [CatalogModel] {
        try read("listing models") { db in
            try ModelRecord.order(sql: "origin, family, parameters, name").fetchAll(db).map(\.catalogModel)
        }
    }

    /// The model called `name` (case-insensitive), with suggestions when there is none.
    public func model(named name: String) throws(CatalogError) -> CatalogModel {
        try read("looking up a model") { db in try Self.resolveModel(name, db) }
    }

    /// - Parameter suggest: whether an unknown name's error lists suggestions (a caller that drops the error skips
    ///   measuring the distance to every model).
    static func resolveModel(_ name: String, _ db: Database, suggest: Bool = true) throws -> CatalogModel {
        if let record = try ModelRecord.filter(sql: "name = ? COLLATE NOCASE", arguments: [name]).fetchOne(db) {
            return record.catalogModel
        }
        if let record = try ModelRecord.fetchOne(
            db, sql: "SELECT model.* FROM model JOIN model_alias ON model_alias.model_id = model.id WHERE alias_key = ?",
            arguments: [GPUNames.key(name)])
        {
            return record.catalogModel
        }
        guard suggest else { throw CatalogError.unknownModel(name: name, suggestions: []) }
        let names = try String.fetchAll(db, sql: "SELECT name FROM model")
        let key = GPUNames.key(name)
        let suggestions = names.map { ($0, GPUNames.distance(GPUNames.key($0), key)) }
            .filter { $0.1 <= max(2, key.count / 3) || GPUNames.key($0.0).contains(key) }
            .sorted { $0.1 < $1.1 }.map(\.0)
        throw CatalogError.unknownModel(name: name, suggestions: Array(suggestions.prefix(3)))
    }

    /// Adds a user's model after accounting it once (so a definition that cannot be accounted is never stored).
    @discardableResult
    public func addModel(_ definition: ModelDefinition, replacing: Bool = false) throws(CatalogError) -> CatalogModel {
        var definition = definition
        definition.origin = .user
        let accounting: ModelAccounting
        let family: ModelFamily
        do {
            accounting = try definition.account()
            family = try definition.family()
        } catch {
            throw .core(error)
        }
        let record = ModelRecord(
            name: definition.name, kind: definition.kind.rawValue, family: family.rawValue,
            parameters: accounting.parameters, payload: definition.payload, source: definition.source,
            origin: RowOrigin.user.rawValue, addedAt: Self.timestamp())
        return try write("adding a model") { db in
            if let existing = try ModelRecord.filter(sql: "name = ? COLLATE NOCASE", arguments: [definition.name]).fetchOne(db) {
                guard replacing, existing.origin == RowOrigin.user.rawValue else {
                    throw CatalogError.duplicate(
                        what: "model", name: definition.name,
                        fix: existing.origin == "builtin" ? "choose another name with --name" : "choose another name, or pass --replace")
                }
                try existing.delete(db)
            }
            var inserted = record
            try inserted.insert(db)
            return inserted.catalogModel
        }
    }

    /// Removes a model the user added.
    public func removeModel(named name: String) throws(CatalogError) {
        try write("removing a model") { db in
            let model = try Self.resolveModel(name, db)
            guard model.definition.origin == .user else { throw CatalogError.notUserRow(what: "model", name: model.name) }
            try db.execute(sql: "DELETE FROM model WHERE name = ? COLLATE NOCASE", arguments: [model.name])
        }
    }

    /// ISO-8601 UTC time, seconds precision.
    public static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// Replaces the built-in models with the embedded zoo (`data/models/zoo.csv`); user rows stay.
    static func refreshBuiltinModels(_ db: Database) throws {
        let zoo = try ModelZoo.load()
        let userNames = Set(try String.fetchAll(db, sql: "SELECT lower(name) FROM model WHERE origin = 'user'"))
        try db.execute(sql: "DELETE FROM model WHERE origin = 'builtin'")
        let now = timestamp()
        for entry in zoo where !userNames.contains(entry.definition.name.lowercased()) {
            let accounting = try entry.definition.account()
            var record = ModelRecord(
                name: entry.definition.name, kind: entry.definition.kind.rawValue,
                family: try entry.definition.family().rawValue, parameters: accounting.parameters,
                payload: entry.definition.payload, source: entry.definition.source, origin: "builtin", addedAt: now)
            try record.insert(db)
            for alias in entry.aliases {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO model_alias (alias_key, model_id) VALUES (?, ?)",
                    arguments: [GPUNames.key(alias), record.id!])
            }
        }
    }
}
