/// What runs the training loop, with an optional version: the `--trainer` values (`hf-trainer-4.31`, `torchtune`).
///
/// The trainer decides structural defaults that move the peak as much as the model does (the optimizer's
/// implementation, whether its step runs inside backward, how gradients are zeroed, the loss's dtype); they are
/// `TrainingStack.defaults(for:)`, each overridable on its own.
public struct Trainer: Hashable, Codable, Sendable, CustomStringConvertible {
    public enum Kind: String, CaseIterable, Codable, Sendable {
        /// A plain PyTorch loop: `loss.backward(); optimizer.step(); optimizer.zero_grad()`.
        case pytorch
        /// Hugging Face `transformers.Trainer`.
        case hfTrainer = "hf-trainer"
        /// Hugging Face Accelerate around a plain loop.
        case accelerate
        /// PyTorch Lightning's automatic optimization.
        case lightning
        /// torchtune's recipes.
        case torchtune
        /// Lightning AI's LitGPT.
        case litgpt
        /// DeepSpeed's engine.
        case deepspeed
        /// timm's `train.py`.
        case timm
    }

    public var kind: Kind
    public var version: String?

    public init(kind: Kind, version: String? = nil) {
        self.kind = kind
        self.version = version
    }

    public static let pytorch = Trainer(kind: .pytorch)

    /// Parses `pytorch`, `hf-trainer`, `hf-trainer-4.31`, `torchtune-0.5` (case-insensitive): the longest known name
    /// that prefixes the text, then an optional `-VERSION`.
    public init(parsing text: String) throws(CoreError) {
        let lowered = text.trimmingSpaces().lowercased()
        let names = Kind.allCases.sorted { $0.rawValue.count > $1.rawValue.count }
        for kind in names where lowered == kind.rawValue || lowered.hasPrefix(kind.rawValue + "-") {
            let version = lowered.dropFirst(kind.rawValue.count).drop { $0 == "-" }
            guard version.allSatisfy({ $0.isNumber || $0 == "." || $0.isLetter }) else { break }
            self.init(kind: kind, version: version.isEmpty ? nil : String(version))
            return
        }
        let known = Kind.allCases.map(\.rawValue)
        let hint = NameSuggestion.didYouMean(lowered, among: known).map { $0 + " " } ?? ""
        throw .invalidValue(
            what: "trainer", value: text,
            fix: "\(hint)use one of \(known.joined(separator: ", ")), optionally with a version such as hf-trainer-4.31")
    }

    public var description: String { version.map { "\(kind.rawValue)-\($0)" } ?? kind.rawValue }

    /// The version as numbers (`4.31` → [4, 31]); empty when unversioned or not numeric.
    var versionNumbers: [Int] { (version ?? "").split(separator: ".").compactMap { Int($0) } }

    /// Whether the trainer's version is known and older than `numbers` (lexicographic on the components).
    func isOlder(than numbers: [Int]) -> Bool {
        let own = versionNumbers
        guard !own.isEmpty else { return false }
        for (a, b) in zip(own, numbers) where a != b { return a < b }
        return false
    }
}
