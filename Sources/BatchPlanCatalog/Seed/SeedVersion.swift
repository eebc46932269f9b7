/// A fingerprint of the embedded seed: when it changes, the built-in rows are refreshed on the next open.
enum SeedVersion {
    /// FNV-1a 64-bit over every embedded data file's path and text, in path order: worked out by the build plugin
    /// that embeds them (hashing the whole seed here was a quarter of every command's start).
    static let current = EmbeddedResources.seedFingerprint

    /// The same fingerprint worked out from the embedded files at run time (tests check the two agree).
    static func computed() -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for path in EmbeddedResources.files.keys.sorted() where path.hasPrefix("data/") {
            for byte in path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            for byte in EmbeddedResources.files[path]!.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        return String(hash, radix: 16)
    }
}
