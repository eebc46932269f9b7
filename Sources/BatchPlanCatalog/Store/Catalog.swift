import BatchPlanCore
import Foundation
import GRDB

/// The SQLite catalog: GPUs, models, runs, calibration and saved plans.
///
/// Opening creates the file if needed, refuses a catalog written by a newer schema (leaving it untouched), applies
/// the embedded migrations in order (each once, in its own transaction) and refreshes the built-in rows when the
/// embedded seed changed. Rows the user added or recorded are never touched by a refresh.
public final class Catalog: Sendable {
    public let path: String
    /// Whether this open created the catalog file (it did not exist before): the command says so once.
    public let isNew: Bool
    let queue: DatabaseQueue

    /// Opens (creating if needed) the catalog at `location`.
    ///
    /// A path the user gave (`--db`, `BATCHPLAN_DB`) must be in a directory that exists: a mistyped folder would
    /// otherwise become a fresh, empty catalog without notice. Only the default location's folders are created.
    public convenience init(location: CatalogLocation) throws(CatalogError) {
        let given = location.origin == .flag || location.origin == .environment
        try self.init(path: location.path, seed: true, givenWith: given ? location.origin : nil)
    }

    /// Opens (creating if needed) the catalog at `path`; `":memory:"` opens a private in-memory catalog.
    public convenience init(path: String, seed: Bool = true) throws(CatalogError) {
        try self.init(path: path, seed: seed, givenWith: nil)
    }

    /// - Parameter givenWith: how the user gave `path`, whose folder must then exist; `nil` creates missing folders.
    init(path: String, seed: Bool, givenWith: CatalogLocation.Origin?) throws(CatalogError) {
        self.path = path
        isNew = path != ":memory:" && !FileManager.default.fileExists(atPath: path)
        if path != ":memory:" { try Self.prepareFolder(for: path, givenWith: givenWith) }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(15)
        configuration.label = "batchplan.catalog"
        do {
            queue = path == ":memory:" ? try DatabaseQueue(configuration: configuration)
                : try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw Self.translate(error, path: path, operation: "opening the catalog")
        }
        try migrate()
        if seed { try refreshBuiltins() }
    }

    /// Checks `path` is not a directory and that its folder is one, creating the folder when it is missing and the
    /// path was not given by the user (`givenWith` names the flag or variable that gave it).
    private static func prepareFolder(for path: String, givenWith: CatalogLocation.Origin?) throws(CatalogError) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                throw .location(path: path, problem: "is a directory", fix: "pass a file path such as \(path)/catalog.sqlite")
            }
            return
        }
        let folder = (path as NSString).deletingLastPathComponent
        guard !folder.isEmpty else { return }
        let flag = givenWith?.rawValue ?? "--db"
        if manager.fileExists(atPath: folder, isDirectory: &isDirectory) {
            if !isDirectory.boolValue {
                throw .location(path: path, problem: "\(folder) is not a directory", fix: "fix the path given with \(flag)")
            }
            return
        }
        if givenWith != nil {
            throw .location(
                path: path, problem: "directory \(folder) does not exist",
                fix: "create it first (mkdir -p \(folder)) or fix the path given with \(flag)")
        }
        do {
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .location(path: path, problem: "cannot create the folder \(folder)", fix: "create it or pass a writable path with --db")
        }
    }

    /// The migrator over the embedded `Migrations/*.sql`, in file-name order.
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in EmbeddedMigrations.all {
            migrator.registerMigration(migration.identifier) { db in try db.execute(sql: migration.sql) }
        }
        return migrator
    }

    private func migrate() throws(CatalogError) {
        let migrator = Self.migrator()
        do {
            let unknown = try queue.read { db -> [String] in
                guard try migrator.hasBeenSuperseded(db) else { return [] }
                let known = Set(EmbeddedMigrations.all.map(\.identifier))
                return try migrator.appliedIdentifiers(db).filter { !known.contains($0) }.sorted()
            }
            if !unknown.isEmpty { throw CatalogError.newerSchema(path: path, unknown: unknown) }
            if path != ":memory:" {
                // WAL lets readers and a writer work at once; the busy timeout serializes concurrent writers.
                _ = try queue.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
            }
            try migrator.migrate(queue)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw Self.translate(error, path: path, operation: "migrating the catalog")
        }
    }

    /// Identifiers of the migrations applied to this catalog, in order.
    public func appliedMigrations() throws(CatalogError) -> [String] {
        try read("reading the schema version") { db in try Self.migrator().completedMigrations(db) }
    }

    // MARK: - Access with errors translated

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws(CatalogError) -> T {
        do {
            return try queue.read(body)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw Self.translate(error, path: path, operation: operation)
        }
    }

    /// Runs `body` in one IMMEDIATE transaction: all of it is stored, or nothing.
    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws(CatalogError) -> T {
        do {
            return try queue.write(body)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw Self.translate(error, path: path, operation: operation)
        }
    }

    static func translate(_ error: any Error, path: String, operation: String) -> CatalogError {
        if let error = error as? CatalogError { return error }
        if let error = error as? CoreError { return .core(error) }
        guard let error = error as? DatabaseError else {
            return .database(operation: operation, detail: String(describing: error))
        }
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT: return .notACatalog(path: path)
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .busy(path: path)
        case .SQLITE_READONLY, .SQLITE_PERM: return .readOnly(path: path)
        case .SQLITE_CANTOPEN:
            return .location(path: path, problem: "cannot be opened", fix: "check the path and its permissions, or pass another with --db")
        case .SQLITE_FULL: return .database(operation: operation, detail: "the disk is full")
        default: return .database(operation: operation, detail: error.message ?? "SQLite error \(error.resultCode.rawValue)")
        }
    }
}
