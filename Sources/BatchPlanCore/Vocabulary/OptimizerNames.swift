/// The names users type for an optimizer: batchplan's own, Hugging Face `TrainingArguments.optim` values and
/// bitsandbytes / torch.optim class names, each an optimizer plus, where the name says it, an implementation.
public enum OptimizerNames {
    /// What a name stands for.
    public struct Meaning: Hashable, Sendable {
        public var optimizer: OptimizerKind
        /// The implementation the name fixes (`adamw_torch_fused` → fused); `nil` leaves the trainer's default.
        public var implementation: OptimizerImplementation?
    }

    /// Aliases, lower-cased. Sources: transformers `training_args.py` `OptimizerNames` (adamw_hf is transformers'
    /// own per-parameter AdamW; adamw_torch is torch.optim.AdamW; adamw_torch_fused passes fused=True;
    /// adamw_apex_fused is apex FusedAdam; adamw_bnb_8bit / adamw_8bit, paged_adamw_32bit / paged_adamw_8bit,
    /// lion_32bit are bitsandbytes'), bitsandbytes `bitsandbytes/optim/__init__.py` class names (Adam8bit,
    /// AdamW8bit, PagedAdamW, PagedAdamW8bit, PagedAdamW32bit, Adam32bit, AdamW32bit, Lion32bit: fused CUDA
    /// kernels), and torch.optim class names.
    public static let aliases: [String: Meaning] = [
        // Hugging Face TrainingArguments.optim
        "adamw_hf": Meaning(optimizer: .adamw, implementation: .forLoop),
        "adamw_torch": Meaning(optimizer: .adamw, implementation: .foreach),
        "adamw_torch_fused": Meaning(optimizer: .adamw, implementation: .fused),
        "adamw_apex_fused": Meaning(optimizer: .adamw, implementation: .fused),
        "adamw_bnb_8bit": Meaning(optimizer: .adamw8bit, implementation: .fused),
        "adamw_8bit": Meaning(optimizer: .adamw8bit, implementation: .fused),
        "paged_adamw_32bit": Meaning(optimizer: .pagedAdamw, implementation: .fused),
        "paged_adamw_8bit": Meaning(optimizer: .pagedAdamw8bit, implementation: .fused),
        "lion_32bit": Meaning(optimizer: .lion, implementation: .fused),
        "adafactor": Meaning(optimizer: .adafactor, implementation: nil),
        "sgd": Meaning(optimizer: .sgd, implementation: nil),
        "adagrad": Meaning(optimizer: .adagrad, implementation: nil),
        "rmsprop": Meaning(optimizer: .rmsprop, implementation: nil),
        // bitsandbytes class names
        "adam8bit": Meaning(optimizer: .adam8bit, implementation: .fused),
        "adamw8bit": Meaning(optimizer: .adamw8bit, implementation: .fused),
        "pagedadamw": Meaning(optimizer: .pagedAdamw, implementation: .fused),
        "pagedadamw32bit": Meaning(optimizer: .pagedAdamw, implementation: .fused),
        "pagedadamw8bit": Meaning(optimizer: .pagedAdamw8bit, implementation: .fused),
        "adam32bit": Meaning(optimizer: .adam, implementation: .fused),
        "adamw32bit": Meaning(optimizer: .adamw, implementation: .fused),
        "lion32bit": Meaning(optimizer: .lion, implementation: .fused),
        // spellings seen in published runs
        "paged-adamw-32bit": Meaning(optimizer: .pagedAdamw, implementation: .fused),
        "adamw-32bit": Meaning(optimizer: .adamw, implementation: nil),
        "momentum": Meaning(optimizer: .sgdMomentum, implementation: nil),
        "sgd_momentum": Meaning(optimizer: .sgdMomentum, implementation: nil),
        "adam_8bit": Meaning(optimizer: .adam8bit, implementation: .fused),
    ]

    /// Every name `meaning(of:)` accepts: ours, then the aliases, sorted.
    public static var allNames: [String] { OptimizerKind.allCases.map(\.rawValue) + aliases.keys.sorted() }

    /// The optimizer a typed name stands for (case-insensitive; `torch.optim.` / `bnb.optim.` prefixes dropped), or
    /// `nil` when it names none.
    public static func meaning(of text: String) -> Meaning? {
        var name = text.trimmingSpaces().lowercased()
        for prefix in ["torch.optim.", "bnb.optim.", "bitsandbytes.optim."] where name.hasPrefix(prefix) {
            name.removeFirst(prefix.count)
        }
        if let kind = OptimizerKind(rawValue: name) { return Meaning(optimizer: kind, implementation: nil) }
        return aliases[name]
    }

    /// `meaning(of:)`, or an error naming the closest known names.
    public static func parse(_ text: String) throws(CoreError) -> Meaning {
        if let meaning = meaning(of: text) { return meaning }
        let hint = NameSuggestion.didYouMean(text.lowercased(), among: allNames).map { $0 + " " } ?? ""
        throw .invalidValue(
            what: "optimizer", value: text,
            fix: "\(hint)use one of \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")), or a Hugging Face "
                + "optim value (adamw_torch_fused, paged_adamw_8bit, …) or a bitsandbytes class name (Adam8bit, PagedAdamW)")
    }
}
