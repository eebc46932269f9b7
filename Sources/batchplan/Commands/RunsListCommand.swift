import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

extension BatchPlan.Runs {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List measured runs; --unusable lists those calibration cannot use, with the reason.",
            discussion: """
                Examples:
                  batchplan runs list --model resnet50
                  batchplan runs list --gpu "RTX 3090" --format json
                  batchplan runs list --unusable
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Option(help: "Only runs of this model.") var model: String?
        @Option(help: "Only runs on this GPU (any alias).") var gpu: String?
        @Flag(help: "Only runs calibration cannot use (not expressible, or a reading 100× off its prediction), with the reason.")
        var unusable = false
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

        func run() throws {
            var all = try catalog.open().runsWithUsability(model: model, gpu: gpu)
            // Usable means what calibration uses: a run the planner cannot predict at its configuration, or whose
            // reading is more than 100× off its prediction (a unit left off), is left out there and listed so here.
            let skipped = Dictionary(
                RunEvidence.predictions(all).skipped.map { ($0.0.id, $0.1) }, uniquingKeysWith: { first, _ in first })
            for index in all.indices where all[index].unusableReason == nil {
                if let reason = skipped[all[index].stored.id] { all[index].unusableReason = reason }
            }
            let runs = unusable ? all.filter { $0.unusableReason != nil } : all
            if all.isEmpty, model != nil || gpu != nil {
                // An empty list is an answer; say it is one, and how runs are named, on stderr (stdout stays the list).
                let filters = [model.map { "model \"\($0)\"" }, gpu.map { "GPU \"\($0)\"" }].compactMap { $0 }
                Output.note("no run matches \(filters.joined(separator: " and ")) (runs are matched by the names they were recorded with; batchplan runs list shows them all)")
            }
            switch format {
            case .json:
                Output.data(try Output.json(["runs": runs.map { entry -> [String: Any] in
                    var object: [String: Any] = ["catalog_id": entry.stored.id, "usable": entry.unusableReason == nil,
                                                 "unusable_reason": entry.unusableReason ?? NSNull(),
                                                 "origin": entry.stored.run.origin.rawValue]
                    for (key, value) in RunFile.fields(of: entry.stored.run) { object[key] = RunsFormatting.jsonValue(key, value) }
                    return object
                }]))
            case .csv:
                Output.data(RunFile.export(runs.map(\.stored.run), format: .csv))
            case .table:
                var table = TextTable(
                    headers: ["ID", "MODEL", "GPU", "KIND", "BATCH", "PRECISION", "OPTIMIZER", "READING", unusable ? "WHY UNUSABLE" : "SOURCE"],
                    rightAligned: [0, 4, 7])
                table.rows = runs.map { entry in
                    let run = entry.stored.run
                    let reading = run.deviceUsedBytes.map { "used " + ByteSize.format($0) }
                        ?? run.peakReservedBytes.map { "rsv " + ByteSize.format($0) }
                        ?? run.peakAllocatedBytes.map { "alloc " + ByteSize.format($0) }
                        ?? run.peakUnspecifiedBytes.map { "peak " + ByteSize.format($0) } ?? run.outcome.rawValue
                    return [String(entry.stored.id), run.model, run.gpu ?? "-", run.kind.rawValue,
                            run.batchSize.map(String.init) ?? "-", run.precision?.rawValue ?? run.unmodelled["precision"] ?? "-",
                            run.optimizer?.rawValue ?? run.unmodelled["optimizer"] ?? "-", reading,
                            unusable ? entry.unusableReason ?? "" : (run.url ?? run.source)]
                }
                Output.data(table.render())
                let usable = all.filter { $0.unusableReason == nil }.count
                Output.note("\(runs.count) run\(runs.count == 1 ? "" : "s") listed; \(usable) of \(all.count) usable for calibration")
            }
        }
    }
}

/// Runs as JSON values: numbers as numbers, the rest as text.
enum RunsFormatting {
    static func jsonValue(_ key: String, _ value: String?) -> Any {
        guard let value else { return NSNull() }
        if key == "step_time_ms", let number = Double(value) { return number }
        if RunFile.numericColumns.contains(key), let number = Int(value) { return number }
        return value
    }
}
