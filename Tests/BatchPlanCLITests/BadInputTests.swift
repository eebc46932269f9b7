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

    @Test("report exits 2 when nothing fits, as fit does, and still writes the report")
    func reportNothingFitsExits2() throws {
        let runner = CLIRunner()
        let question = ["--memory", "24GB", "--model", "mixtral-8x7b"]
        let fit = try runner.run(["fit"] + question)
        #expect(fit.status == 2, "\(fit.stderr)")
        let report = try runner.run(["report"] + question + ["--format", "md"])
        #expect(report.status == 2, "\(report.stderr)")
        #expect(report.stdout.contains("mixtral-8x7b"))
        let fits = try runner.run(["report", "--memory", "24GB", "--model", "gpt2", "--format", "md"])
        #expect(fits.status == 0, "\(fits.stderr)")
    }

    @Test("commands that answer with one document refuse --format csv and their help lists only what they write",
          arguments: [["estimate", "--model", "gpt2", "--batch", "2"], ["calibrate"], ["db", "check"], ["plans", "show", "x"]])
    func tableOrJSONOnly(command: [String]) throws {
        let runner = CLIRunner()
        let result = try runner.run(command + ["--format", "csv"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("Valid values: table, json."), "\(result.stderr)")
        let help = try runner.run(command.prefix { !$0.hasPrefix("-") && $0 != "x" } + ["--help"], environment: ["COLUMNS": "1000"])
        let formatLine = try #require(help.stdout.split(separator: "\n").first { $0.contains("--format <format>") })
        #expect(!formatLine.contains("csv"), "\(formatLine)")
    }

    @Test("a negative number after an option reaches the option's own check, not 'Missing value'",
          arguments: [
            (["fit", "--memory", "-3GB", "--model", "gpt2"], "cannot be negative"),
            (["estimate", "--model", "gpt2", "--batch", "-1"], "--batch must be a positive"),
            (["fit", "--memory", "12GB", "--model", "gpt2", "--headroom", "-1GB"], "cannot be negative"),
            (["estimate", "--model", "gpt2", "--batch", "2", "--lora-dropout", "-.1"], "--lora-dropout must be"),
          ])
    func negativeValuesReachValidation(command: [String], message: String) throws {
        let result = try CLIRunner().run(command)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stderr.contains("Missing value"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("a headroom not smaller than the card is a usage error naming the card's size",
          arguments: [["fit", "--memory", "12GB", "--model", "gpt2", "--headroom", "20GB"],
                      ["fit", "--memory", "12GB", "--model", "gpt2", "--headroom", "12GB"],
                      ["report", "--memory", "12GB", "--model", "gpt2", "--headroom", "20GB"],
                      ["serve", "--memory", "12GB", "--model", "gpt2", "--context", "512", "--headroom", "20GB"]])
    func headroomAsLargeAsTheCard(command: [String]) throws {
        let result = try CLIRunner().run(command)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("--headroom") && result.stderr.contains("12.0 GiB"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test("runs import and models import name why a file cannot be read: a directory is not 'no such file'")
    func unreadableFileReasons() throws {
        let runner = CLIRunner()
        let folder = FileManager.default.temporaryDirectory.path
        for command in [["runs", "import", folder], ["models", "import", "--spec", folder]] {
            let result = try runner.run(command)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("cannot read \(folder): is a directory"), "\(result.stderr)")
            #expect(!result.stderr.contains("no such file"), "\(result.stderr)")
        }
        let missing = try runner.run(["runs", "import", folder + "/no-such-\(UUID().uuidString).jsonl"])
        #expect(missing.status == 1 && missing.stderr.contains(": no such file;"), "\(missing.stderr)")
    }

    @Test("a --db or BATCHPLAN_DB in a directory that does not exist is an error, and nothing is created")
    func catalogInMissingDirectory() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("nodir-\(UUID().uuidString)").path
        let runner = CLIRunner()
        for (arguments, environment) in [(["--db", missing + "/x.sqlite", "gpus", "list"], [String: String]()),
                                         (["gpus", "list"], ["BATCHPLAN_DB": missing + "/x.sqlite"])] {
            let result = try runner.run(arguments, environment: environment)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("directory \(missing) does not exist; create it first"), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: missing), "the mistyped directory is not created")
        }
    }

    @Test("a new catalog at a --db path in an existing directory is created and said so once")
    func newCatalogSaysSo() throws {
        let runner = CLIRunner()
        let path = CLIRunner.temporaryCatalog()
        let first = try runner.run(["--db", path, "gpus", "list"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("created a new catalog at \(path)"), "\(first.stderr)")
        let second = try runner.run(["--db", path, "gpus", "list"])
        #expect(second.status == 0 && !second.stderr.contains("created a new catalog"), "\(second.stderr)")
    }

    @Test("the default catalog location is still created with its folders")
    func defaultLocationCreated() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("xdg-\(UUID().uuidString)").path
        let result = try CLIRunner().run(["gpus", "list"], environment: ["BATCHPLAN_DB": "", "XDG_DATA_HOME": home])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: home + "/batchplan/catalog.sqlite"))
    }

    @Test("estimate with --model and raw counts says they conflict, and a half-given raw model says what is missing",
          arguments: [
            (["--model", "gpt2", "--params", "100", "--activations", "10", "--input", "3x4x4"], "--model conflicts with --params and --activations"),
            (["--model", "gpt2", "--params", "100"], "--model conflicts with --params"),
            (["--params", "100", "--input", "3x4x4"], "--params needs --activations"),
          ])
    func estimateModelSources(arguments: [String], message: String) throws {
        let runner = CLIRunner()
        let result = try runner.run(["estimate", "--batch", "2"] + arguments)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: runner.catalog), "checked before the catalog is opened")
    }

    @Test("CSV piped into runs import - is told to pass --format csv, once, and nothing is stored")
    func csvOnStandardInput() throws {
        let runner = CLIRunner()
        let csv = try runner.run(["runs", "export", "--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let result = try runner.run(["runs", "import", "-"], stdin: csv.stdout)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("-:1: looks like CSV"), "\(result.stderr)")
        #expect(result.stderr.contains("pass --format csv"), "\(result.stderr)")
        #expect(!result.stderr.contains("not valid JSON"), "\(result.stderr)")
        let forced = try runner.run(["runs", "import", "-", "--format", "csv", "--dry-run"], stdin: csv.stdout)
        #expect(forced.status == 0, "\(forced.stderr)")
    }

    @Test("fit --save with a taken name fails before planning, printing no plan")
    func saveNameCheckedFirst() throws {
        let runner = CLIRunner()
        let question = ["fit", "--memory", "12GB", "--model", "resnet18"]
        let first = try runner.run(question + ["--save", "p1"])
        #expect(first.status == 0, "\(first.stderr)")
        let again = try runner.run(question + ["--save", "P1"])
        #expect(again.status == 1, "\(again.stderr)")
        #expect(again.stdout.isEmpty, "no plan is printed before the error")
        #expect(again.stderr.contains("saved plan \"p1\" already exists; pass --replace"), "\(again.stderr)")
        let replaced = try runner.run(question + ["--save", "p1", "--replace"])
        #expect(replaced.status == 0 && !replaced.stdout.isEmpty, "\(replaced.stderr)")
    }

    @Test("fit asked only for precisions its cards cannot run is a one-line error naming card, precision and what it runs")
    func unsupportedPrecisionEverywhere() throws {
        let runner = CLIRunner()
        let one = try runner.run(["fit", "--gpu", "T4", "--model", "gpt2", "--precision", "bf16-amp"])
        #expect(one.status == 1, "\(one.stderr)")
        #expect(one.stdout.isEmpty)
        #expect(one.stderr.split(separator: "\n").count == 1, "\(one.stderr)")
        #expect(one.stderr.contains("bf16-amp") && one.stderr.contains("T4 runs fp32, fp16-amp, fp16"), "\(one.stderr)")
        let several = try runner.run(["fit", "--gpu", "T4", "--gpu", "V100-16GB", "--model", "gpt2", "--precision", "bf16-amp", "--precision", "fp8"])
        #expect(several.status == 1, "\(several.stderr)")
        #expect(several.stderr.contains("bf16-amp or fp8") && several.stderr.contains("V100"), "\(several.stderr)")
        let somewhere = try runner.run(["fit", "--gpu", "T4", "--gpu", "A100-80GB-SXM", "--model", "gpt2", "--precision", "bf16-amp"])
        #expect(somewhere.status == 0, "a precision one card runs is planned there: \(somewhere.stderr)")
    }
}
