import BatchPlanCore
import Foundation
import Testing

@Suite("JSON values")
struct JSONValueTests {
    @Test("every kind of JSON value decodes as its own kind, booleans and numbers apart")
    func kindsStayApart() throws {
        let text = #"{"t": true, "f": false, "one": 1, "zero": 0, "small": 1.5e-5, "text": "1", "word": "true", "none": null, "list": [1, "y", false], "nested": {"g": 0}}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        guard case let .object(object) = value else { Issue.record("not an object: \(value)"); return }
        #expect(object["t"] == .bool(true))
        #expect(object["f"] == .bool(false))
        #expect(object["one"] == .number(1))
        #expect(object["zero"] == .number(0))
        #expect(object["small"] == .number(1.5e-5))
        #expect(object["text"] == .string("1"))
        #expect(object["word"] == .string("true"))
        #expect(object["none"] == .null)
        #expect(object["list"] == .array([.number(1), .string("y"), .bool(false)]))
        #expect(object["nested"] == .object(["g": .number(0)]))
    }
}
