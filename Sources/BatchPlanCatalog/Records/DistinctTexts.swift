import Foundation

/// A text column's distinct values, each decoded once and found again by its bytes.
///
/// An open-addressing table keyed by the text's `Fingerprint` (its length and four 8-byte samples); the bytes
/// themselves decide, compared with `memcmp`. A look-up costs a few multiplications and one
/// comparison, where decoding a text costs its validation and an allocation (and a dictionary keyed by the text,
/// hashing all of it). Up to `capacity` distinct texts are kept; past that, a text not kept is decoded each time.
struct DistinctTexts<Value> {
    private struct Entry {
        /// Where the text's bytes start in `arena`.
        var offset: Int
        var count: Int
        var hash: UInt64
    }

    /// Every kept text's bytes, one after another.
    private var arena: [UInt8] = []
    private var entries: [Entry] = []
    private var values: [Value] = []
    /// Each slot holds an index into `entries`, or -1; a power of two long, at most half full.
    private var slots = [Int32](repeating: -1, count: 64)

    /// Most distinct texts kept.
    static var capacity: Int { 4096 }

    /// The number of the last text looked up among the kept ones (0, 1, … in the order first met), `nil` when it
    /// was not kept: equal numbers, equal texts.
    private(set) var lastNumber: Int?

    /// The value of `bytes`, decoded with `decode` from their text (invalid UTF-8 repaired) the first time.
    mutating func value(of bytes: UnsafeBufferPointer<UInt8>, decode: (String) -> Value) -> Value {
        let hash = Self.hash(bytes)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] >= 0 {
            let index = Int(slots[slot])
            if entries[index].hash == hash, entries[index].count == bytes.count, equal(entries[index], bytes) {
                lastNumber = index
                return values[index]
            }
            slot = (slot + 1) & mask
        }
        let value = decode(Self.string(bytes))
        lastNumber = nil
        if entries.count < Self.capacity {
            lastNumber = entries.count
            slots[slot] = Int32(entries.count)
            entries.append(Entry(offset: arena.count, count: bytes.count, hash: hash))
            arena.append(contentsOf: bytes)
            values.append(value)
            if entries.count * 2 > slots.count { grow() }
        }
        return value
    }

    /// The text of UTF-8 bytes, invalid sequences repaired (as `String(cString:)` does).
    static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    private func equal(_ entry: Entry, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard entry.count > 0 else { return true }
        return arena.withUnsafeBufferPointer { kept in
            memcmp(kept.baseAddress! + entry.offset, bytes.baseAddress!, entry.count) == 0
        }
    }

    /// Doubles the slots and places every entry again.
    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (index, entry) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: entry.hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var fingerprint = Fingerprint()
        fingerprint.add(bytes)
        return fingerprint.value
    }
}
