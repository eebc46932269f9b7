import Foundation
import Testing

/// What a new user meets at the terminal: help that wraps cleanly, --db anywhere, suggestions for mistyped values,
/// orderly listings and clean CSV.
@Suite("batchplan at the terminal, end to end")
struct TerminalExperienceTests {
    static let commands: [[String]] = [
        [], ["estimate"], ["fit"], ["report"], ["plans"], ["plans", "list"], ["plans", "show"], ["plans", "remove"],
        ["gpus"], ["gpus", "list"], ["gpus", "show"], ["gpus", "add"], ["gpus", "remove"], ["models"], ["models", "list"],
        ["models", "show"], ["models", "add"], ["models", "import"], ["models", "remove"], ["runs"], ["runs", "record"],
        ["runs", "import"], ["runs", "export"], ["runs", "list"], ["runs", "remove"], ["calibrate"], ["db"],
    ]

    @Test("help discussions are paragraphs and examples one per line, so they wrap at any width", arguments: commands)
    func helpWrapsCleanly(command: [String]) throws {
        // Wide enough that no paragraph of ours needs wrapping: any line break left inside one is a hard break.
        let result = try CLIRunner().run(command + ["--help"], environment: ["COLUMNS": "1000"])
        #expect(result.status == 0, "\(result.stderr)")
        let overview = result.stdout.components(separatedBy: "\nUSAGE:").first ?? ""
        let lines = overview.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (line, next) in zip(lines, lines.dropFirst()) {
            let prose = !line.isEmpty && !line.hasPrefix(" ") && !line.hasSuffix(":") && !line.hasPrefix("OVERVIEW")
            let continues = !next.isEmpty && !next.hasPrefix(" ")
            #expect(!(prose && continues), "a paragraph broken by hand after: \(line)")
            #expect(!line.hasSuffix("\\"), "an example continued on the next line: \(line)")
        }
        let examples = lines.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("batchplan ") }
        #expect(!examples.isEmpty || command.isEmpty == false, "the root help has examples")
    }

    @Test("--db works before the subcommand as after it, in both spellings", arguments: [true, false])
    func globalCatalogOption(equalsForm: Bool) throws {
        let runner = CLIRunner()
        let other = CLIRunner.temporaryCatalog()
        let db = equalsForm ? ["--db=\(other)"] : ["--db", other]
        let before = try runner.run(db + ["gpus", "list", "--format", "json"])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(FileManager.default.fileExists(atPath: other), "the catalog named before the subcommand is the one opened")
        #expect(!FileManager.default.fileExists(atPath: runner.catalog), "BATCHPLAN_DB's catalog is not opened")
        let after = try runner.run(["gpus", "list", "--format", "json"] + db)
        #expect(after.stdout == before.stdout)
        let added = try runner.run(db + ["models", "add", "tiny", "--params", "1000", "--activations", "10", "--input", "10"])
        #expect(added.status == 0, "\(added.stderr)")
        let listed = try runner.run(["models", "list", "--db", other])
        #expect(listed.stdout.contains("tiny"), "a nested subcommand reads the catalog given before it")
    }

    @Test("--db before the subcommand without a path is a one-line usage error")
    func globalCatalogOptionNeedsValue() throws {
        let result = try CLIRunner().run(["--db"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--db needs a value"))
    }

    @Test("an invalid enum value suggests the closest one on the first line instead of listing them all",
          arguments: [
            (["fit", "--memory", "12GB", "--optimizer", "sgdd"], "\"sgd\""),
            (["estimate", "--model", "gpt2", "--batch", "1", "--precision", "bf16amp"], "\"bf16-amp\""),
            (["fit", "--memory", "12GB", "--checkpointing", "blok"], "\"block\""),
            (["gpus", "list", "--sort", "memroy"], "\"memory\""),
          ])
    func enumSuggestions(arguments: [String], suggestion: String) throws {
        let result = try CLIRunner().run(arguments)
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        let first = try #require(lines.first)
        #expect(first.contains("did you mean \(suggestion)"), "\(result.stderr)")
        #expect(!result.stderr.contains("\n  - "), "no one-value-per-line list")
        #expect(lines.count <= 5, "the error, the values, ArgumentParser's help and usage lines: \(result.stderr)")
    }

    @Test("an invalid enum value with no close match still names every valid value, on one line")
    func enumWithoutSuggestion() throws {
        let result = try CLIRunner().run(["fit", "--memory", "12GB", "--optimizer", "zzzzzzzzzz"])
        #expect(result.status == 64)
        #expect(!result.stderr.contains("did you mean"))
        let values = try #require(result.stderr.split(separator: "\n").first { $0.contains("Valid values:") })
        for value in ["sgd", "adamw", "adafactor", "lion"] { #expect(values.contains(value)) }
    }

    @Test("gpus list is ordered by memory, then name; --sort name and --sort vendor order otherwise")
    func gpuOrder() throws {
        let runner = CLIRunner()
        func listed(_ extra: [String]) throws -> [[String: Any]] {
            let result = try runner.run(["gpus", "list", "--format", "json"] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            return try #require(try result.json()["gpus"] as? [[String: Any]])
        }
        let byMemory = try listed([])
        let keys = byMemory.map { ($0["marketed_memory_bytes"] as? Int ?? 0, $0["memory_bytes"] as? Int ?? 0) }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 <= $1 }, "smallest memory first")
        #expect(byMemory.first?["vendor"] as? String != "amd" || keys.first!.0 < 8 << 30)
        let names = try listed(["--sort", "name"]).map { ($0["name"] as? String ?? "").lowercased() }
        #expect(names == names.sorted())
        let vendors = try listed(["--sort", "vendor"]).map { $0["vendor"] as? String ?? "" }
        #expect(vendors == vendors.sorted())
        let table = try runner.run(["gpus", "list", "--min-memory", "80GB"])
        #expect(table.status == 0)
    }

    @Test("CSV output ends with one CRLF: no blank last line, on stdout and in a file")
    func csvHasNoBlankLastLine() throws {
        let runner = CLIRunner()
        let question = ReportCommandTests.question
        let stdout = try runner.run(["report"] + question + ["--format", "csv"])
        #expect(stdout.status == 0, "\(stdout.stderr)")
        #expect(stdout.stdout.hasSuffix("\r\n") && !stdout.stdout.unicodeScalars.dropLast(2).last!.properties.isWhitespace)
        #expect(!stdout.stdout.contains("\r\n\n"))
        let file = URL(fileURLWithPath: runner.catalog).deletingLastPathComponent().appendingPathComponent("plan.csv").path
        let written = try runner.run(["report"] + question + ["--format", "csv", "-o", file])
        #expect(written.status == 0, "\(written.stderr)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text == stdout.stdout.replacingOccurrences(of: "\r\n", with: "\r\n"))
        for command in [["fit", "--memory", "12GB", "--model", "resnet18", "--format", "csv"], ["gpus", "list", "--format", "csv"]] {
            let result = try runner.run(command)
            #expect(!result.stdout.hasSuffix("\n\n") && !result.stdout.hasSuffix("\r\n\n"), "\(command)")
        }
    }

    @Test("estimate labels its breakdown as the peak moment and shows each component's own maximum")
    func peakBreakdownLabelled() throws {
        // bert-base-uncased in fp32 (109 M parameters): the peak is early in backward, where only the last layers'
        // gradients exist (11.3 MiB of 417.6 MiB).
        let question = ["estimate", "--model", "bert-base-uncased", "--batch", "32", "--seq", "512", "--no-calibration"]
        let result = try CLIRunner().run(question)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("at the peak (backward of layer bert.encoder.layer.11."), "\(result.stdout)")
        #expect(result.stdout.contains("OWN MAX"))
        let gradients = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("gradients") })
        #expect(gradients.contains("417.6 MiB") && gradients.contains("backward of layer bert.embeddings"), "\(gradients)")
        let json = try CLIRunner().run(question + ["--format", "json"]).json()
        let maxima = try #require(json["component_maxima"] as? [String: [String: Any]])
        let components = try #require(json["components"] as? [String: Int])
        #expect(Set(maxima.keys) == Set(components.keys))
        for (key, bytes) in components { #expect((maxima[key]?["bytes"] as? Int ?? -1) >= bytes, "\(key)") }
        #expect((maxima["gradients"]?["bytes"] as? Int ?? 0) > 30 * (components["gradients"] ?? 0))
        #expect(maxima["optimizer_state"]?["phase"] as? String == "optimizer-step")
    }

    @Test("text output rounds calibration figures; JSON keeps them whole")
    func textRoundsFloats() throws {
        let runner = CLIRunner()
        let question = ["estimate", "--model", "resnet50", "--batch", "64", "--precision", "bf16-amp", "--gpu", "RTX 3090"]
        let text = try runner.run(question)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("assumes          calibration "), "calibrated from the built-in runs: \(text.stdout)")
        let long = try NSRegularExpression(pattern: "[0-9]\\.[0-9]{4,}")
        let range = NSRange(text.stdout.startIndex..., in: text.stdout)
        #expect(long.firstMatch(in: text.stdout, range: range) == nil, "a raw float in: \(text.stdout)")
        let json = try runner.run(question + ["--format", "json"]).json()
        let calibration = try #require(json["calibration"] as? [String: Any])
        let scale = try #require(calibration["activation_scale"] as? Double)
        #expect(scale != (scale * 1000).rounded() / 1000, "JSON keeps more than three decimals")
    }
}
