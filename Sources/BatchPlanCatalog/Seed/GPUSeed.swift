import BatchPlanCore

/// Reads `data/gpus.csv` (embedded) into GPU values.
enum GPUSeed {
    static let path = "data/gpus.csv"
    static let header = [
        "name", "aliases", "vendor", "architecture", "segment", "memory_bytes", "memory_bytes_source", "marketed_memory",
        "memory_type", "unified_memory", "bandwidth_gb_s", "fp32_tflops", "tf32_tflops", "fp16_tflops", "bf16_tflops",
        "fp8_tflops", "supports_bf16", "supports_fp8", "compute_capability", "release_year", "source_url",
    ]

    /// Parses the seed CSV; any malformed row is an error naming its line (the seed ships with the binary, so a
    /// test keeps it valid).
    static func load(_ text: String) throws(CatalogError) -> [GPU] {
        let records = try CSV.parse(text)
        guard let first = records.first, first.fields == header else {
            throw .invalidInput("\(path): the header must be \(header.joined(separator: ","))")
        }
        var gpus: [GPU] = []
        for record in records.dropFirst() {
            guard record.fields.count == header.count else {
                throw .invalidInput("\(path):\(record.line): expected \(header.count) fields, found \(record.fields.count)")
            }
            var row: [String: String] = [:]
            for (key, value) in zip(header, record.fields) { row[key] = value.trimmingCharacters(in: .whitespaces) }
            gpus.append(try gpu(row, line: record.line))
        }
        return gpus
    }

    private static func gpu(_ row: [String: String], line: Int) throws(CatalogError) -> GPU {
        func text(_ key: String) -> String? { row[key].flatMap { $0.isEmpty ? nil : $0 } }
        func number(_ key: String) throws(CatalogError) -> Double? {
            guard let value = text(key) else { return nil }
            guard let number = Double(value), number.isFinite else {
                throw .invalidInput("\(path):\(line): \(key) \"\(value)\" is not a number")
            }
            return number
        }
        func flag(_ key: String) -> Bool { text(key) == "1" }
        guard let name = text("name"), let vendorText = text("vendor"), let vendor = GPU.Vendor(rawValue: vendorText),
            let memoryText = text("memory_bytes"), let memory = Int(memoryText), let marketed = text("marketed_memory"),
            let source = text("source_url")
        else {
            throw .invalidInput("\(path):\(line): name, vendor, memory_bytes, marketed_memory and source_url are required")
        }
        let marketedBytes: Int
        do {
            marketedBytes = try ByteSize.parse(marketed, what: "marketed memory")
        } catch {
            throw .invalidInput("\(path):\(line): \(error.description)")
        }
        return GPU(
            name: name,
            aliases: (text("aliases") ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty },
            vendor: vendor, architecture: text("architecture") ?? "unknown", segment: text("segment") ?? "other",
            memoryBytes: memory, memoryBytesSource: text("memory_bytes_source") ?? "vendor-spec",
            marketedMemory: marketed, marketedMemoryBytes: marketedBytes, memoryType: text("memory_type"),
            unifiedMemory: flag("unified_memory"), bandwidthGBs: try number("bandwidth_gb_s"),
            fp32TFLOPS: try number("fp32_tflops"), tf32TFLOPS: try number("tf32_tflops"),
            fp16TFLOPS: try number("fp16_tflops"), bf16TFLOPS: try number("bf16_tflops"),
            fp8TFLOPS: try number("fp8_tflops"), supportsBF16: flag("supports_bf16"), supportsFP8: flag("supports_fp8"),
            computeCapability: text("compute_capability"), releaseYear: try number("release_year").map { Int($0) },
            sourceURL: source, origin: .builtin)
    }
}

import Foundation
