import Foundation
import Testing

/// Bad input a new user types: each gets one clear line naming the problem and the fix, a non-zero exit, and
/// nothing half-written in the catalog.
@Suite("batchplan bad input, end to end")
struct BadInputTests {
    @Test("a mistyped optimizer suggests each close name once, in estimate as in fit")
    func suggestionsAreDistinct() throws {
        let runner = CLIRunner()
        for command in [["estimate", "--model", "gpt2", "--batch", "2"], ["fit", "--memory", "12GB", "--model", "gpt2"]] {
            let result = try runner.run(command + ["--optimizer", "sgdd"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("did you mean \"sgd\"?"), "\(result.stderr)")
            #expect(!result.stderr.contains("\"sgd\" or \"sgd\""), "\(result.stderr)")
        }
    }
}
