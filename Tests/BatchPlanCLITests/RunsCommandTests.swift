import Foundation
import Testing

@Suite("batchplan models, runs, estimate and fit, end to end")
struct RunsCommandTests {
    /// A runner whose catalog holds the classic raw-count model "classic".
    static func runnerWithModel() throws -> CLIRunner {
        let runner = CLIRunner()
        let added = try runner.run(["models", "add", "classic", "--params", "19072984", "--activations", "532752", "--input", "180x50x1"])
        #expect(added.status == 0, "\(added.stderr)")
        return runner
    }

    static func userRunCount(_ runner: CLIRunner) throws -> Int {
        let list = try runner.run(["runs", "list", "--format", "json"])
        let runs = try #require(try list.json()["runs"] as? [[String: Any]])
        return runs.filter { $0["origin"] as? String == "user" }.count
    }

    static func allRunCount(_ runner: CLIRunner) throws -> Int {
        let list = try runner.run(["runs", "list", "--format", "json"])
        return try #require(try list.json()["runs"] as? [[String: Any]]).count
    }

    static func rows(_ count: Int) -> String {
        (0..<count).map { index in
            #"{"id": "k\#(index)", "kind": "mem_at_batch", "model": "classic", "gpu": "RTX 3090", "batch_size": \#(index % 512 + 1), "precision": "fp32", "optimizer": "sgd-momentum", "peak_allocated_bytes": \#(100_000_000 + index), "source": "bulk"}"#
        }.joined(separator: "\n") + "\n"
    }

