import BatchPlanCore
import Foundation
import GRDB

/// A plan saved with `batchplan fit --save NAME`: the query, what it answered and the calibration it used, as JSON.
///
/// The catalog stores the three documents as given and checks only that they are JSON; their shapes belong to the
/// command that wrote them (`decode(_:from:)` reads them back).
public struct SavedPlan: Hashable, Sendable {
    /// The name the user chose; unique in the catalog, compared case-insensitively.
    public var name: String
    /// The query that produced the plan (the `fit` flags as values).
    public var queryJSON: String
    /// The results: what a report needs to show the plan again.
    public var resultJSON: String
    /// The calibration the results used.
    public var calibrationJSON: String
    /// The batchplan release that saved it.
    public var batchplanVersion: String
    /// When it was saved, UTC ISO 8601 to the second.
    public var createdAt: String

    public init(
        name: String, queryJSON: String, resultJSON: String, calibrationJSON: String, batchplanVersion: String,
        createdAt: String = Catalog.timestamp()
    ) {
        self.name = name
        self.queryJSON = queryJSON
        self.resultJSON = resultJSON
        self.calibrationJSON = calibrationJSON
        self.batchplanVersion = batchplanVersion
        self.createdAt = createdAt
    }

    /// A saved plan from Codable values, encoded with sorted keys (stable text for the same values) and dates as
    /// ISO 8601 text.
    public init(
        name: String, query: some Encodable, result: some Encodable, calibration: some Encodable,
        batchplanVersion: String, createdAt: String = Catalog.timestamp()
    ) throws(CatalogError) {
        self.init(
            name: name, queryJSON: try Self.encode(query, what: "query"), resultJSON: try Self.encode(result, what: "result"),
            calibrationJSON: try Self.encode(calibration, what: "calibration"), batchplanVersion: batchplanVersion,
            createdAt: createdAt)
    }

    static func encode(_ value: some Encodable, what: String) throws(CatalogError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw .invalidInput("cannot store the plan's \(what) as JSON: \(error.localizedDescription)")
        }
    }

    /// Decodes one of the plan's documents; a document an older or newer batchplan wrote in another shape is a
    /// clear error naming the plan.
    public func decode<T: Decodable>(_ type: T.Type, from json: String, what: String) throws(CatalogError) -> T {
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(type, from: Data(json.utf8))
        } catch {
            throw .invalidInput(
                "saved plan \"\(name)\" (saved by batchplan \(batchplanVersion)) has a \(what) this batchplan cannot read; "
                    + "run the fit again and save it with --save \(name) --replace")
        }
    }
}

extension Catalog {
    /// Stores a plan; an existing name (any letter case) is replaced only with `replacing`.
    ///
    /// - Throws: `duplicate` naming `--replace` when the name is taken and `replacing` is false; `invalidInput` for an
    ///   empty name.
    public func savePlan(_ plan: SavedPlan, replacing: Bool = false) throws(CatalogError) {
        let name = plan.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw .invalidInput("a saved plan needs a name: pass --save NAME") }
        try write("saving the plan \"\(name)\"") { db in
            if let existing = try String.fetchOne(db, sql: "SELECT name FROM saved_plan WHERE name = ?", arguments: [name]) {
                guard replacing else { throw Self.planNameTaken(existing) }
                try db.execute(sql: "DELETE FROM saved_plan WHERE name = ?", arguments: [name])
            }
            try db.execute(
                sql: """
                    INSERT INTO saved_plan (name, query_json, result_json, calibration_json, batchplan_version, created_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [name, plan.queryJSON, plan.resultJSON, plan.calibrationJSON, plan.batchplanVersion, plan.createdAt])
        }
    }

    /// Throws `duplicate` naming `--replace` when a plan called `name` (any letter case) is already saved.
    ///
    /// `fit --save` asks this before planning, so a taken name costs no fit and prints no plan before the error;
    /// `savePlan` checks again inside its transaction.
    public func requirePlanNameFree(_ name: String) throws(CatalogError) {
        let name = name.trimmingCharacters(in: .whitespaces)
        let existing = try read("reading a saved plan") { db in
            try String.fetchOne(db, sql: "SELECT name FROM saved_plan WHERE name = ?", arguments: [name])
        }
        if let existing { throw Self.planNameTaken(existing) }
    }

    static func planNameTaken(_ existing: String) -> CatalogError {
        .duplicate(what: "saved plan", name: existing, fix: "pass --replace to overwrite it, or save under another name")
    }

    /// Every saved plan, oldest first (then by name).
    public func savedPlans() throws(CatalogError) -> [SavedPlan] {
        try read("listing saved plans") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM saved_plan ORDER BY created_at, name").map(Self.savedPlan)
        }
    }

    /// The saved plan called `name` (any letter case).
    ///
    /// - Throws: `unknownPlan` with the closest names when there is none.
    public func savedPlan(named name: String) throws(CatalogError) -> SavedPlan {
        try read("reading a saved plan") { db in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM saved_plan WHERE name = ?", arguments: [name]) {
                return Self.savedPlan(row)
            }
            throw CatalogError.unknownPlan(name: name, suggestions: try Self.planSuggestions(for: name, db))
        }
    }

    /// Removes the saved plan called `name` (any letter case).
    public func removeSavedPlan(named name: String) throws(CatalogError) {
        try write("removing a saved plan") { db in
            try db.execute(sql: "DELETE FROM saved_plan WHERE name = ?", arguments: [name])
            if db.changesCount == 0 {
                throw CatalogError.unknownPlan(name: name, suggestions: try Self.planSuggestions(for: name, db))
            }
        }
    }

    private static func savedPlan(_ row: Row) -> SavedPlan {
        SavedPlan(
            name: row["name"], queryJSON: row["query_json"], resultJSON: row["result_json"],
            calibrationJSON: row["calibration_json"], batchplanVersion: row["batchplan_version"], createdAt: row["created_at"])
    }

    /// Names close to `name` (edit distance, or containing it), closest first.
    private static func planSuggestions(for name: String, _ db: Database) throws -> [String] {
        let key = GPUNames.key(name)
        return try String.fetchAll(db, sql: "SELECT name FROM saved_plan")
            .map { ($0, GPUNames.distance(GPUNames.key($0), key)) }
            .filter { $0.1 <= max(2, key.count / 3) || (!key.isEmpty && GPUNames.key($0.0).contains(key)) }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0)
    }
}
