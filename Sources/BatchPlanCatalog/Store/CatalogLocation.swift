import Foundation

/// Where the catalog lives: `--db PATH`, else `BATCHPLAN_DB`, else `$XDG_DATA_HOME/batchplan/catalog.sqlite`,
/// else `~/.local/share/batchplan/catalog.sqlite`.
public struct CatalogLocation: Sendable, Equatable {
    public enum Origin: String, Sendable { case flag = "--db", environment = "BATCHPLAN_DB", xdgDataHome = "XDG_DATA_HOME", home = "default" }

    public var path: String
    public var origin: Origin

    public init(path: String, origin: Origin) {
        self.path = path
        self.origin = origin
    }

    /// Resolves the location from the flag and the environment, without touching the file system.
    public static func resolve(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(CatalogError) -> CatalogLocation
    {
        if let flag {
            guard !flag.isEmpty else {
                throw .location(path: "\"\"", problem: "--db is empty", fix: "pass a file path such as --db ./catalog.sqlite")
            }
            return CatalogLocation(path: flag, origin: .flag)
        }
        if let env = environment["BATCHPLAN_DB"], !env.isEmpty {
            return CatalogLocation(path: env, origin: .environment)
        }
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return CatalogLocation(path: xdg + "/batchplan/catalog.sqlite", origin: .xdgDataHome)
        }
        guard let home = environment["HOME"], !home.isEmpty else {
            throw .location(path: "~", problem: "HOME is not set", fix: "pass --db PATH or set BATCHPLAN_DB")
        }
        return CatalogLocation(path: home + "/.local/share/batchplan/catalog.sqlite", origin: .home)
    }
}
