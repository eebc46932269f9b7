import Foundation
import Testing

@Suite("batchplan fit: step times, ranking and precision policy, end to end")
struct FitCommandTests {
    @Test("fit --format json gives each plan its step time, throughput and ranking, and each model its input and task")
    func jsonStepTimes() throws {
        let result = try CLIRunner().run([
            "fit", "--memory", "12GB", "--model", "resnet50", "--model", "gpt2", "--format", "json", "--dataset-size", "50000",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.json()
        #expect(json["schema_version"] as? Int == 1)
        let plans = try #require(json["plans"] as? [[String: Any]])
        let best = try #require(plans.first { $0["model"] as? String == "resnet50" && $0["rank"] as? Int == 1 })
        #expect(best["precision"] as? String == "bf16-amp" && best["checkpointing"] as? String == "none")
        #expect(best["prefer"] as? String == "speed")
        #expect(best["precision_standing"] as? String == "recommended")
        let step = try #require(best["step_time_ms"] as? Double)
        let rate = try #require(best["samples_per_second"] as? Double)
        #expect(step > 0 && rate > 0)
        #expect(best["tokens_per_second"] is NSNull)
        let epoch = try #require(best["epoch_seconds"] as? Double)
        #expect(abs(epoch - 50_000 / rate) / epoch < 0.01)
        let gpt2 = try #require(plans.first { $0["model"] as? String == "gpt2" && $0["rank"] as? Int == 1 })
        #expect((gpt2["tokens_per_second"] as? Double).map { $0 > 0 } == true)
        let results = try #require(json["results"] as? [[String: Any]])
        let resnet = try #require(results.first { $0["model"] as? String == "resnet50" })
        #expect(resnet["task"] as? String == "image-classification")
        #expect((resnet["input"] as? [String: Any])?["shape"] as? [Int] == [3, 224, 224])
        let sequence = try #require(results.first { $0["model"] as? String == "gpt2" }?["input"] as? [String: Any])
        #expect(sequence["kind"] as? String == "sequence" && sequence["length"] as? Int == 512)
    }

    @Test("the table says what was planned and what the alternatives cost")
    func tableSaysInputAndCost() throws {
        let result = try CLIRunner().run(["fit", "--memory", "12GB", "--model", "resnet50"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("ranked by speed"))
        #expect(result.stdout.contains("3x224x224") && result.stdout.contains("image-classification"))
        #expect(result.stdout.contains("SAMPLES/S"))
        #expect(result.stdout.contains("slower per sample"))
        #expect(result.stdout.contains("RTX 3060 12GB"), "a --memory card says whose rates it borrows")
    }

    @Test("asking for pure fp16 full training plans it with a warning on stderr")
    func pureFP16Warns() throws {
        let result = try CLIRunner().run(["fit", "--gpu", "T4", "--model", "resnet50", "--precision", "fp16", "--mode", "full"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("not a usable training recipe"))
        #expect(result.stdout.contains("fp16"))
    }

    @Test("a non-positive --dataset-size is a usage error", arguments: ["0", "-5"])
    func badDatasetSize(size: String) throws {
        let result = try CLIRunner().run(["fit", "--memory", "12GB", "--model", "resnet50", "--dataset-size=\(size)"])
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("--dataset-size"))
    }
}
