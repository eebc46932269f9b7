import Foundation
import Testing

@Suite("batchplan serve, end to end")
struct ServeCommandTests {
    @Test("the issue's question: concurrent 8k requests of Llama 3.1 8B in AWQ int4 on a 24 GB card")
    func concurrency() throws {
        let result = try CLIRunner().run([
            "serve", "--model", "llama-3.1-8b", "--memory", "24GB", "--weights", "int4", "--prompt", "7168", "--generate",
            "1024", "--memory-utilization", "0.9", "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.json()
        #expect(json["schema_version"] as? Int == 1)
        let plan = try #require((json["plans"] as? [[String: Any]])?.first)
        #expect(plan["question"] as? String == "concurrency")
        #expect(plan["engine"] as? String == "paged" && plan["block_size"] as? Int == 16)
        let answer = try #require(plan["answer"] as? Int)
        let perSequence = try #require(plan["kv_cache_bytes_per_sequence"] as? Int)
        let cacheBudget = try #require(plan["kv_cache_budget_bytes"] as? Int)
        #expect(perSequence == 1 << 30)
        #expect(answer == cacheBudget / perSequence && answer > 0)
        let components = try #require(plan["components"] as? [String: Int])
        #expect(components.values.reduce(0, +) == plan["device_used_bytes"] as? Int)
        for key in ["weights", "kv_cache", "activations", "inputs", "workspace", "runtime_context", "allocator_reserve"] {
            #expect(components[key] != nil, "missing component \(key)")
        }
    }

    @Test("the largest resnet50 inference batch on a T4 in fp16, as text")
    func visionBatch() throws {
        let result = try CLIRunner().run(["serve", "--model", "resnet50", "--gpu", "T4", "--dtype", "fp16"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("largest inference batch at 3x224x224"))
        #expect(result.stdout.contains("limited by activations"))
    }

    @Test("a model that cannot fit exits 2 and names what would change it")
    func nothingFits() throws {
        let result = try CLIRunner().run(["serve", "--model", "llama-2-13b", "--gpu", "T4", "--context", "4096"])
        #expect(result.status == 2)
        #expect(result.stdout.contains("nothing fits"))
        #expect(result.stdout.contains("--tensor-parallel 2") || result.stdout.contains("--weights int4"))
    }

    @Test("bad sizes, contexts and dtypes are one-line errors", arguments: [
        (["serve", "--model", "gpt2", "--gpu", "T4", "--context", "0"], "--context"),
        (["serve", "--model", "gpt2", "--gpu", "T4", "--context", "512", "--weights", "int5"], "did you mean \"int4\""),
        (["serve", "--model", "gpt2", "--gpu", "T4", "--context", "512", "--kv-cache-dtype", "fp4"], "--kv-cache-dtype"),
        (["serve", "--model", "gpt2", "--gpu", "T4", "--context", "512", "--dtype", "bf16"], "bfloat16"),
        (["serve", "--model", "gpt2", "--memory", "12GB", "--context", "512", "--memory-utilization", "1.5"], "--memory-utilization"),
        (["serve", "--model", "gpt2", "--memory", "lots", "--context", "512"], "--memory"),
        (["serve", "--model", "gpt2", "--memory", "12GB", "--prompt", "512"], "--generate"),
        (["serve", "--model", "gpt2", "--memory", "12GB"], "--context N"),
        (["serve", "--model", "gpt2", "--memory", "12GB", "--context", "512", "--tensor-parallel", "5"], "divide"),
        (["serve", "--model", "t5-small", "--memory", "12GB", "--context", "512"], "encoder–decoder"),
        (["serve", "--model", "gpt2", "--memory", "12GB", "--context", "2048"], "1024 positions"),
        (["serve", "--model", "resnet50", "--memory", "12GB", "--tensor-parallel", "2"], "transformers only"),
    ])
    func badInput(arguments: [String], mentions: String) throws {
        let result = try CLIRunner().run(arguments)
        #expect(result.status != 0 && result.status != 2)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(mentions), "\(result.stderr)")
    }

    @Test("a recorded inference run calibrates serve and stays out of training calibration")
    func recordedInferenceRun() throws {
        let runner = CLIRunner()
        let recorded = try runner.run([
            "runs", "record", "--inference", "--model", "llama-3.2-1b", "--gpu", "L4", "--batch", "4", "--seq", "4096",
            "--dtype", "bf16", "--peak-reserved", "8GiB", "--device-used", "8.75GiB",
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let serve = try runner.run(["serve", "--model", "llama-3.2-1b", "--gpu", "L4", "--context", "4096", "--format", "json"])
        let plan = try #require((try serve.json()["plans"] as? [[String: Any]])?.first)
        let calibration = try #require(plan["calibration"] as? [String: Any])
        #expect(calibration["runtime_context_bytes"] as? Int == 768 << 20)
        #expect(calibration["runs_used"] as? Int == 1)
        let list = try runner.run(["runs", "list", "--model", "llama-3.2-1b", "--format", "json"])
        let runs = try #require(try list.json()["runs"] as? [[String: Any]])
        let mine = try #require(runs.first { $0["origin"] as? String == "user" })
        #expect(mine["phase"] as? String == "inference" && mine["usable"] as? Bool == false)
    }
}
