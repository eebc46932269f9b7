import Foundation

/// A decoded JSON value, so numbers, booleans and text are told apart the same way on every platform
/// (layer-spec files, runs files).
public enum JSONValue: Decodable, Hashable, Sendable {
    case number(Double)
    case string(String)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])
    case null

    /// Tries numbers, then text, then booleans: each failed attempt builds a decoding error, so the commonest kinds
    /// go first. A JSON value decodes as exactly one of them, so the order does not change the result.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The value as an exact integer, if it is one.
    var integer: Int? {
        guard case let .number(value) = self, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }
}
