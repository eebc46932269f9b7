import BatchPlanCore
import Foundation
import Testing

@testable import BatchPlanCatalog

@Suite("Saved plans in the catalog")
struct SavedPlanTests {
    struct Query: Codable, Equatable {
        var gpus: [String]
        var seq: Int?
    }

    static func catalog() throws -> Catalog { try Catalog(path: ":memory:", seed: false) }

    static func plan(_ name: String, seq: Int = 1024, at createdAt: String = "2026-11-26T12:00:00Z") throws -> SavedPlan {
        try SavedPlan(
            name: name, query: Query(gpus: ["RTX 3060"], seq: seq), result: ["max_batch": 14],
            calibration: CalibrationModel.analytic, batchplanVersion: "0.1.0", createdAt: createdAt)
    }

    @Test("a saved plan reads back under any letter case with its documents intact")
    func roundTrip() throws {
        let catalog = try Self.catalog()
        try catalog.savePlan(try Self.plan("Llama on 3060"))
        let loaded = try catalog.savedPlan(named: "LLAMA ON 3060")
        #expect(loaded.name == "Llama on 3060")
        #expect(try loaded.decode(Query.self, from: loaded.queryJSON, what: "query") == Query(gpus: ["RTX 3060"], seq: 1024))
        #expect(try loaded.decode([String: Int].self, from: loaded.resultJSON, what: "result") == ["max_batch": 14])
        #expect(try loaded.decode(CalibrationModel.self, from: loaded.calibrationJSON, what: "calibration") == .analytic)
        #expect(loaded.batchplanVersion == "0.1.0")
        #expect(loaded.createdAt == "2026-11-26T12:00:00Z")
    }

    @Test("a name already taken, in any letter case, is refused with --replace as the fix and the old plan kept")
    func duplicateName() throws {
        let catalog = try Self.catalog()
        try catalog.savePlan(try Self.plan("nightly", seq: 512))
        #expect {
            try catalog.savePlan(try Self.plan("NIGHTLY", seq: 2048))
        } throws: { error in
            guard case let .duplicate(what, name, fix) = error as? CatalogError else { return false }
            return what == "saved plan" && name == "nightly" && fix.contains("--replace")
        }
        let kept = try catalog.savedPlan(named: "nightly")
        #expect(try kept.decode(Query.self, from: kept.queryJSON, what: "query").seq == 512)
        #expect(try catalog.savedPlans().count == 1)
    }

    @Test("replacing overwrites the plan of the same name instead of adding a second")
    func replace() throws {
        let catalog = try Self.catalog()
        try catalog.savePlan(try Self.plan("nightly", seq: 512))
        try catalog.savePlan(try Self.plan("Nightly", seq: 2048), replacing: true)
        let plans = try catalog.savedPlans()
        #expect(plans.map(\.name) == ["Nightly"])
        #expect(try plans[0].decode(Query.self, from: plans[0].queryJSON, what: "query").seq == 2048)
    }

    @Test("plans list oldest first")
    func listOrder() throws {
        let catalog = try Self.catalog()
        try catalog.savePlan(try Self.plan("b", at: "2026-11-26T12:00:02Z"))
        try catalog.savePlan(try Self.plan("a", at: "2026-11-26T12:00:03Z"))
        try catalog.savePlan(try Self.plan("c", at: "2026-11-26T12:00:01Z"))
        #expect(try catalog.savedPlans().map(\.name) == ["c", "b", "a"])
    }

    @Test("an unknown name is an error that suggests the close names", arguments: ["nightlt", "night"])
    func unknownName(typed: String) throws {
        let catalog = try Self.catalog()
        try catalog.savePlan(try Self.plan("nightly"))
        try catalog.savePlan(try Self.plan("weekly-h100"))
        #expect(throws: CatalogError.unknownPlan(name: typed, suggestions: ["nightly"])) {
            try catalog.savedPlan(named: typed)
        }
        let message = CatalogError.unknownPlan(name: typed, suggestions: ["nightly"]).description
        #expect(message.contains("did you mean \"nightly\"") && message.contains("plans list"))
    }

    @Test("removing deletes the plan; removing it again is an unknown-plan error")
    func remove() throws {
        let catalog = try Self.catalog()
        try catalog.savePlan(try Self.plan("nightly"))
        try catalog.savePlan(try Self.plan("weekly"))
        try catalog.removeSavedPlan(named: "NIGHTLY")
        #expect(try catalog.savedPlans().map(\.name) == ["weekly"])
        #expect(throws: CatalogError.self) { try catalog.removeSavedPlan(named: "nightly") }
    }

    @Test("a blank name is refused and nothing is stored", arguments: ["", "   "])
    func blankName(name: String) throws {
        let catalog = try Self.catalog()
        #expect(throws: CatalogError.self) { try catalog.savePlan(try Self.plan(name)) }
        #expect(try catalog.savedPlans().isEmpty)
    }

    @Test("a document that is not JSON is refused by the table's check and nothing is stored")
    func invalidJSON() throws {
        let catalog = try Self.catalog()
        let broken = SavedPlan(
            name: "broken", queryJSON: "{not json", resultJSON: "{}", calibrationJSON: "{}", batchplanVersion: "0.1.0")
        #expect(throws: CatalogError.self) { try catalog.savePlan(broken) }
        #expect(try catalog.savedPlans().isEmpty)
    }

    @Test("a document in a shape this version cannot read names the plan and the way to save it again")
    func unreadableShape() throws {
        let plan = try Self.plan("old")
        #expect {
            _ = try plan.decode([Int].self, from: plan.queryJSON, what: "query")
        } throws: { error in
            guard case let .invalidInput(message) = error as? CatalogError else { return false }
            return message.contains("\"old\"") && message.contains("--save old --replace")
        }
    }
}
