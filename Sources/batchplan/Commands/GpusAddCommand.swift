import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore

extension BatchPlan.Gpus {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add your own accelerator (a cloud variant, a card the catalog lacks).",
            discussion: """
                --memory is what plans use: give the total the driver reports if you know it (nvidia-smi's MiB, \
                e.g. 23028MiB), else the marketed size. Sizes are binary: 24GB = 24 GiB.

                Example:
                  batchplan gpus add "A10G 24GB (AWS g5)" --memory 23028MiB --marketed 24GB --vendor nvidia --architecture ampere --bf16 --tf32-tflops 35 --source https://aws.amazon.com/ec2/instance-types/g5/
                """
        )

        @OptionGroup var catalog: CatalogOptions

        @Argument(help: "Name for the card (must not clash with an existing one).")
        var name: String

        @Option(help: ArgumentHelp("Memory plans use, e.g. 23028MiB or 24GB.", valueName: "size"))
        var memory: String

        @Option(help: ArgumentHelp("Marketed size for --min-memory filters (default: --memory).", valueName: "size"))
        var marketed: String?

        @Option(help: "Vendor: nvidia, amd, apple or intel.")
        var vendor: String = "nvidia"

        @Option(help: "Architecture, e.g. ampere, ada, hopper, cdna3.")
        var architecture: String

        @Flag(help: "The card supports bf16.")
        var bf16 = false

        @Flag(help: "The card has fp8 tensor cores.")
        var fp8 = false

        @Option(help: ArgumentHelp("Dense TF32 tensor TFLOPS (marks the card as TF32-capable).", valueName: "tflops"))
        var tf32Tflops: Double?

        @Option(help: "Alias (repeatable).")
        var alias: [String] = []

        @Option(help: "Where the numbers come from (a URL or a note).")
        var source: String = "user"

        func run() throws {
            let memoryBytes = try Usage.parse { () throws(CoreError) in try ByteSize.parse(memory, what: "--memory") }
            let marketedBytes = try marketed.map { value in try Usage.parse { () throws(CoreError) in try ByteSize.parse(value, what: "--marketed") } } ?? memoryBytes
            guard memoryBytes > 0, marketedBytes > 0 else { throw Usage.error("--memory must be larger than 0") }
            guard let vendor = GPU.Vendor(rawValue: vendor.lowercased()) else {
                throw Usage.error("unknown vendor \"\(vendor)\"; use one of \(GPU.Vendor.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard !name.trimmingSpaces().isEmpty else { throw Usage.error("the GPU name is empty") }
            let gpu = GPU(
                name: name, aliases: alias, vendor: vendor, architecture: architecture.lowercased(), segment: "other",
                memoryBytes: memoryBytes, memoryBytesSource: "user", marketedMemory: marketed ?? memory,
                marketedMemoryBytes: marketedBytes, tf32TFLOPS: tf32Tflops, supportsBF16: bf16, supportsFP8: fp8,
                sourceURL: source, origin: .user)
            let opened = try catalog.open()
            // An architecture no card in the catalog has gets generic runtime defaults: a typo ("amperee") would
            // silently plan with them, so it is named, with the nearest known architectures.
            let known = Set(try opened.gpus().map { $0.architecture.lowercased() })
            try opened.addGPU(gpu)
            Output.note("added GPU \"\(name)\" (\(ByteSize.format(memoryBytes)))")
            if !known.contains(gpu.architecture) {
                let near = NameSuggestion.closest(to: gpu.architecture, among: known.sorted())
                Output.warning(
                    "no card in the catalog has architecture \"\(gpu.architecture)\": plans on it use generic runtime defaults"
                        + (near.isEmpty ? "" : "; did you mean " + near.map { "\"\($0)\"" }.joined(separator: " or ") + "?"))
            }
            // Pre-Ampere NVIDIA cards run bf16 only emulated and have no fp8 tensor cores (CUDA compute capability
            // 8.0 brought bf16 tensor cores, 8.9 fp8).
            let preAmpere: Set = ["kepler", "maxwell", "pascal", "volta", "turing"]
            let bf16Architectures: Set = ["ampere", "ada", "hopper", "blackwell"]
            if vendor == .nvidia, bf16Architectures.contains(gpu.architecture), !bf16 {
                Output.warning(
                    "\(gpu.architecture) cards run bf16, but --bf16 was not given: plans on it will not use bf16 "
                        + "(gpus remove it and add it again with --bf16\(gpu.architecture == "ampere" ? "" : ", and --fp8 where it has fp8 tensor cores"))")
            }
            if vendor == .nvidia, preAmpere.contains(gpu.architecture), bf16 || fp8 {
                Output.warning(
                    "\(gpu.architecture) cards have no \(bf16 ? "bf16" : "fp8")\(bf16 && fp8 ? " or fp8" : "") tensor cores "
                        + "(bf16 came with Ampere, fp8 with Ada and Hopper): plans will use them as stated")
            }
        }
    }
}

import Foundation
