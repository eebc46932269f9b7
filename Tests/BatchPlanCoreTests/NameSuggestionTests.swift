import BatchPlanCore
import Testing

@Suite("Name suggestions")
struct NameSuggestionTests {
    @Test("a name listed twice, in any letter case, is suggested once")
    func duplicatesSuggestedOnce() {
        #expect(NameSuggestion.closest(to: "sgdd", among: ["sgd", "sgd-momentum", "adamw", "sgd"]) == ["sgd"])
        #expect(NameSuggestion.closest(to: "adm8bit", among: ["Adam8bit", "adam8bit"]) == ["Adam8bit"])
        #expect(NameSuggestion.didYouMean("sgdd", among: ["sgd", "sgd"]) == "did you mean \"sgd\"?")
    }

    @Test("the optimizer error suggests each name once")
    func optimizerSuggestsOnce() {
        #expect(throws: CoreError.self) { try OptimizerNames.parse("sgdd") }
        do {
            _ = try OptimizerNames.parse("sgdd")
        } catch {
            #expect(error.description.contains("did you mean \"sgd\"?"), "\(error.description)")
        }
    }
}
