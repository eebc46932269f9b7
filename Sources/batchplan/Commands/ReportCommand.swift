import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import BatchPlanReports
import Foundation

extension ReportFormat: ExpressibleByArgument {}

extension BatchPlan {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "A planning report to keep or share: the answer, why, where the memory goes, and on what it rests.",
            discussion: """
                Asks the same question as fit (same flags) and writes a report: a summary (the question and a \
                one-sentence answer per card), per card × model the chosen plan and the alternatives with why they \
                lost, the memory breakdown, memory against batch size per precision with the capacity line, measured \
                runs against the prediction, the calibration (scope, runs, cross-validated error), every assumption, \
                and the versions and time it was made. --format json is a stable contract (docs/report-json.md). \
                Like fit, it exits 2 when nothing fits anywhere (the report is still written).

                Without -o the report goes to stdout. With -o it is written atomically: into a temporary file renamed \
                into place, so a failure leaves no half-written file.

                --plan NAME re-exports a plan saved with fit --save NAME, exactly as it was; add --compare to run its \
                question again with today's calibration and show what changed (md, csv or json).

                Examples:
                  batchplan report --gpu "RTX 3060" --gpu "RTX 4090" --model resnet50 --model llama-3.2-1b --seq 1024 --format html -o plan.html
                  batchplan report --memory 24GB --model gpt2 --format json
                  batchplan report --plan rtx3060-llama --format md
                  batchplan report --plan rtx3060-llama --compare
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var question: FitFlags
        @Option(help: "Report format: md, html, csv or json.") var format: ReportFormat = .md
        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file (atomically) instead of stdout.", valueName: "file"))
        var output: String?
        @Option(help: "Alternatives shown per card × model.") var alternatives: Int = 5
        @Option(help: ArgumentHelp("Re-export a plan saved with fit --save NAME.", valueName: "name")) var plan: String?
        @Flag(help: "With --plan: run the saved question again with today's calibration and show what changed.")
        var compare = false

        func run() throws {
            guard (0...PlanLimits.alternatives).contains(alternatives) else {
                throw Usage.error("--alternatives must be between 0 and \(PlanLimits.alternatives)")
            }
            if compare && plan == nil { throw Usage.error("--compare needs --plan NAME (a plan saved with fit --save NAME)") }
            if plan != nil && !FitQuery(question).isEmpty {
                throw Usage.error("--plan re-runs the saved question: leave out the fit flags (--gpu, --model, --seq, …)")
            }
            if compare && format == .html { throw Usage.error("--compare writes md, csv or json; pass --format md") }
            let opened = try catalog.open()
            let text: String
            var nothingFits = false
            if let plan, compare {
                text = try comparison(plan, in: opened)
            } else if let plan {
                let loaded = try SavedPlans.load(plan, from: opened)
                let results = loaded.result.input.results
                nothingFits = !results.isEmpty && results.allSatisfy { $0.best == nil }
                text = try render(SavedPlans.report(loaded, alternatives: alternatives))
            } else {
                let outcome = try FitRunner(catalog: opened).run(FitQuery(question), flags: question)
                nothingFits = outcome.nothingFits
                let assembly = ReportAssembly(catalog: opened)
                text = try render(PlanningReportBuilder.report(
                    try assembly.input(for: outcome), versions: try assembly.versions(), generatedAt: Date(),
                    alternatives: alternatives))
            }
            if let output {
                try AtomicFile.write(Output.terminated(text), to: output)
                Output.note("wrote \(format.rawValue) report to \(output)")
            } else {
                Output.data(text)
            }
            // The report is written either way (it says by how much and what would fit); the exit code says it, as fit's does.
            if nothingFits { throw ExitCode(2) }
        }

        private func render(_ report: PlanningReport) throws -> String {
            do {
                return try format.renderer.render(report)
            } catch {
                throw CatalogError.invalidInput(error.description)
            }
        }

        private func comparison(_ name: String, in catalog: Catalog) throws -> String {
            let saved = try SavedPlans.load(name, from: catalog)
            let outcome = try FitRunner(catalog: catalog).run(saved.query)
            let now = try ReportAssembly(catalog: catalog).calibrationSummary(outcome)
            let comparison = PlanComparison(saved: saved, outcome: outcome, newCalibration: now)
            switch format {
            case .csv: return comparison.csv()
            case .json: return try comparison.json()
            case .md, .html: return comparison.markdown()
            }
        }
    }
}

/// Limits on what a report shows.
enum PlanLimits {
    /// Alternatives a report can show per card × model: the ones a saved plan keeps.
    static let alternatives = ReportAssembly.keptAlternatives
}
