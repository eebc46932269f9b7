import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

extension BatchPlan {
    struct Calibrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "calibrate",
            abstract: "Fit calibration factors from every usable measured run; --report scores them honestly.",
            discussion: """
                Fits, per scope (global → framework and trainer → architecture → GPU → family → model), an activation scale at every level, a scale of the implementation-dependent model-state terms (optimizer step temporaries, autocast and bucket copies) per framework and trainer, and the allocator reserve ratio and runtime context per architecture and GPU, each scope shrunk toward its parent by its evidence. Weights, gradients, optimizer state and master weights are exact and never scaled. OOM and outcome-only runs are constraints.

                A scope applies only if it lowers the held-out error on its own runs (by source at GPU level and above, by model in a family, by run in a model): the table shows that error before and after for every scope, and whether it applied. Plans refit automatically when runs changed; this command refits now and shows the factors.

                --report scores the analytic and the calibrated model by leave-one-source-out cross-validation: no run is scored by a fit that saw it or any run from its source. It ends with the same scores per source (all counters pooled: median and 90th percentile of |error|, share under-predicted, maximum-batch facts predicted within one step of the measured bracket), uncalibrated and calibrated.

                Examples:
                  batchplan calibrate
                  batchplan calibrate --report
                  batchplan calibrate --report --format json
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Flag(help: "Cross-validate: error before and after calibration, per counter and family.") var report = false
        @Option(help: "Output format: table or json.") var format: TableOrJSON = .table

        func run() throws {
            let opened = try catalog.open()
            let fit = try opened.fitCalibration()
            try opened.saveCalibration(fit.model, throughput: fit.throughput)
            let usable = fit.predictions.count + fit.skipped.count  // every usable run was predicted or skipped with a reason
            Output.note(String(format: "fitted %d observations from %d usable runs in %.2f s", fit.observations.count, usable, fit.seconds))
            for (stored, reason) in fit.skipped { Output.warning("run \(stored.id) (\(stored.run.model)) not predicted: \(reason)") }
            let validation = report ? CrossValidation.leaveOneSourceOut(fit.observations) : nil
            let accuracy = report ? AccuracyEvaluation.evaluate(fit.predictions) : nil
            let bySource = report ? SourceAccuracy.leaveOneSourceOut(fit.predictions) : nil
            switch format {
            case .json:
                var object = CalibrationFormatting.json(fit.model, observations: fit.observations.count, report: validation)
                if let accuracy { object["analytic_accuracy"] = CalibrationFormatting.accuracyJSON(accuracy) }
                if let bySource { object["by_source"] = CalibrationFormatting.sourceJSON(bySource) }
                Output.data(try Output.json(object))
            case .table:
                var text = CalibrationFormatting.table(fit.model, report: validation)
                if let accuracy { text += "\n\n" + CalibrationFormatting.accuracyTable(accuracy) }
                if let bySource { text += "\n\n" + CalibrationFormatting.sourceTable(bySource) }
                Output.data(text)
            }
        }
    }
}
