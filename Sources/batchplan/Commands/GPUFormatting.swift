import BatchPlanCatalog
import BatchPlanCore
import Foundation

/// GPU rows as JSON objects (the documented contract) and CSV.
enum GPUFormatting {
    static func json(_ gpu: GPU) -> [String: Any] {
        [
            "name": gpu.name, "aliases": gpu.aliases, "vendor": gpu.vendor.rawValue, "architecture": gpu.architecture,
            "segment": gpu.segment, "memory_bytes": gpu.memoryBytes, "memory_bytes_source": gpu.memoryBytesSource,
            "marketed_memory": gpu.marketedMemory, "marketed_memory_bytes": gpu.marketedMemoryBytes,
            "memory_type": gpu.memoryType ?? NSNull(), "unified_memory": gpu.unifiedMemory,
            "bandwidth_gb_s": gpu.bandwidthGBs ?? NSNull(), "fp32_tflops": gpu.fp32TFLOPS ?? NSNull(),
            "tf32_tflops": gpu.tf32TFLOPS ?? NSNull(), "fp16_tflops": gpu.fp16TFLOPS ?? NSNull(),
            "bf16_tflops": gpu.bf16TFLOPS ?? NSNull(), "fp8_tflops": gpu.fp8TFLOPS ?? NSNull(),
            "supports_bf16": gpu.supportsBF16, "supports_fp8": gpu.supportsFP8,
            "precisions": Precision.allCases.filter(gpu.supports).map(\.rawValue),
            "compute_capability": gpu.computeCapability ?? NSNull(), "release_year": gpu.releaseYear ?? NSNull(),
            "source_url": gpu.sourceURL, "origin": gpu.origin.rawValue,
        ]
    }

    static func csv(_ gpus: [GPU]) -> String {
        let header = "name,vendor,architecture,memory_bytes,marketed_memory,supports_bf16,supports_fp8,compute_capability,release_year,source_url,origin"
        let rows = gpus.map { gpu in
            [gpu.name, gpu.vendor.rawValue, gpu.architecture, String(gpu.memoryBytes), gpu.marketedMemory,
             gpu.supportsBF16 ? "1" : "0", gpu.supportsFP8 ? "1" : "0", gpu.computeCapability ?? "",
             gpu.releaseYear.map(String.init) ?? "", gpu.sourceURL, gpu.origin.rawValue].map(CSV.escape).joined(separator: ",")
        }
        return ([header] + rows).joined(separator: "\n")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%g", value)
    }
}
