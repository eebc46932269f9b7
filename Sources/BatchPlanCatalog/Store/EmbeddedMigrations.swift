/// The SQL migrations compiled into the binary from `Migrations/NNNN_name.sql`.
public enum EmbeddedMigrations {
    public struct Migration: Sendable {
        /// The file name without `.sql`, e.g. `0001_catalog`: the migration's identifier forever.
        public var identifier: String
        public var sql: String
    }

    /// Every embedded migration, in file-name order.
    public static let all: [Migration] = EmbeddedResources.files
        .filter { $0.key.hasPrefix("Migrations/") && $0.key.hasSuffix(".sql") }
        .map { Migration(identifier: String($0.key.dropFirst("Migrations/".count).dropLast(4)), sql: $0.value) }
        .sorted { $0.identifier < $1.identifier }

    /// The newest schema this binary knows.
    public static var latest: String { all.last?.identifier ?? "none" }
}

/// Embedded seed data files (`data/**`), by path relative to the package root.
public enum EmbeddedData {
    public static func text(_ path: String) -> String? { EmbeddedResources.files[path] }

    /// Paths of embedded data files under a folder, e.g. `data/models/hf/`.
    public static func paths(under folder: String) -> [String] {
        EmbeddedResources.files.keys.filter { $0.hasPrefix(folder) }.sorted()
    }
}
