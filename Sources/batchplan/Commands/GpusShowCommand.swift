import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore

extension BatchPlan.Gpus {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one accelerator; any alias works (\"3090\", \"rtx3090\", \"GeForce RTX 3090\").",
            discussion: """
                Examples:
                  batchplan gpus show 3090
                  batchplan gpus show "H100 SXM" --format json
                """
        )

        @OptionGroup var catalog: CatalogOptions

        @Argument(help: "GPU name or alias.")
        var name: String

        @Option(help: "Output format: table, json or csv.")
        var format: OutputFormat = .table

        func run() throws {
            let gpu = try catalog.open().gpu(named: name)
            switch format {
            case .json: Output.data(try Output.json(["gpu": GPUFormatting.json(gpu)]))
            case .csv: Output.data(GPUFormatting.csv([gpu]))
            case .table:
                let rows: [(String, String)] = [
                    ("name", gpu.name), ("vendor", gpu.vendor.rawValue), ("architecture", gpu.architecture),
                    ("segment", gpu.segment), ("marketed memory", gpu.marketedMemory),
                    ("memory used by plans", "\(ByteSize.format(gpu.memoryBytes)) (\(gpu.memoryBytes) bytes, \(gpu.memoryBytesSource))"),
                    ("memory type", gpu.memoryType ?? "-"), ("unified memory", gpu.unifiedMemory ? "yes" : "no"),
                    ("bandwidth", gpu.bandwidthGBs.map { "\(GPUFormatting.number($0)) GB/s" } ?? "-"),
                    ("fp32 TFLOPS", gpu.fp32TFLOPS.map(GPUFormatting.number) ?? "-"),
                    ("tf32 tensor TFLOPS", gpu.tf32TFLOPS.map(GPUFormatting.number) ?? "-"),
                    ("fp16 TFLOPS", gpu.fp16TFLOPS.map(GPUFormatting.number) ?? "-"),
                    ("bf16 TFLOPS", gpu.bf16TFLOPS.map(GPUFormatting.number) ?? "-"),
                    ("fp8 TFLOPS", gpu.fp8TFLOPS.map(GPUFormatting.number) ?? "-"),
                    ("precisions", Precision.allCases.filter(gpu.supports).map(\.rawValue).joined(separator: ", ")),
                    ("compute capability", gpu.computeCapability ?? "-"),
                    ("release year", gpu.releaseYear.map(String.init) ?? "-"),
                    ("aliases", gpu.aliases.joined(separator: ", ")),
                    ("source", gpu.sourceURL), ("origin", gpu.origin == .user ? "user" : "built-in"),
                ]
                let width = rows.map(\.0.count).max() ?? 0
                Output.data(rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n"))
            }
        }
    }
}

import Foundation
