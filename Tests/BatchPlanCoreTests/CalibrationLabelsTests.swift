import Foundation
import Testing

@testable import BatchPlanCore

@Suite("Calibration labels")
struct CalibrationLabelsTests {
    /// The partition a dictionary of strings gives: equal labels share an id, different ones do not.
    static func samePartition(_ labels: [String], _ numbered: Labels) -> Bool {
        var first: [String: Int] = [:]
        for (index, label) in labels.enumerated() {
            let owner = first[label, default: index]
            first[label] = owner
            if numbered.ids[index] != numbered.ids[owner] { return false }
        }
        return Set(numbered.ids).count == first.count && numbered.names.count == first.count
    }

    @Test("labels whose hashes collide still get one id per distinct label")
    func collidingHashesStayApart() {
        let labels = ["a", "b", "a", "c", "b", "b", "d", "a"]
        var numbered = Labels(hash: { _ in 42 })
        for label in labels { numbered.append(id: numbered.id(label)) }
        #expect(Self.samePartition(labels, numbered))
        #expect(numbered.names == ["a", "b", "c", "d"])
    }

    @Test("run labels numbered by their bytes partition the observations as a dictionary of strings does")
    func runLabelsMatchADictionary() {
        // Neighbours share labels, and labels come back after others: both paths of the numbering.
        let labels = (0..<3_000).map { i in "measured:H100:2026-11-26:model-\((i / 3) % 400 % 37):M-\((i / 3) % 400)" }
        var numbered = Labels(capacity: labels.count)
        for label in labels { numbered.append(id: numbered.id(label[...])) }
        #expect(Self.samePartition(labels, numbered))
        #expect(numbered.names.count == 400)
    }

    @Test("an observation's run is its id before the counter or the side of a maximum-batch fact")
    func runGroupsDropTheCounterOrSide() {
        func run(_ id: String) -> String {
            CalibrationObservation(
                id: id, source: "s", path: CalibrationFixtures.path,
                decomposition: CalibrationDecomposition(
                    modelStates: 1, activations: 1, other: 1, defaultReserveRatio: 0, defaultContextBytes: 0),
                evidence: .measured(counter: .allocated, bytes: 1)
            ).runGroup
        }
        #expect(run("K#allocated") == "K")
        #expect(run("a#b#device_used") == "a#b")
        #expect(run("K/ran") == "K" && run("K/oom") == "K")
        #expect(run("K/other") == "K/other")
        #expect(run("Ünïcode-κλειδί#reserved") == "Ünïcode-κλειδί")
    }
}
