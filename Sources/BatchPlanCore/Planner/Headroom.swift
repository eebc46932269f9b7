import Foundation

/// Memory left free on the card after the device-used prediction: a fraction of the card or a fixed size.
///
/// Parses `15%`, `0.15`, `1.5GiB`, `1536MiB`. The default is 10% of the card (an assumption, between Lightning's 5%
/// post-search margin and Loggetta's 20% reserve; see anchors.md §4).
public enum Headroom: Hashable, Codable, Sendable, CustomStringConvertible {
    /// A fraction of the card's memory, 0 ..< 1.
    case fraction(Double)
    /// A fixed number of bytes.
    case bytes(Int)

    /// 10% of the card.
    public static let `default` = Headroom.fraction(0.10)

    /// Parses `15%`, `0.15` (a fraction below 1), or a size such as `1.5GiB`; a bare number of 1 or more is refused
    /// as ambiguous.
    public init(parsing text: String) throws(CoreError) {
        let trimmed = text.trimmingSpaces()
        let fix = "write a percentage such as 15% or a size such as 1.5GiB"
        if trimmed.hasPrefix("-") {
            throw .invalidValue(what: "headroom", value: text, fix: "a headroom cannot be negative; " + fix)
        }
        if trimmed.hasSuffix("%") {
            guard let percent = Double(trimmed.dropLast().trimmingSpaces()),
                percent.isFinite, percent >= 0, percent < 100
            else { throw .invalidValue(what: "headroom", value: text, fix: fix + " (0% to below 100%)") }
            self = .fraction(percent / 100)
            return
        }
        if let value = Double(trimmed), trimmed.allSatisfy({ $0.isNumber || $0 == "." }) {
            // A bare number is a fraction below 1; "10" is ambiguous (10%? 10 GiB?), so it is refused.
            guard value < 1 else {
                throw .invalidValue(what: "headroom", value: text, fix: "say \(trimmed)% or \(trimmed)GiB")
            }
            self = .fraction(value)
            return
        }
        do {
            self = .bytes(try ByteSize.parse(trimmed, what: "headroom"))
        } catch {
            throw .invalidValue(what: "headroom", value: text, fix: fix)
        }
    }

    /// Bytes kept free on a card of `cardBytes`.
    public func bytes(ofCard cardBytes: Int) -> Int {
        switch self {
        case let .fraction(f): Int((Double(cardBytes) * f).rounded(.up))
        case let .bytes(b): b
        }
    }

    public var description: String {
        switch self {
        case let .fraction(f): NumberFormat.string("%g%%", f * 100)
        case let .bytes(b): ByteSize.format(b)
        }
    }
}
