/// A cheap 64-bit fingerprint of a few values, for finding candidates in a table before comparing them in full.
///
/// Text is taken by its length and four 8-byte samples (start, a third, two thirds, end), not every byte: equal
/// values always have equal fingerprints, unequal ones rarely do, and the table compares the candidates it finds.
/// Not a stable hash: for one process's tables only.
struct Fingerprint {
    private var state: UInt64 = 0x9e37_79b9_7f4a_7c15

    /// The fingerprint of what was added.
    var value: UInt64 { Self.mix(state) }

    /// Adds UTF-8 bytes.
    mutating func add(_ bytes: UnsafeBufferPointer<UInt8>) {
        let count = bytes.count
        add(UInt64(count))
        if count >= 8 {
            let raw = UnsafeRawPointer(bytes.baseAddress!)
            add(raw.loadUnaligned(as: UInt64.self))
            add(raw.loadUnaligned(fromByteOffset: min(count / 3, count - 8), as: UInt64.self))
            add(raw.loadUnaligned(fromByteOffset: min(count * 2 / 3, count - 8), as: UInt64.self))
            add(raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
        } else {
            var word: UInt64 = 0
            for byte in bytes { word = word << 8 | UInt64(byte) }
            add(word)
        }
    }

    /// Adds a text, or that there is none.
    mutating func add(_ text: String?) {
        guard let text else { return add(UInt64.max) }
        if let added: Void = text.utf8.withContiguousStorageIfAvailable({ add($0) }) { return added }
        var copy = text
        copy.withUTF8 { add($0) }
    }

    /// Adds a number, or that there is none.
    mutating func add(_ number: Int?) {
        add(number.map { UInt64(bitPattern: Int64($0)) } ?? UInt64.max - 1)
    }

    /// Adds a word: one multiply and a rotation (the order of words matters); `value` mixes the result once.
    mutating func add(_ word: UInt64) {
        state = ((state ^ word) &* 0x9fb2_1c65_1e98_df25).rotated(by: 29)
    }

    /// MurmurHash3's 64-bit finalizer.
    private static func mix(_ value: UInt64) -> UInt64 {
        var value = value
        value ^= value >> 33
        value &*= 0xff51_afd7_ed55_8ccd
        value ^= value >> 33
        value &*= 0xc4ce_b9fe_1a85_ec53
        value ^= value >> 33
        return value
    }
}

extension UInt64 {
    /// The bits rotated left by `count`.
    fileprivate func rotated(by count: UInt64) -> UInt64 { self << count | self >> (64 - count) }
}
