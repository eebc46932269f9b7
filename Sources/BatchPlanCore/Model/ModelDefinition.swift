/// How a model is defined in the catalog; each kind has one accountant that turns the payload into a
/// `ModelAccounting`.
public enum ModelDefinitionKind: String, CaseIterable, Codable, Sendable {
    /// A built-in architecture builder (torchvision CNNs, ViTs); the payload names the builder.
    case builder
    /// A Hugging Face `config.json`; the payload is its text.
    case huggingFace = "hf-config"
    /// Raw counts: parameters, forward activation values per sample, input shape (JSON payload).
    case rawCounts = "raw"
    /// A user's layer-spec JSON file.
    case layerSpec = "spec"
    /// A profile written by `tools/profile_torch.py`.
    case torchProfile = "profile"
}

/// Options that change a model's accounting: input size, task head, attention implementation.
public struct AccountingOptions: Hashable, Sendable {
    /// Input size; `nil` uses the model's default (224×224 for ImageNet CNNs, 512 tokens or the model's limit).
    public var input: InputSize?
    /// Task head and loss; `nil` uses the family default.
    public var task: TrainingTask?
    public var attention: AttentionImplementation

    public init(input: InputSize? = nil, task: TrainingTask? = nil, attention: AttentionImplementation = .sdpa) {
        self.input = input
        self.task = task
        self.attention = attention
    }
}

/// Turns one kind of model definition into its accounting.
public protocol ModelAccountant: Sendable {
    /// Accounts `definition` (whose `kind` is this accountant's) under `options`.
    func account(_ definition: ModelDefinition, options: AccountingOptions) throws(CoreError) -> ModelAccounting
    /// The family a definition of this kind belongs to, read from its payload without a full accounting.
    func family(of definition: ModelDefinition) throws(CoreError) -> ModelFamily
}

/// A model as the catalog stores it.
public struct ModelDefinition: Hashable, Codable, Sendable {
    public var name: String
    public var kind: ModelDefinitionKind
    /// Builder name for `.builder`; JSON text for the other kinds.
    public var payload: String
    /// Where the definition comes from (a URL for built-ins, a file path for imports).
    public var source: String
    public var origin: RowOrigin

    public init(name: String, kind: ModelDefinitionKind, payload: String, source: String, origin: RowOrigin) {
        self.name = name
        self.kind = kind
        self.payload = payload
        self.source = source
        self.origin = origin
    }

    /// The one place that maps a definition kind to the code that accounts it.
    static func accountant(for kind: ModelDefinitionKind) -> any ModelAccountant {
        switch kind {
        case .rawCounts: RawCountsAccountant()
        case .builder: VisionBuilderAccountant()
        case .layerSpec: LayerSpecAccountant()
        case .torchProfile: TorchProfileAccountant()
        case .huggingFace: HuggingFaceAccountant()
        }
    }

    /// Accounts the model at the given options.
    public func account(_ options: AccountingOptions = AccountingOptions()) throws(CoreError) -> ModelAccounting {
        try Self.accountant(for: kind).account(self, options: options)
    }

    /// The model's family, as `models list --family` filters it.
    public func family() throws(CoreError) -> ModelFamily {
        try Self.accountant(for: kind).family(of: self)
    }
}

extension ModelDefinition {
    /// Accounts several definitions, each at its own options, on every core; results in the order given.
    ///
    /// The same values as accounting them one by one (each accounting is a pure function of its definition and
    /// options); `fit` over the whole catalog accounts dozens of models before it plans any.
    public static func account(each requests: [(definition: ModelDefinition, options: AccountingOptions)])
        -> [Result<ModelAccounting, CoreError>]
    {
        let requests = requests.map { Request(definition: $0.definition, options: $0.options) }
        return ParallelMap.map(requests.count) { index in
            Result { () throws(CoreError) in try requests[index].definition.account(requests[index].options) }
        }
    }

    /// Accounts several definitions on every core, taking an accounting from `cached` (its `compactEncoded()`
    /// bytes, one entry per request) where there is one that reads back, and working out the others.
    ///
    /// - Returns: each request's result, and whether it was worked out here (so that a cache can keep it).
    public static func account(
        each requests: [(definition: ModelDefinition, options: AccountingOptions)], cached: [[UInt8]?]
    ) -> [(result: Result<ModelAccounting, CoreError>, accounted: Bool)] {
        let requests = requests.map { Request(definition: $0.definition, options: $0.options) }
        return ParallelMap.map(requests.count) { index in
            if index < cached.count, let bytes = cached[index], let accounting = ModelAccounting(compact: bytes) {
                return (.success(accounting), false)
            }
            return (Result { () throws(CoreError) in try requests[index].definition.account(requests[index].options) }, true)
        }
    }

    private struct Request: Sendable {
        var definition: ModelDefinition
        var options: AccountingOptions
    }
}
