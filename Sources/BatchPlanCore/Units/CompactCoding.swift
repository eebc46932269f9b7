/// A small binary encoding for values the catalog keeps as caches: integers as zigzag varints, doubles by their bit
/// pattern, text as its UTF-8 bytes after a length.
///
/// Reading it costs a few instructions a byte, where `JSONDecoder` through `Codable` cost hundreds: the point of a
/// cache is to be cheaper than what it saves. It carries no field names, so a format is the order its writer and
/// reader agree on; cached values are keyed by a fingerprint of the code that wrote them, never read across versions.
public struct CompactWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func int(_ value: Int) {
        // Zigzag, so small negative numbers stay short, then 7 bits a byte, low first.
        var rest = UInt64(bitPattern: Int64((value << 1) ^ (value >> (Int.bitWidth - 1))))
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    public mutating func optionalInt(_ value: Int?) {
        bool(value != nil)
        if let value { int(value) }
    }

    public mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    public mutating func double(_ value: Double) {
        var pattern = value.bitPattern
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: pattern))
            pattern >>= 8
        }
    }

    /// Whether there is one, then the text.
    public mutating func optionalString(_ value: String?) {
        bool(value != nil)
        if let value { string(value) }
    }

    /// Bytes as they are (the reader skips them, or reads them with a reader of their own).
    public mutating func raw(_ values: [UInt8]) { bytes.append(contentsOf: values) }

    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            int(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }
}

/// Reads what a `CompactWriter` wrote, in the same order; every read returns `nil` past the end or on a value out of
/// range, so a damaged or foreign byte string is refused, never trusted.
public struct CompactReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    /// How many bytes have been read.
    public private(set) var position = 0

    /// Reads `bytes` (which must outlive the reader: use it inside `withUnsafeBufferPointer`).
    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    public var isAtEnd: Bool { position == bytes.count }

    /// Bytes left to read: an upper bound on the values still to come (each takes at least one), for sizing arrays
    /// without trusting a count read from the bytes.
    public var remaining: Int { bytes.count - position }

    @inline(__always)
    public mutating func int() -> Int? {
        // Most values fit one byte.
        if position < bytes.count, bytes[position] < 0x80 {
            let value = UInt64(bytes[position])
            position += 1
            return Int(Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1))))
        }
        return longInt()
    }

    private mutating func longInt() -> Int? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count, shift < 64 {
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return Int(Int64(bitPattern: (result >> 1) ^ (0 &- (result & 1)))) }
            shift += 7
        }
        return nil
    }

    /// An integer in `range`, else `nil`.
    public mutating func int(in range: ClosedRange<Int>) -> Int? {
        guard let value = int(), range.contains(value) else { return nil }
        return value
    }

    /// `nil` when the read fails; `.some(nil)` for an absent value.
    public mutating func optionalInt() -> Int?? {
        guard let present = bool() else { return nil }
        guard present else { return .some(nil) }
        guard let value = int() else { return nil }
        return .some(value)
    }

    /// `nil` when the read fails; `.some(nil)` for an absent text.
    public mutating func optionalString() -> String?? {
        guard let present = bool() else { return nil }
        guard present else { return .some(nil) }
        guard let value = string() else { return nil }
        return .some(value)
    }

    /// Moves past `count` bytes (at most to the end).
    public mutating func skip(_ count: Int) { position = min(bytes.count, position + max(0, count)) }

    public mutating func bool() -> Bool? {
        guard position < bytes.count, bytes[position] <= 1 else { return nil }
        position += 1
        return bytes[position - 1] == 1
    }

    public mutating func double() -> Double? {
        guard bytes.count - position >= 8 else { return nil }
        var pattern: UInt64 = 0
        for offset in (0..<8).reversed() { pattern = pattern << 8 | UInt64(bytes[position + offset]) }
        position += 8
        return Double(bitPattern: pattern)
    }

    public mutating func string() -> String? {
        // The length is checked against what is left after it is read.
        guard let count = int(), count >= 0, count <= bytes.count - position else { return nil }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<(position + count)]), as: UTF8.self)
        position += count
        return text
    }
}
