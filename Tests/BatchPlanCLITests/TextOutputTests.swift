import Foundation
import Testing

/// What text output shows people: columns under their headers, labels' values in one column, figures rounded to what
/// a reader can use, and no two numbers that contradict each other once rounded.
@Suite("batchplan text output, end to end")
struct TextOutputTests {
    /// The runs of non-space text in `line` as half-open column ranges, a single space kept inside a run.
    static func segments(_ line: Substring) -> [Range<Int>] {
        let characters = Array(line)
        var result: [Range<Int>] = []
        var index = 0
        while index < characters.count {
            guard characters[index] != " " else {
                index += 1
                continue
            }
            let start = index
            while index < characters.count,
                characters[index] != " " || (index + 1 < characters.count && characters[index + 1] != " ")
            {
                index += 1
            }
            result.append(start..<index)
        }
        return result
    }

    @Test("runs list puts every header, and every row's id, over its own column's rule")
    func runsListColumnsLineUp() throws {
        let result = try CLIRunner().run(["runs", "list"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        try #require(lines.count > 102, "the built-in runs have ids of one to three digits")
        let rules = Self.segments(lines[1])
        let headers = Self.segments(lines[0])
        #expect(headers.count == rules.count, "\(lines[0])")
        for (header, rule) in zip(headers, rules) {
            #expect(rule.contains(header.lowerBound) && rule.contains(header.upperBound - 1), "\(lines[0])\n\(lines[1])")
        }
        for row in [lines[2], lines[101]] {
            // ID is right-aligned: its last digit sits at the end of the first rule.
            #expect(Self.segments(row).first?.upperBound == rules.first?.upperBound, "\(row)\n\(lines[1])")
        }
    }

    /// Where `pattern` first matches `text`, as the matched text; `nil` when it does not.
    static func firstMatch(_ pattern: String, in text: String) throws -> String? {
        let expression = try NSRegularExpression(pattern: pattern)
        guard let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        return Range(match.range, in: text).map { String(text[$0]) }
    }

    /// A duration or FLOP count printed with more than about three significant digits ("6522.33 s", "124.53 s",
    /// "1107.30 GFLOP").
    static let overPrecise = "([0-9]{4,}|[0-9]{2,}\\.[0-9]{2,}|[0-9]{3,}\\.[0-9]+) (ms|s|min|h|days|[kMGTP]?FLOP)\\b"

    @Test("estimate's step time line lines its value up with the other labels' values")
    func estimateLabelsLineUp() throws {
        let question = ["estimate", "--model", "resnet50", "--batch", "64", "--precision", "bf16-amp", "--gpu", "RTX 3090"]
        let result = try CLIRunner().run(question)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        let labels = ["peak allocated ", "device used ", "card ", "calibration ", "assumes ", "step time "]
        var columns: [String: Int] = [:]
        for line in lines {
            guard let label = labels.first(where: { line.hasPrefix($0) }) else { continue }
            let characters = Array(line)
            columns[label] = characters.indices.first { $0 >= label.count && characters[$0] != " " }
        }
        #expect(columns.count == labels.count, "\(result.stdout)")
        #expect(Set(columns.values).count == 1, "values start in different columns: \(columns)")
    }

    @Test("a step time of hours reads in hours, and one for a batch that does not fit is marked for reference only")
    func estimateStepTimeForPeople() throws {
        let result = try CLIRunner().run(["estimate", "--model", "llama-3.2-1b", "--batch", "64", "--seq", "131072", "--gpu", "H100-SXM"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("step time") })
        #expect(line.contains(" h ") && line.contains("for reference only"), "\(line)")
        #expect(try Self.firstMatch(Self.overPrecise, in: String(line)) == nil, "\(line)")
        let fitting = try CLIRunner().run(["estimate", "--model", "resnet50", "--batch", "64", "--gpu", "RTX 3090"])
        #expect(!fitting.stdout.contains("for reference only"), "\(fitting.stdout)")
    }

    @Test("fit's step times and models show's FLOPs keep about three significant digits")
    func fitAndModelFiguresRounded() throws {
        let runner = CLIRunner()
        let fit = try runner.run(["fit", "--memory", "12TB", "--model", "squeezenet1_0", "--model", "regnet_y_400mf"])
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(try Self.firstMatch(Self.overPrecise, in: fit.stdout) == nil, "\(fit.stdout)")
        let show = try runner.run(["models", "show", "llama-2-13b"])
        #expect(show.status == 0, "\(show.stderr)")
        let flops = try #require(show.stdout.split(separator: "\n").first { $0.hasPrefix("forward FLOPs") })
        #expect(flops.hasSuffix(" 13.4 TFLOP per sample"), "\(flops)")
    }

    @Test("serve names the KV-cache budget as a budget, so the cache it then reports does not contradict it")
    func serveBudgetWorded() throws {
        let result = try CLIRunner().run([
            "serve", "--model", "llama-3.1-8b", "--memory", "24GB", "--weights", "int4", "--prompt", "7168", "--generate",
            "1024", "--memory-utilization", "0.9",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        let headline = try #require(lines.first { $0.hasPrefix("concurrent sequences") })
        #expect(headline.hasSuffix(": 15 (15.5 GiB KV-cache budget, 1.0 GiB per sequence)"), "\(headline)")
        #expect(lines.contains { $0.hasPrefix("limited by the KV cache: 15.0 GiB") }, "\(result.stdout)")
    }

    @Test("nothing fitting shows what it needs against the card's size with the decimals that tell them apart")
    func nothingFitsSizesDiffer() throws {
        let result = try CLIRunner().run(["fit", "--memory", "12GB", "--model", "qwen2.5-7b"])
        #expect(result.status == 2, "\(result.stderr)")
        let advice = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("  qwen2.5-7b: needs ") })
        #expect(advice.contains("needs a 12.04 GiB card at batch 1"), "\(advice)")
        #expect(advice.contains("a card with at least 12.04 GiB (12.0 GiB card has 12.00 GiB)"), "\(advice)")
    }

    @Test("fit's header names the ranking it used: batch where speed lacked the card's step-time rates")
    func fitHeaderNamesRankingUsed() throws {
        let runner = CLIRunner()
        let question = ["fit", "--gpu", "A10G", "--model", "llama-3.2-3b", "--mode", "lora", "--trainer", "litgpt", "--seq", "1024"]
        let fallen = try runner.run(question)
        #expect(fallen.status == 0, "\(fallen.stderr)")
        let header = try #require(fallen.stdout.split(separator: "\n").first)
        #expect(header.hasSuffix("ranked by batch (speed needs every plan's step time)"), "\(header)")
        #expect(fallen.stdout.contains("assumes: ranking: batch"), "\(fallen.stdout)")
        let timed = try runner.run(["fit", "--gpu", "RTX 3090", "--model", "resnet50"])
        #expect(timed.stdout.split(separator: "\n").first?.hasSuffix("ranked by speed") == true, "\(timed.stdout)")
    }

    @Test("calibrate counts observations in its table as in its first line, and estimate names them the same way")
    func calibrateCountsObservations() throws {
        let runner = CLIRunner()
        let result = try runner.run(["calibrate"])
        #expect(result.status == 0, "\(result.stderr)")
        let first = try #require(result.stderr.split(separator: "\n").first { $0.hasPrefix("fitted ") })
        let observations = try #require(try Self.firstMatch("[0-9]+(?= observations)", in: String(first)).flatMap { Int($0) })
        let lines = result.stdout.split(separator: "\n")
        let header = try #require(lines.first { $0.hasPrefix("SCOPE") })
        #expect(header.contains(" OBSERVATIONS ") && !header.contains(" RUNS "), "\(header)")
        let global = try #require(lines.first { $0.hasPrefix("global ") })
        #expect(global.split(separator: " ").dropFirst().first.map(String.init) == String(observations), "\(first)\n\(global)")
        let estimate = try runner.run(["estimate", "--model", "resnet50", "--batch", "64", "--gpu", "RTX 3090"])
        let line = try #require(estimate.stdout.split(separator: "\n").first { $0.hasPrefix("calibration      ") })
        #expect(try Self.firstMatch("from [0-9]+ observations", in: String(line)) != nil, "\(line)")
    }

    @Test("plans show gives the applied scope's own observations, not the whole catalog's count as the scope's")
    func savedPlanScopeCount() throws {
        let runner = CLIRunner()
        let fit = try runner.run(["fit", "--gpu", "RTX 3090", "--model", "resnet50", "--save", "mine"])
        #expect(fit.status == 0, "\(fit.stderr)")
        let scopes = try runner.run(["calibrate", "--format", "json"]).json()["scopes"] as? [[String: Any]] ?? []
        let show = try runner.run(["plans", "show", "mine"])
        #expect(show.status == 0, "\(show.stderr)")
        let line = try #require(show.stdout.split(separator: "\n").first { $0.hasPrefix("calibration: ") })
        let scope = try #require(try Self.firstMatch("(?<=Scope ).+(?= \\([0-9]+ observations\\))", in: String(line)), "\(line)")
        let counted = try #require(scopes.first { "\($0["level"] ?? "") \($0["key"] ?? "")" == scope }?["runs_used"] as? Int)
        #expect(line.contains("Scope \(scope) (\(counted) observations), of a calibration fitted on "), "\(line)")
    }

    @Test("in a fit over several cards, a card that runs none of the precisions asked says so, not 'nothing fits'")
    func unsupportedPrecisionOnOneCard() throws {
        let result = try CLIRunner().run(["fit", "--gpu", "T4", "--gpu", "A100-80GB-SXM", "--model", "gpt2", "--precision", "bf16-amp"])
        #expect(result.status == 0, "\(result.stderr)")
        let row = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("gpt2") && $0.contains("no plan") })
        #expect(row.contains("the precisions asked do not run on T4"), "\(row)")
    }

    @Test("every fitted row says what its memory rests on: a calibrated scope, or the analytic model")
    func everyRowNamesItsCalibration() throws {
        let result = try CLIRunner().run(["fit", "--memory", "8GB", "--no-calibration", "--model", "gpt2"])
        #expect(result.status == 0, "\(result.stderr)")
        let row = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("gpt2") })
        #expect(row.hasSuffix("analytic (no calibrated scope)"), "\(row)")
    }
}
