import BatchPlanCore
import GRDB

/// A row of the `gpu` table.
struct GPURecord: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
    static let databaseTableName = "gpu"

    var id: Int64?
    var name: String
    var vendor: String
    var architecture: String
    var segment: String
    var memoryBytes: Int
    var memoryBytesSource: String
    var marketedMemory: String
    var marketedMemoryBytes: Int
    var memoryType: String?
    var unifiedMemory: Bool
    var bandwidthGbS: Double?
    var fp32Tflops: Double?
    var tf32Tflops: Double?
    var fp16Tflops: Double?
    var bf16Tflops: Double?
    var fp8Tflops: Double?
    var supportsBf16: Bool
    var supportsFp8: Bool
    var computeCapability: String?
    var releaseYear: Int?
    var sourceUrl: String
    var origin: String

    enum CodingKeys: String, CodingKey {
        case id, name, vendor, architecture, segment, origin
        case memoryBytes = "memory_bytes", memoryBytesSource = "memory_bytes_source"
        case marketedMemory = "marketed_memory", marketedMemoryBytes = "marketed_memory_bytes"
        case memoryType = "memory_type", unifiedMemory = "unified_memory", bandwidthGbS = "bandwidth_gb_s"
        case fp32Tflops = "fp32_tflops", tf32Tflops = "tf32_tflops", fp16Tflops = "fp16_tflops"
        case bf16Tflops = "bf16_tflops", fp8Tflops = "fp8_tflops"
        case supportsBf16 = "supports_bf16", supportsFp8 = "supports_fp8"
        case computeCapability = "compute_capability", releaseYear = "release_year", sourceUrl = "source_url"
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Reads a row by column name: the `Decodable` mapping written out (GRDB's keyed decoding container per column
    /// made reading the 91 built-in cards a sixth of `fit --memory`, which reads them for a rate donor); a value of
    /// the wrong type still throws.
    init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        name = try row.decode(forColumn: "name")
        vendor = try row.decode(forColumn: "vendor")
        architecture = try row.decode(forColumn: "architecture")
        segment = try row.decode(forColumn: "segment")
        memoryBytes = try row.decode(forColumn: "memory_bytes")
        memoryBytesSource = try row.decode(forColumn: "memory_bytes_source")
        marketedMemory = try row.decode(forColumn: "marketed_memory")
        marketedMemoryBytes = try row.decode(forColumn: "marketed_memory_bytes")
        memoryType = try row.decode(forColumn: "memory_type")
        unifiedMemory = try row.decode(forColumn: "unified_memory")
        bandwidthGbS = try row.decode(forColumn: "bandwidth_gb_s")
        fp32Tflops = try row.decode(forColumn: "fp32_tflops")
        tf32Tflops = try row.decode(forColumn: "tf32_tflops")
        fp16Tflops = try row.decode(forColumn: "fp16_tflops")
        bf16Tflops = try row.decode(forColumn: "bf16_tflops")
        fp8Tflops = try row.decode(forColumn: "fp8_tflops")
        supportsBf16 = try row.decode(forColumn: "supports_bf16")
        supportsFp8 = try row.decode(forColumn: "supports_fp8")
        computeCapability = try row.decode(forColumn: "compute_capability")
        releaseYear = try row.decode(forColumn: "release_year")
        sourceUrl = try row.decode(forColumn: "source_url")
        origin = try row.decode(forColumn: "origin")
    }

    init(_ gpu: GPU) {
        name = gpu.name
        vendor = gpu.vendor.rawValue
        architecture = gpu.architecture
        segment = gpu.segment
        memoryBytes = gpu.memoryBytes
        memoryBytesSource = gpu.memoryBytesSource
        marketedMemory = gpu.marketedMemory
        marketedMemoryBytes = gpu.marketedMemoryBytes
        memoryType = gpu.memoryType
        unifiedMemory = gpu.unifiedMemory
        bandwidthGbS = gpu.bandwidthGBs
        fp32Tflops = gpu.fp32TFLOPS
        tf32Tflops = gpu.tf32TFLOPS
        fp16Tflops = gpu.fp16TFLOPS
        bf16Tflops = gpu.bf16TFLOPS
        fp8Tflops = gpu.fp8TFLOPS
        supportsBf16 = gpu.supportsBF16
        supportsFp8 = gpu.supportsFP8
        computeCapability = gpu.computeCapability
        releaseYear = gpu.releaseYear
        sourceUrl = gpu.sourceURL
        origin = gpu.origin.rawValue
    }

    func gpu(aliases: [String]) -> GPU {
        GPU(
            name: name, aliases: aliases, vendor: GPU.Vendor(rawValue: vendor) ?? .nvidia, architecture: architecture,
            segment: segment, memoryBytes: memoryBytes, memoryBytesSource: memoryBytesSource,
            marketedMemory: marketedMemory, marketedMemoryBytes: marketedMemoryBytes, memoryType: memoryType,
            unifiedMemory: unifiedMemory, bandwidthGBs: bandwidthGbS, fp32TFLOPS: fp32Tflops, tf32TFLOPS: tf32Tflops,
            fp16TFLOPS: fp16Tflops, bf16TFLOPS: bf16Tflops, fp8TFLOPS: fp8Tflops, supportsBF16: supportsBf16,
            supportsFP8: supportsFp8, computeCapability: computeCapability, releaseYear: releaseYear,
            sourceURL: sourceUrl, origin: RowOrigin(rawValue: origin) ?? .user)
    }
}

/// A row of the `gpu_alias` table.
struct GPUAliasRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "gpu_alias"
    var aliasKey: String
    var gpuId: Int64

    enum CodingKeys: String, CodingKey {
        case aliasKey = "alias_key", gpuId = "gpu_id"
    }
}
