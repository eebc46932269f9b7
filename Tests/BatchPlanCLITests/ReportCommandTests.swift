import Foundation
import FoundationXML
import Testing

@Suite("batchplan report and saved plans, end to end")
struct ReportCommandTests {
    /// A small, fast question: one small model, one combination, no calibration fit.
    static let question = [
        "--gpu", "RTX 3060", "--model", "resnet18", "--precision", "bf16-amp", "--optimizer", "adamw", "--mode", "full",
        "--checkpointing", "none", "--no-calibration",
    ]

    /// Checks that `text` is a well-formed report of `format`; returns a reason when it is not.
    static func problem(in text: String, format: String) -> String? {
        switch format {
        case "md":
            guard text.hasPrefix("# Training memory plan"), text.contains("## Summary"), text.contains("resnet18"),
                  text.contains("RTX 3060 12GB")
            else { return "Markdown lacks the heading, summary or the card and model" }
        case "html":
            guard let document = try? XMLDocument(xmlString: text, options: []) else { return "HTML does not parse as XML" }
            guard (try? document.nodes(forXPath: "//*[local-name()='svg']"))?.isEmpty == false else { return "HTML has no SVG chart" }
            guard text.contains("resnet18") else { return "HTML does not name the model" }
        case "csv":
            // RFC 4180 lines end in CRLF, one Character in Swift, so split on any newline.
            let lines = text.split(whereSeparator: \.isNewline)
            guard let header = lines.first, header.hasPrefix("gpu,"), header.contains("max_batch_size")
            else { return "CSV header lacks gpu and max_batch_size" }
            guard lines.count >= 2, lines[1].hasPrefix("RTX 3060 12GB,") else { return "CSV has no row for the card" }
        case "json":
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                return "not a JSON object"
            }
            guard object["schema_version"] as? Int == 1, object["kind"] as? String == "planning_report" else {
                return "JSON lacks schema_version 1 or kind"
            }
            guard let cards = object["cards"] as? [[String: Any]], cards.count == 1,
                  let models = cards[0]["models"] as? [[String: Any]], let best = models.first?["best"] as? [String: Any],
                  let components = best["components"] as? [String: Int], let used = best["device_used_bytes"] as? Int
            else { return "JSON lacks a card with a best plan" }
            guard components.values.reduce(0, +) == used else { return "components do not sum to device_used_bytes" }
            guard let curves = models[0]["curves"] as? [[String: Any]], !curves.isEmpty else { return "JSON has no curve" }
        default:
            return "unknown format \(format)"
        }
        return nil
    }

    @Test("report writes each format to stdout", arguments: ["md", "html", "csv", "json"])
    func stdout(format: String) throws {
        let result = try CLIRunner().run(["report"] + Self.question + ["--format", format])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.problem(in: result.stdout, format: format) == nil, "\(Self.problem(in: result.stdout, format: format) ?? "")")
    }

    @Test("report -o writes each format to the file, nothing to stdout, and no temporary file is left",
          arguments: ["md", "html", "csv", "json"])
    func outputFile(format: String) throws {
        let runner = CLIRunner()
        let folder = URL(fileURLWithPath: runner.catalog).deletingLastPathComponent().appendingPathComponent("out")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("report.\(format)")
        try Data("stale content that must be replaced whole".utf8).write(to: file)
        let result = try runner.run(["report"] + Self.question + ["--format", format, "-o", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(Self.problem(in: text, format: format) == nil, "\(Self.problem(in: text, format: format) ?? "")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["report.\(format)"])
    }

    @Test("-o into a folder that does not exist fails in one line and creates nothing")
    func outputIntoMissingFolder() throws {
        let runner = CLIRunner()
        let base = URL(fileURLWithPath: runner.catalog).deletingLastPathComponent()
        #expect(try runner.run(["plans", "list"]).status == 0, "the catalog exists before, so only the report could add files")
        let before = try FileManager.default.contentsOfDirectory(atPath: base.path).sorted()
        let target = base.appendingPathComponent("missing/deeper/report.html").path
        let result = try runner.run(["report"] + Self.question + ["--format", "html", "-o", target])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("does not exist"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: base.appendingPathComponent("missing").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: base.path).sorted() == before)
    }

    @Test("fit --save, plans list, report --plan, compare after new runs, remove: the whole life of a saved plan")
    func savedPlanLifecycle() throws {
        let runner = CLIRunner()
        let question = ["--gpu", "RTX 3060", "--model", "resnet18", "--precision", "fp32", "--optimizer", "adamw",
                        "--mode", "full", "--checkpointing", "none"]
        let save = try runner.run(["fit"] + question + ["--save", "Night Run"])
        #expect(save.status == 0, "\(save.stderr)")
        #expect(save.stdout.contains("resnet18"), "fit still prints its table when saving")

        let list = try runner.run(["plans", "list", "--format", "json"])
        #expect(list.status == 0, "\(list.stderr)")
        let plans = try #require(try list.json()["plans"] as? [[String: Any]])
        #expect(plans.map { $0["name"] as? String } == ["Night Run"])
        #expect((plans[0]["question"] as? String)?.contains("resnet18 on RTX 3060 12GB") == true)

        // Re-exporting is exact: the same bytes every time, with the time the plan was made.
        let first = try runner.run(["report", "--plan", "night run", "--format", "json"])
        let second = try runner.run(["report", "--plan", "NIGHT RUN", "--format", "json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == second.stdout)
        let report = try first.json()
        let cards = try #require(report["cards"] as? [[String: Any]])
        let models = try #require(cards.first?["models"] as? [[String: Any]])
        let best = try #require(models.first?["best"] as? [String: Any])
        let savedBatch = try #require(best["max_batch_size"] as? Int)
        #expect(savedBatch > 8)

        let show = try runner.run(["plans", "show", "night run"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("batchplan fit --gpu 'RTX 3060' --model resnet18"))

        let unchanged = try runner.run(["report", "--plan", "night run", "--compare", "--format", "json"])
        #expect(unchanged.status == 0, "\(unchanged.stderr)")
        let unchangedRows = try #require(try unchanged.json()["rows"] as? [[String: Any]])
        #expect(unchangedRows.map { $0["changed"] as? Bool } == [false])

        // Runs that run out of memory well below the saved batch make the recalibrated answer smaller.
        for source in ["oom-a", "oom-b", "oom-c"] {
            let record = try runner.run([
                "runs", "record", "--model", "resnet18", "--gpu", "RTX 3060", "--batch", String(savedBatch / 3),
                "--image", "224", "--precision", "fp32", "--optimizer", "adamw", "--oom", "--source", source,
            ])
            #expect(record.status == 0, "\(record.stderr)")
        }
        let compared = try runner.run(["report", "--plan", "night run", "--compare", "--format", "json"])
        #expect(compared.status == 0, "\(compared.stderr)")
        let compare = try compared.json()
        #expect(compare["schema_version"] as? Int == 1)
        let row = try #require((compare["rows"] as? [[String: Any]])?.first)
        #expect(row["changed"] as? Bool == true)
        #expect((row["then"] as? [String: Any])?["max_batch_size"] as? Int == savedBatch)
        let newBatch = try #require((row["now"] as? [String: Any])?["max_batch_size"] as? Int)
        #expect(newBatch < savedBatch, "three OOMs below the saved batch must shrink the recalibrated answer")

        let markdown = try runner.run(["report", "--plan", "night run", "--compare"])
        #expect(markdown.stdout.contains("| RTX 3060 12GB | resnet18 |"))
        #expect(markdown.stdout.contains("1 of 1 answers changed."))

        let remove = try runner.run(["plans", "remove", "NIGHT RUN"])
        #expect(remove.status == 0, "\(remove.stderr)")
        let after = try runner.run(["plans", "list", "--format", "json"])
        #expect((try after.json()["plans"] as? [Any])?.isEmpty == true)
        let gone = try runner.run(["report", "--plan", "night run"])
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("unknown saved plan"))
    }

    @Test("a saved question with many flags is asked again unchanged: show prints them and compare finds no change")
    func savedQuestionRoundTrip() throws {
        let runner = CLIRunner()
        let flags = [
            "--gpu", "RTX 3060", "--gpu", "4090", "--model", "resnet18", "--image", "160", "--precision", "bf16-amp",
            "--precision", "fp32", "--optimizer", "sgd-momentum", "--mode", "full", "--checkpointing", "none",
            "--headroom", "15%", "--multiple-of", "8", "--target-batch", "512", "--max-batch", "400", "--prefer", "fidelity",
            "--no-calibration",
        ]
        let save = try runner.run(["fit"] + flags + ["--save", "many"])
        #expect(save.status == 0, "\(save.stderr)")
        let show = try runner.run(["plans", "show", "many", "--format", "json"])
        let command = try #require(try show.json()["command"] as? String)
        for expected in ["--image 160", "--headroom 15%", "--multiple-of 8", "--target-batch 512", "--max-batch 400",
                         "--prefer fidelity", "--no-calibration", "--gpu 4090", "--precision fp32"] {
            #expect(command.contains(expected), "\(command) lacks \(expected)")
        }
        let compared = try runner.run(["report", "--plan", "many", "--compare", "--format", "json"])
        #expect(compared.status == 0, "\(compared.stderr)")
        let rows = try #require(try compared.json()["rows"] as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0["changed"] as? Bool == false })
        for row in rows {
            let then = try #require(row["then"] as? [String: Any])
            let batch = try #require(then["max_batch_size"] as? Int)
            #expect(batch % 8 == 0 && batch <= 400, "the rounding and cap were applied: \(batch)")
            #expect(then["precision"] as? String == "fp32", "--prefer fidelity picks the highest precision")
        }
    }

    @Test("saving under a name taken in another letter case fails with --replace as the fix; --replace overwrites")
    func duplicateNames() throws {
        let runner = CLIRunner()
        let first = try runner.run(["fit"] + Self.question + ["--save", "mine"])
        #expect(first.status == 0, "\(first.stderr)")
        let clash = try runner.run(["fit"] + Self.question + ["--save", "MINE"])
        #expect(clash.status == 1)
        #expect(clash.stderr.contains("already exists") && clash.stderr.contains("--replace"))
        let replaced = try runner.run(["fit"] + Self.question + ["--save", "MINE", "--replace"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        let list = try runner.run(["plans", "list", "--format", "json"])
        #expect((try list.json()["plans"] as? [[String: Any]])?.map { $0["name"] as? String } == ["MINE"])
    }

    @Test("an unknown saved plan suggests the close name")
    func unknownPlan() throws {
        let runner = CLIRunner()
        #expect(try runner.run(["fit"] + Self.question + ["--save", "nightly"]).status == 0)
        let result = try runner.run(["plans", "show", "nightlt"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("did you mean \"nightly\""))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test("bad combinations of report flags are one-line usage errors", arguments: [
        ["report", "--compare", "--memory", "12GB"],
        ["report", "--plan", "x", "--gpu", "RTX 3060"],
        ["report", "--model", "resnet18"],
        ["report", "--plan", "x", "--compare", "--format", "html"],
        ["report", "--memory", "12GB", "--alternatives", "11"],
        ["fit", "--memory", "12GB", "--model", "resnet18", "--replace"],
    ])
    func usageErrors(arguments: [String]) throws {
        let result = try CLIRunner().run(arguments)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test("every new command's help has an example", arguments: [
        ["report"], ["plans"], ["plans", "list"], ["plans", "show"], ["plans", "remove"], ["fit"],
    ])
    func helpHasExamples(command: [String]) throws {
        let result = try CLIRunner().run(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Example"))
        #expect(result.stdout.contains("batchplan \(command.joined(separator: " "))") || command == ["plans"])
    }
}
