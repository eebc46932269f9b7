/// One accelerator as the catalog describes it.
///
/// `memoryBytes` is what plans use: the total the driver reports (nvidia-smi's MiB × 2^20) where known, else the
/// vendor's exact capacity. `marketedMemoryBytes` is the size on the box, in binary units, which filters such as
/// `--min-memory 12GB` match, so a 12 GB card whose driver reports 11.9 GiB still counts as a 12 GB card.
public struct GPU: Hashable, Codable, Sendable {
    public enum Vendor: String, CaseIterable, Codable, Sendable { case nvidia, amd, apple, intel }

    public var name: String
    public var aliases: [String]
    public var vendor: Vendor
    public var architecture: String
    public var segment: String
    public var memoryBytes: Int
    /// "nvidia-smi" when `memoryBytes` is a driver reading, "vendor-spec" otherwise.
    public var memoryBytesSource: String
    public var marketedMemory: String
    public var marketedMemoryBytes: Int
    public var memoryType: String?
    public var unifiedMemory: Bool
    public var bandwidthGBs: Double?
    public var fp32TFLOPS: Double?
    public var tf32TFLOPS: Double?
    public var fp16TFLOPS: Double?
    public var bf16TFLOPS: Double?
    public var fp8TFLOPS: Double?
    public var supportsBF16: Bool
    public var supportsFP8: Bool
    public var computeCapability: String?
    public var releaseYear: Int?
    public var sourceURL: String
    public var origin: RowOrigin

    public init(
        name: String, aliases: [String] = [], vendor: Vendor, architecture: String, segment: String,
        memoryBytes: Int, memoryBytesSource: String = "vendor-spec", marketedMemory: String, marketedMemoryBytes: Int,
        memoryType: String? = nil, unifiedMemory: Bool = false, bandwidthGBs: Double? = nil,
        fp32TFLOPS: Double? = nil, tf32TFLOPS: Double? = nil, fp16TFLOPS: Double? = nil, bf16TFLOPS: Double? = nil,
        fp8TFLOPS: Double? = nil, supportsBF16: Bool, supportsFP8: Bool, computeCapability: String? = nil,
        releaseYear: Int? = nil, sourceURL: String, origin: RowOrigin
    ) {
        self.name = name
        self.aliases = aliases
        self.vendor = vendor
        self.architecture = architecture
        self.segment = segment
        self.memoryBytes = memoryBytes
        self.memoryBytesSource = memoryBytesSource
        self.marketedMemory = marketedMemory
        self.marketedMemoryBytes = marketedMemoryBytes
        self.memoryType = memoryType
        self.unifiedMemory = unifiedMemory
        self.bandwidthGBs = bandwidthGBs
        self.fp32TFLOPS = fp32TFLOPS
        self.tf32TFLOPS = tf32TFLOPS
        self.fp16TFLOPS = fp16TFLOPS
        self.bf16TFLOPS = bf16TFLOPS
        self.fp8TFLOPS = fp8TFLOPS
        self.supportsBF16 = supportsBF16
        self.supportsFP8 = supportsFP8
        self.computeCapability = computeCapability
        self.releaseYear = releaseYear
        self.sourceURL = sourceURL
        self.origin = origin
    }

    /// Whether the card can run a precision: bf16 needs bf16 support, fp8 needs fp8 tensor cores,
    /// tf32 needs TF32 tensor cores (NVIDIA Ampere and later).
    public func supports(_ precision: Precision) -> Bool {
        switch precision {
        case .fp32, .fp16, .fp16Amp: true
        case .tf32: vendor == .nvidia && tf32TFLOPS != nil
        case .bf16, .bf16Amp: supportsBF16
        case .fp8: supportsFP8
        }
    }
}
