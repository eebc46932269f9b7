import BatchPlanCore
import Foundation

/// One row of a runs file as key → value, read the same way from JSON Lines and CSV (whose cells are text).
struct RunFields {
    var values: [String: JSONValue]

    struct Problem: Error { var message: String }

    init(json: [String: JSONValue]) { values = json }

    init(csv: [String: String]) { values = csv.mapValues { .string($0) } }

    func present(_ key: String) -> Bool {
        switch values[key] {
        case nil, .null: false
        case let .string(text): !text.trimmingCharacters(in: .whitespaces).isEmpty
        default: true
        }
    }

    func string(_ key: String) throws(Problem) -> String? {
        guard present(key) else { return nil }
        switch values[key]! {
        case let .string(text): return text.trimmingCharacters(in: .whitespaces)
        case let .number(number): return number == number.rounded() && abs(number) < 9e15 ? String(Int(number)) : String(number)
        default: throw Problem(message: "\(key) must be text")
        }
    }

    func double(_ key: String) throws(Problem) -> Double? {
        guard present(key) else { return nil }
        switch values[key]! {
        case let .number(number) where number.isFinite: return number
        case let .string(text):
            guard let parsed = Double(text.trimmingCharacters(in: .whitespaces)), parsed.isFinite else { fallthrough }
            return parsed
        default: throw Problem(message: "\(key) must be a number")
        }
    }

    func int(_ key: String) throws(Problem) -> Int? {
        guard let value = try double(key) else { return nil }
        guard value == value.rounded(), abs(value) < 9e15 else {
            throw Problem(message: "\(key) must be a whole number, got \(value)")
        }
        return Int(value)
    }

    func bool(_ key: String) throws(Problem) -> Bool? {
        guard present(key) else { return nil }
        switch values[key]! {
        case let .bool(flag): return flag
        case let .string(text) where ["true", "1", "yes"].contains(text.lowercased()): return true
        case let .string(text) where ["false", "0", "no"].contains(text.lowercased()): return false
        default: throw Problem(message: "\(key) must be true or false")
        }
    }

    /// A byte count given either as an integer or as a size with a unit ("9.8GiB").
    func bytes(_ key: String) throws(Problem) -> Int? {
        guard present(key) else { return nil }
        if case let .string(text) = values[key]!, text.contains(where: \.isLetter) {
            do { return try ByteSize.parse(text, what: key) } catch { throw Problem(message: error.description) }
        }
        return try int(key)
    }
}
