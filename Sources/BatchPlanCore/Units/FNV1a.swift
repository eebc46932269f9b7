/// FNV-1a, 64 bits: the fingerprint the catalog keys its caches and seed by (fast, stable across processes and
/// builds, unlike `Hasher`, whose seed changes per process). Not for anything an adversary chooses.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func combine(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x100_0000_01b3
    }

    public mutating func combine(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { combine(byte) }
    }

    /// The text's UTF-8 bytes.
    public mutating func combine(_ text: String) { combine(text.utf8) }

    /// The value in hexadecimal, as the catalog stores fingerprints.
    public var hex: String { String(value, radix: 16) }
}
