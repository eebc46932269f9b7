import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

extension BatchPlan.Runs {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import runs from a JSON Lines or CSV file, all or nothing.",
            discussion: """
                Reads batchplan's own format (what `runs export` and tools/measure_torch.py write) and the \
                published-measurements format. The whole file goes in one transaction: every row is validated and \
                errors are reported as FILE:LINE; if any row is bad nothing is stored, unless --skip-invalid. \
                Importing the same file twice adds nothing (rows are keyed by id, else by content).

                Examples:
                  batchplan runs import measured.jsonl
                  batchplan runs import team-runs.csv --dry-run
                  batchplan runs import mixed.jsonl --skip-invalid
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "File to import (.jsonl or .csv; - for standard input as JSON Lines).") var file: String
        @Option(help: "Force the format: jsonl or csv (default: from the extension).") var format: String?
        @Flag(help: "Store the valid rows and list the rest.") var skipInvalid = false
        @Flag(help: "Validate and report, store nothing.") var dryRun = false

        func run() throws {
            var forced: RunFile.Format?
            if let format {
                guard let parsed = RunFile.Format(rawValue: format.lowercased()) else {
                    throw Usage.error("unknown format \"\(format)\"; use jsonl or csv")
                }
                forced = parsed
            }
            let data: Data
            if file == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
                forced = forced ?? .jsonl
            } else {
                data = try InputFile.read(file)
            }
            let opened = try catalog.open()
            let summary = try Progress.during("importing \(file == "-" ? "runs from standard input" : file)") {
                let parsed = try RunFile.parse(data: data, file: file, format: forced, now: Catalog.timestamp())
                return try opened.importRuns(parsed, file: file, skipInvalid: skipInvalid, dryRun: dryRun)
            }
            for line in summary.rejected { Output.warning("skipped \(line)") }
            let verb = dryRun ? "would add" : "added"
            Output.note("\(verb) \(summary.added) run\(summary.added == 1 ? "" : "s"), \(summary.duplicates) already present, \(summary.rejected.count) skipped")
            if let line = Self.unusableLine(summary.unusable, added: summary.added) { Output.warning(line) }
        }

        /// One line for the added runs calibration cannot use: how many, and the commonest reasons with their counts.
        static func unusableLine(_ reasons: [String], added: Int) -> String? {
            guard !reasons.isEmpty else { return nil }
            var counts: [String: Int] = [:]
            var order: [String] = []
            for reason in reasons {
                if counts[reason] == nil { order.append(reason) }
                counts[reason, default: 0] += 1
            }
            let shown = order.sorted { counts[$0]! > counts[$1]! }.prefix(3).map { "\($0) (\(counts[$0]!))" }
            let more = order.count > 3 ? "; \(order.count - 3) more reasons" : ""
            return "\(reasons.count) of the \(added) added run\(added == 1 ? "" : "s") cannot calibrate: "
                + shown.joined(separator: "; ") + more + "; runs list --unusable lists them"
        }
    }
}