    @Test("the classic question is one line and shows every component")
    func classicQuestion() throws {
        let result = try CLIRunner().run([
            "estimate", "--params", "19072984", "--activations", "532752", "--input", "180x50x1", "--batch", "128",
            "--optimizer", "sgd-momentum", "--format", "json", "--no-calibration",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.json()
        #expect(json["schema_version"] as? Int == 1)
        let components = try #require(json["components"] as? [String: Int])
        #expect(components["weights"] == 19_072_984 * 4)
        #expect(components["optimizer_state"] == 19_072_984 * 4)
        #expect(components["activations"] == 128 * 532_752 * 4)
        for key in ["weights", "gradients", "optimizer_state", "master_weights", "activations", "activation_gradients",
                    "inputs", "workspace", "runtime_context", "allocator_reserve"] {
            #expect(components[key] != nil, "missing component \(key)")
        }
        let used = try #require(json["device_used_bytes"] as? Int)
        #expect(used > 225_000_000 * 3, "the point: far more than the naive 225 MB")
        #expect(used == components.values.reduce(0, +))
    }

    @Test("estimate and fit refuse conflicting or absurd flags with a one-line usage error", arguments: [
        ["fit", "--memory", "12GB", "--gpu", "T4"],
        ["fit", "--model", "resnet50"],
        ["estimate", "--model", "resnet50", "--batch", "0"],
        ["estimate", "--model", "resnet50", "--batch", "4", "--seq", "128", "--image", "224"],
        ["fit", "--memory", "12GB", "--headroom", "150%"],
    ])
    func usageErrors(arguments: [String]) throws {
        let result = try CLIRunner().run(arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test("a precision the card lacks is refused, naming what it needs")
    func unsupportedPrecision() throws {
        let result = try CLIRunner().run(["estimate", "--model", "resnet18", "--batch", "8", "--precision", "bf16", "--gpu", "T4"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bf16") && result.stderr.contains("T4"))
    }

    @Test("fit answers what fits on a 12 GB card in the documented JSON contract")
    func fitJSON() throws {
        let result = try CLIRunner().run(["fit", "--gpu", "RTX 3060", "--model", "resnet18", "--model", "gpt2", "--seq", "256", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.json()
        let plans = try #require(json["plans"] as? [[String: Any]])
        let best = plans.filter { $0["rank"] as? Int == 1 }
        #expect(best.count == 2)
        for plan in best {
            for key in ["gpu", "gpu_memory_bytes", "model", "precision", "optimizer", "checkpointing", "mode", "fits",
                        "max_batch_size", "grad_accum_steps", "device_used_bytes", "headroom_bytes", "why_not"] {
                #expect(plan[key] != nil, "missing \(key)")
            }
            #expect(plan["fits"] as? Bool == true)
            let used = try #require(plan["device_used_bytes"] as? Int)
            let headroom = try #require(plan["headroom_bytes"] as? Int)
            #expect(used + headroom <= (plan["gpu_memory_bytes"] as? Int ?? 0))
        }
    }

    @Test("nothing fitting exits 2 and says what would")
    func nothingFits() throws {
        let result = try CLIRunner().run(["fit", "--memory", "2GB", "--model", "llama-2-13b", "--mode", "full", "--seq", "512"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stdout.contains("nothing fits"))
    }

    @Test("a recorded run shows up, is exported, and re-imports as a duplicate")
    func recordExportImport() throws {
        let runner = try Self.runnerWithModel()
        let recorded = try runner.run([
            "runs", "record", "--model", "classic", "--gpu", "RTX 3090", "--batch", "128", "--optimizer", "sgd-momentum",
            "--peak-allocated", "700MiB", "--peak-reserved", "0.8GiB", "--device-used", "1.4GiB",
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(try Self.userRunCount(runner) == 1)
        let export = try runner.run(["runs", "export", "--format", "jsonl", "--mine"])
        let file = (runner.catalog as NSString).deletingLastPathComponent + "/export.jsonl"
        try export.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        let again = try runner.run(["runs", "import", file])
        #expect(again.status == 0)
        #expect(again.stderr.contains("added 0 runs, 1 already present"))
    }

    @Test("LoRA and QLoRA without --precision take their usual recipe, bf16-amp or fp16-amp by card, and say so")
    func loraDefaultPrecision() throws {
        let runner = CLIRunner()
        for (card, expected) in [("L4", "bf16-amp"), ("T4", "fp16-amp")] {
            let result = try runner.run([
                "estimate", "--model", "gpt2", "--batch", "2", "--seq", "512", "--mode", "lora", "--gpu", card, "--format", "json",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            let json = try result.json()
            #expect(json["precision"] as? String == expected, "\(card)")
            let assumptions = try #require(json["assumptions"] as? [String])
            #expect(assumptions.contains { $0.hasPrefix("precision \(expected): lora's usual recipe") })
        }
        let full = try runner.run(["estimate", "--model", "gpt2", "--batch", "2", "--seq", "512", "--gpu", "L4", "--format", "json"])
        #expect(try full.json()["precision"] as? String == "fp32")
    }

    @Test("estimate of pure fp16 full training warns that its updates underflow, as fit does")
    func pureFP16Warns() throws {
        let result = try CLIRunner().run(["estimate", "--model", "gpt2", "--batch", "2", "--precision", "fp16", "--gpu", "T4"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("underflow"), "\(result.stderr)")
        #expect(result.stdout.contains("pure fp16 without fp32 master weights"))
        let mixed = try CLIRunner().run(["estimate", "--model", "gpt2", "--batch", "2", "--precision", "fp16-amp", "--gpu", "T4"])
        #expect(!mixed.stderr.contains("underflow"))
    }

    @Test("a reading written without its unit is refused in one line and nothing is stored")
    func readingWithoutUnit() throws {
        let runner = CLIRunner()
        let recorded = try runner.run([
            "runs", "record", "--model", "resnet50", "--gpu", "RTX 3090", "--batch", "128", "--peak-reserved", "9.8",
        ])
        #expect(recorded.status != 0)
        #expect(recorded.stderr.split(separator: "\n").count == 1, "\(recorded.stderr)")
        #expect(recorded.stderr.contains("a size without a unit is bytes"), "\(recorded.stderr)")
        #expect(try Self.userRunCount(runner) == 0)
        let estimate = try runner.run(["estimate", "--model", "resnet50", "--batch", "128", "--gpu", "RTX 3090"])
        #expect(estimate.status == 0, "\(estimate.stderr)")
    }

    @Test("runs list marks a run 100× off its prediction as unusable, with the reason calibrate gives")
    func implausibleRunListedUnusable() throws {
        let runner = CLIRunner()
        let recorded = try runner.run([
            "runs", "record", "--model", "resnet50", "--gpu", "RTX 3090", "--batch", "128", "--peak-reserved", "9.8MiB",
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(recorded.stderr.contains("calibration will not use this run"), "\(recorded.stderr)")
        let list = try runner.run(["runs", "list", "--format", "json"])
        let runs = try #require(try list.json()["runs"] as? [[String: Any]])
        let mine = try #require(runs.first { $0["origin"] as? String == "user" })
        #expect(mine["usable"] as? Bool == false)
        #expect((mine["unusable_reason"] as? String)?.contains("more than 100× off") == true, "\(mine)")
        let unusable = try runner.run(["runs", "list", "--unusable"])
        #expect(unusable.stdout.contains("resnet50"), "\(unusable.stdout)")
        // The built-in runs stay usable: all of them are within 100× of their predictions.
        #expect(runs.filter { $0["origin"] as? String == "builtin" && $0["usable"] as? Bool == true }.count >= 380)
    }

    @Test("an import killed midway leaves all of its rows or none", arguments: [0.05, 0.2, 0.6])
    func killedImportIsAllOrNothing(delay: Double) throws {
        let runner = try Self.runnerWithModel()
        let count = 20_000
        let file = (runner.catalog as NSString).deletingLastPathComponent + "/bulk.jsonl"
        try Self.rows(count).write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = runner.executable
        process.arguments = ["runs", "import", file]
        process.environment = ProcessInfo.processInfo.environment.merging(["BATCHPLAN_DB": runner.catalog]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: delay)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let stored = try Self.userRunCount(runner)
        #expect(stored == 0 || stored == count, "a killed import left \(stored) of \(count) rows")
        let check = try runner.run(["db", "check", "--format", "json"])
        #expect(try check.json()["ok"] as? Bool == true)
    }

    @Test("a filter no run matches lists nothing, exits 0 and says so on stderr")
    func emptyFilterSaysSo() throws {
        let runner = CLIRunner()
        let result = try runner.run(["runs", "list", "--gpu", "RTX 9999", "--format", "json"])
        #expect(result.status == 0)
        #expect((try result.json()["runs"] as? [Any])?.isEmpty == true)
        #expect(result.stderr.contains(#"no run matches GPU "RTX 9999""#))
    }

    @Test("db check says how many runs' calibration facts a refit kept, and whether they are current")
    func keptRunFactsInCheck() throws {
        let runner = CLIRunner()
        let before = try runner.run(["db", "check", "--format", "json"]).json()
        #expect(before["kept_run_facts"] as? Int == 0)
        _ = try runner.run(["fit", "--memory", "12GB", "--model", "gpt2"])
        let after = try runner.run(["db", "check", "--format", "json"]).json()
        let runs = try Self.allRunCount(runner)
        #expect(after["kept_run_facts"] as? Int == runs)
        #expect(after["kept_run_facts_current"] as? Bool == true)
        #expect((after["kept_run_fact_bytes"] as? Int ?? 0) > 100 * runs)
        let table = try runner.run(["db", "check"]).stdout
        #expect(table.contains("run facts        \(runs) runs' kept"))
        #expect(table.contains("current"))
    }

    @Test("models import rejects malformed input with the problem named, and stores nothing")
    func badModelFiles() throws {
        let runner = CLIRunner()
        let folder = (runner.catalog as NSString).deletingLastPathComponent
        let cases: [(String, String, String)] = [
            ("--spec", #"{"input": [3, 32, 32], "layers": [{"type": "conv2d", "out_channels": 8, "kernel": 3}, {"type": "warp"}]}"#, "warp"),
            ("--spec", #"{"input": [3, 32, 32], "layers": [{"type": "conv2d""#, "JSON"),
            ("--hf", #"{"model_type": "llama", "hidden_size": 64}"#, "lacks the required key"),
            ("--hf", #"{"model_type": "rwkv", "hidden_size": 64}"#, "llama"),
        ]
        for (index, (flag, text, expected)) in cases.enumerated() {
            let file = folder + "/bad\(index).json"
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let result = try runner.run(["models", "import", flag, file, "--name", "bad\(index)"])
            #expect(result.status != 0, "\(flag) \(text) should fail")
            #expect(result.stderr.contains(expected), "\(result.stderr)")
        }
        let list = try runner.run(["models", "list", "--format", "json"])
        let names = (try list.json()["models"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(!names.contains { $0.hasPrefix("bad") })
    }
}
