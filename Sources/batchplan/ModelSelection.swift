import ArgumentParser
import BatchPlanCore

/// Flags that choose the input size, task head and attention implementation a model is accounted at.
struct AccountingFlags: ParsableArguments {
    @Option(help: "Sequence length in tokens (transformers).")
    var seq: Int?

    @Option(help: "Square image size in pixels (vision models), e.g. 224.")
    var image: Int?

    @Option(help: ArgumentHelp("Input shape per sample, e.g. 3x224x224 or 180x50x1.", valueName: "CxHxW"))
    var input: String?

    @Option(help: "Task head and loss: \(TrainingTask.allCases.map(\.rawValue).joined(separator: ", ")) (default: the family's).")
    var task: TrainingTask?

    @Option(help: "Attention implementation: eager (keeps S×S probabilities) or sdpa (default, as transformers does).")
    var attention: AttentionImplementation = .sdpa

    /// The accounting options these flags describe; conflicting or absurd sizes are usage errors.
    func options() throws -> AccountingOptions {
        let given = [seq != nil, image != nil, input != nil].filter { $0 }.count
        guard given <= 1 else { throw Usage.error("give one of --seq, --image or --input, not several") }
        var size: InputSize?
        if let seq {
            guard seq > 0, seq <= 1 << 22 else { throw Usage.error("--seq must be between 1 and \(1 << 22), got \(seq)") }
            size = .sequence(length: seq)
        }
        if let image {
            guard image > 0, image <= 16384 else { throw Usage.error("--image must be between 1 and 16384 pixels, got \(image)") }
            size = .image(channels: 3, height: image, width: image)
        }
        if let input {
            let dims = try Usage.parse { () throws(CoreError) in try RawCountsModel.parseShape(input) }
            size = dims.count == 3 ? .image(channels: dims[0], height: dims[1], width: dims[2]) : .tensor(dims)
        }
        return AccountingOptions(input: size, task: task, attention: attention)
    }
}
