import Foundation

/// Memory sizes: parsing what users type and printing what users read. Inside the program memory is `Int` bytes.
///
/// Card sizes are binary as vendors mean them: a "12GB" card has 12 GiB, so `GB`, `G` and `GiB` all mean 2^30 bytes;
/// `MB`, `M`, `MiB` mean 2^20; `KB`, `K`, `KiB` 2^10; `TB`, `T`, `TiB` 2^40; `B` or no unit means bytes.
public enum ByteSize {
    private static let units: [(suffixes: [String], multiplier: Double)] = [
        (["tib", "tb", "t"], 1_099_511_627_776),
        (["gib", "gb", "g"], 1_073_741_824),
        (["mib", "mb", "m"], 1_048_576),
        (["kib", "kb", "k"], 1024),
        (["b", ""], 1),
    ]

    /// The largest size accepted: 1 PiB, far above any device, far below `Int.max`.
    public static let maximum = 1 << 50

    /// Parses `12GB`, `12 GiB`, `12288MiB`, `11.5G`, `1073741824` into bytes.
    ///
    /// - Throws: `CoreError.invalidValue` for an empty text, an unknown unit, a negative, non-finite or absurd value.
    public static func parse(_ text: String, what: String = "memory size") throws(CoreError) -> Int {
        let fix = "write a size such as 12GB, 12 GiB, 12288MiB or 11.5G (binary units: 1 GB = 2^30 bytes)"
        let trimmed = text.trimmingSpaces().lowercased()
        guard !trimmed.isEmpty else { throw .invalidValue(what: what, value: text, fix: fix) }
        let numberEnd = trimmed.firstIndex { !($0.isNumber || $0 == "." || $0 == "-" || $0 == "+") } ?? trimmed.endIndex
        let numberText = String(trimmed[..<numberEnd])
        let unitText = trimmed[numberEnd...].trimmingSpaces()
        guard let unit = units.first(where: { $0.suffixes.contains(unitText) }) else {
            throw .invalidValue(what: what, value: text, fix: "unknown unit \"\(unitText)\"; \(fix)")
        }
        guard isPlainDecimal(numberText), let number = Double(numberText)
        else {
            if numberText.hasPrefix("-") {
                throw .invalidValue(what: what, value: text, fix: "a size cannot be negative; \(fix)")
            }
            throw .invalidValue(what: what, value: text, fix: fix)
        }
        let bytes = (number * unit.multiplier).rounded()
        guard bytes.isFinite, bytes <= Double(maximum) else {
            throw .invalidValue(what: what, value: text, fix: "sizes above 1 PiB are not plausible; \(fix)")
        }
        return Int(bytes)
    }

    /// Whether `text` is an unsigned decimal number as people type sizes: an optional `+`, ASCII digits, and at most
    /// one `.` followed by digits (`12`, `11.5`, `.5`, `+3`; not `1.`, `1e3`, `1.2.3` or other scripts' digits).
    ///
    /// Written out rather than as a regular expression: compiling one cost more than the rest of a plan's parsing.
    static func isPlainDecimal(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")) else { return !bytes.isEmpty && bytes.allSatisfy(isDigit) }
        let fraction = bytes[bytes.index(after: dot)...]
        return bytes[..<dot].allSatisfy(isDigit) && !fraction.isEmpty && fraction.allSatisfy(isDigit)
    }

    /// Formats bytes for people: `11.2 GiB`, `532.8 MiB`, `0 B`. Binary units, one decimal.
    public static func format(_ bytes: Int) -> String { format(bytes, decimals: 1) }

    /// Bytes in binary units with `decimals` decimals: `12.03 GiB` with two.
    public static func format(_ bytes: Int, decimals: Int) -> String {
        let magnitude = Double(bytes.magnitude)
        let sign = bytes < 0 ? "-" : ""
        for (name, size) in [("TiB", 1_099_511_627_776.0), ("GiB", 1_073_741_824.0), ("MiB", 1_048_576.0), ("KiB", 1024.0)]
        where magnitude >= size {
            return sign + NumberFormat.string("%.*f", Int32(decimals), magnitude / size) + " " + name
        }
        return "\(bytes) B"
    }

    /// Two sizes a sentence compares, with the same decimals and enough of them (up to three) that different sizes
    /// read differently: "12.03 GiB" against "12.00 GiB", where one decimal gave "12.0 GiB" for both.
    public static func format(_ a: Int, against b: Int) -> (String, String) {
        var decimals = 1
        while true {
            let texts = (format(a, decimals: decimals), format(b, decimals: decimals))
            if texts.0 != texts.1 || a == b || decimals == 3 { return texts }
            decimals += 1
        }
    }
}
