import Foundation

/// A Hugging Face `config.json` read as loosely typed JSON, with typed look-ups that name the missing or bad key.
///
/// Only decodes text handed in; never reads files.
struct HFConfig: Sendable {
    /// The model name used in error messages.
    let model: String
    private let values: [String: JSONValue]

    /// A JSON value kept in a `Sendable` form.
    enum JSONValue: Sendable, Decodable {
        case number(Double)
        case bool(Bool)
        case string(String)
        /// A JSON object, by its number of entries (`id2label`).
        case object(count: Int)
        /// JSON null.
        case null
        /// Arrays: not read by the accounting.
        case other

        /// Tries the commonest kinds first (a config is mostly numbers): each failed attempt builds a decoding
        /// error, and trying Bool first made every number and string pay for one or two. A JSON value decodes as
        /// exactly one of these, so the order does not change the result.
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else if let text = try? container.decode(String.self) {
                self = .string(text)
            } else if let flag = try? container.decode(Bool.self) {
                self = .bool(flag)
            } else if let object = try? container.decode([String: JSONValue].self) {
                self = .object(count: object.count)
            } else {
                self = .other
            }
        }
    }

    /// The largest dimension accepted (2^24): far above any published model, far below overflow once multiplied.
    static let dimensionLimit = 1 << 24

    init(model: String, text: String) throws(CoreError) {
        self.model = model
        do {
            values = try JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8))
        } catch {
            throw .invalidModel(model: model, problem: "config.json is not a valid JSON object")
        }
    }


    /// The first of `keys` present as a number, validated as a positive dimension.
    func optionalInt(_ keys: String...) throws(CoreError) -> Int? {
        for key in keys {
            guard let value = values[key] else { continue }
            switch value {
            case .number(let number):
                guard number.rounded() == number, number >= 0, number <= Double(Self.dimensionLimit) else {
                    throw .invalidModel(
                        model: model, problem: "config key \"\(key)\" must be a whole number between 0 and \(Self.dimensionLimit), got \(number)")
                }
                return Int(number)
            case .other, .object, .null: continue
            default:
                throw .invalidModel(model: model, problem: "config key \"\(key)\" must be a number")
            }
        }
        return nil
    }

    /// The first of `keys` present, as a positive whole number; throws naming the first key when none is present.
    func int(_ keys: String...) throws(CoreError) -> Int {
        for key in keys {
            if let value = try optionalInt(key) {
                guard value > 0 else {
                    throw .invalidModel(model: model, problem: "config key \"\(key)\" must be positive, got 0")
                }
                return value
            }
        }
        throw .invalidModel(model: model, problem: "config.json lacks the required key \"\(keys[0])\"")
    }

    /// A whole number with a default when absent.
    func int(_ key: String, default fallback: Int) throws(CoreError) -> Int {
        try optionalInt(key) ?? fallback
    }

    /// A number (dropout probabilities, fractions) with a default when absent.
    func double(_ key: String, default fallback: Double) throws(CoreError) -> Double {
        switch values[key] {
        case .number(let number)?:
            guard number.isFinite, number >= 0, number <= 1e6 else {
                throw .invalidModel(model: model, problem: "config key \"\(key)\" must be a non-negative number, got \(number)")
            }
            return number
        case nil, .other?, .object?, .null?: return fallback
        default: throw .invalidModel(model: model, problem: "config key \"\(key)\" must be a number")
        }
    }

    /// A boolean with a default when absent.
    func bool(_ key: String, default fallback: Bool) throws(CoreError) -> Bool {
        switch values[key] {
        case .bool(let flag)?: return flag
        case nil, .other?, .object?, .null?: return fallback
        default: throw .invalidModel(model: model, problem: "config key \"\(key)\" must be true or false")
        }
    }

    /// Whether `key` is present with the value `null` (transformers then turns the feature off).
    func isNull(_ key: String) -> Bool {
        if case .null? = values[key] { return true }
        return false
    }

    /// Entries of a JSON object (`id2label`), or `nil` when absent.
    func objectCount(_ key: String) -> Int? {
        if case .object(let count)? = values[key] { return count }
        return nil
    }

    /// A string, or `nil` when absent.
    func string(_ key: String) -> String? {
        if case .string(let text)? = values[key] { return text }
        return nil
    }
}
