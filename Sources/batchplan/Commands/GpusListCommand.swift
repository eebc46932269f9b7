import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore

extension BatchPlan.Gpus {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List accelerators, optionally filtered by memory and vendor.",
            discussion: """
                Cards are listed by memory (the marketed size, smallest first; then the size the driver reports), \
                then by name; --sort name or --sort vendor orders them otherwise. --min-memory matches the marketed \
                size in binary units: a 12 GB card whose driver reports 11.9 GiB still counts as a 12 GB card.

                Examples:
                  batchplan gpus list --min-memory 12GB
                  batchplan gpus list --vendor amd --format json
                  batchplan gpus list --sort name
                """
        )

        @OptionGroup var catalog: CatalogOptions

        @Option(help: ArgumentHelp("Only cards marketed with at least this much memory (12GB = 12 GiB).", valueName: "size"))
        var minMemory: String?

        @Option(help: ArgumentHelp("Only cards marketed with at most this much memory.", valueName: "size"))
        var maxMemory: String?

        @Option(help: "Only this vendor: \(GPU.Vendor.allCases.map(\.rawValue).joined(separator: ", ")).")
        var vendor: String?

        @Option(help: "Order: memory (default: marketed size, then reported size, then name), name, or vendor (then memory).")
        var sort: GPUOrder = .memory

        @Option(help: "Output format: table, json or csv.")
        var format: OutputFormat = .table

        func run() throws {
            let minimum = try minMemory.map { value in try Usage.parse { () throws(CoreError) in try ByteSize.parse(value, what: "--min-memory") } }
            let maximum = try maxMemory.map { value in try Usage.parse { () throws(CoreError) in try ByteSize.parse(value, what: "--max-memory") } }
            var vendorFilter: GPU.Vendor?
            if let vendor {
                guard let parsed = GPU.Vendor(rawValue: vendor.lowercased()) else {
                    throw Usage.error("unknown vendor \"\(vendor)\"; use one of \(GPU.Vendor.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                vendorFilter = parsed
            }
            let gpus = try catalog.open().gpus().filter { gpu in
                (minimum.map { gpu.marketedMemoryBytes >= $0 } ?? true)
                    && (maximum.map { gpu.marketedMemoryBytes <= $0 } ?? true)
                    && (vendorFilter.map { gpu.vendor == $0 } ?? true)
            }.sorted(by: sort.precedes)
            switch format {
            case .json: Output.data(try Output.json(["gpus": gpus.map(GPUFormatting.json)]))
            case .csv: Output.data(GPUFormatting.csv(gpus))
            case .table:
                var table = TextTable(
                    headers: ["NAME", "VENDOR", "ARCH", "MEMORY", "REPORTED", "BF16", "FP8", "SOURCE"], rightAligned: [3, 4])
                table.rows = gpus.map { gpu in
                    [gpu.name, gpu.vendor.rawValue, gpu.architecture, gpu.marketedMemory, ByteSize.format(gpu.memoryBytes),
                     gpu.supportsBF16 ? "yes" : "no", gpu.supportsFP8 ? "yes" : "no", gpu.origin == .user ? "user" : "built-in"]
                }
                Output.data(table.render())
                Output.note("\(gpus.count) GPU\(gpus.count == 1 ? "" : "s"), \(sort.description)")
            }
        }
    }
}

/// How `gpus list` orders cards.
enum GPUOrder: String, ExpressibleByArgument, CaseIterable {
    case memory
    case name
    case vendor

    /// The order in words, for the table's footnote.
    var description: String {
        switch self {
        case .memory: "by memory, then name (--sort name or vendor orders otherwise)"
        case .name: "by name"
        case .vendor: "by vendor, then memory"
        }
    }

    /// Whether `a` is listed before `b`; every order ends with the name, so the listing is total and stable.
    func precedes(_ a: GPU, _ b: GPU) -> Bool {
        let byName = (a.name.lowercased(), a.name) < (b.name.lowercased(), b.name)
        let byMemory = (a.marketedMemoryBytes, a.memoryBytes)
        let otherMemory = (b.marketedMemoryBytes, b.memoryBytes)
        switch self {
        case .memory:
            return byMemory != otherMemory ? byMemory < otherMemory : byName
        case .name:
            return byName
        case .vendor:
            if a.vendor != b.vendor { return a.vendor.rawValue < b.vendor.rawValue }
            return byMemory != otherMemory ? byMemory < otherMemory : byName
        }
    }
}
