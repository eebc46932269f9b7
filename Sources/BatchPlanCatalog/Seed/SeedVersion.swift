import BatchPlanCore

/// A fingerprint of the embedded seed: when it changes, the built-in rows are refreshed on the next open.
enum SeedVersion {
    /// FNV-1a 64-bit over every embedded data file's path and text, in path order: worked out by the build plugin
    /// that embeds them (hashing the whole seed here was a quarter of every command's start).
    static let current = EmbeddedResources.seedFingerprint

    /// The same fingerprint worked out from the embedded files at run time (tests check the two agree).
    static func computed() -> String {
        var hash = FNV1a()
        for path in EmbeddedResources.files.keys.sorted() where path.hasPrefix("data/") {
            hash.combine(path)
            hash.combine(EmbeddedResources.files[path]!)
        }
        return hash.hex
    }
}
