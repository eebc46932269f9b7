import Foundation
import Testing

@Suite("batchplan --trainer, optimizer names and runs record, end to end")
struct TrainerCommandTests {
    @Test("the classic question calibrated keeps its exact states and shows what calibration adds on its own line")
    func calibratedClassicQuestion() throws {
        let result = try CLIRunner().run([
            "estimate", "--params", "19072984", "--activations", "532752", "--input", "180x50x1", "--batch", "128",
            "--optimizer", "sgd-momentum", "--precision", "fp32", "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.json()
        let components = try #require(json["components"] as? [String: Int])
        for key in ["weights", "gradients", "optimizer_state"] { #expect(components[key] == 19_072_984 * 4, "\(key)") }
        #expect(components["calibration_adjustment"] == json["calibration_adjustment_bytes"] as? Int)
        #expect(json["device_used_bytes"] as? Int == components.values.reduce(0, +))
    }

    @Test("runs record takes estimate's configuration flags and the run comes back as recorded")
    func recordAsItRan() throws {
        let runner = CLIRunner()
        let recorded = try runner.run([
            "runs", "record", "--model", "bert-base-uncased", "--gpu", "V100-16GB", "--batch", "32", "--seq", "128",
            "--task", "classification", "--precision", "fp16-amp", "--optimizer", "adamw_hf", "--trainer", "hf-trainer-4.31",
            "--device-used", "11.9GiB",
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let export = try runner.run(["runs", "export", "--format", "jsonl"])
        let line = try #require(export.stdout.split(separator: "\n").first { $0.contains("recorded:") })
        let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(row["task"] as? String == "classification")
        #expect(row["trainer"] as? String == "hf-trainer-4.31")
        #expect(row["optimizer"] as? String == "adamw")
        #expect(row["optimizer_impl"] as? String == "for-loop")
    }

    @Test("an optimizer or trainer name that does not exist is a one-line usage error with the closest name", arguments: [
        (["estimate", "--model", "gpt2", "--batch", "2", "--optimizer", "adamw_torch_fusd"], "adamw_torch_fused"),
        (["estimate", "--model", "gpt2", "--batch", "2", "--trainer", "torchtun"], "torchtune"),
    ])
    func unknownNames(arguments: [String], suggestion: String) throws {
        let result = try CLIRunner().run(arguments)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("did you mean \"\(suggestion)\""))
    }

    @Test("--trainer's choices are in the assumptions and its flags override them")
    func trainerAssumptions() throws {
        let result = try CLIRunner().run([
            "estimate", "--model", "llama-3.2-1b", "--batch", "1", "--seq", "512", "--precision", "bf16", "--trainer",
            "torchtune", "--no-optimizer-in-backward", "--format", "json", "--no-calibration",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let assumptions = try #require(try result.json()["assumptions"] as? [String])
        #expect(assumptions.contains { $0.hasPrefix("training stack torchtune: optimizer in backward: no (set explicitly)") })
        #expect(assumptions.contains { $0.hasPrefix("training stack torchtune: optimizer step: foreach") })
    }
}
