extension ModelProfile {
    /// What profiles read from each layer's name and type, worked out once per model accounting and shared by every
    /// (checkpointing, mode) profile built from it.
    ///
    /// The string work (short module names, type matching) was most of what a profile cost: 78% of
    /// `fit --memory 12GB` (perf, release build) went to building 9 profiles per model, each redoing it.
    struct LayerTraits: Sendable {
        /// Whether each layer's weights feed a matmul (autocast casts them; `TypeKind.isMatmul`).
        let castable: [Bool]
        /// Whether each layer's FLOPs run on tensor cores: matmul layers and scaled-dot-product attention
        /// (flash/memory-efficient kernels are tensor-core GEMMs).
        let tensorCore: [Bool]
        /// Whether any layer is a convolution (convolution workspaces apply).
        let hasConvolution: Bool
        /// PEFT's default LoRA targets for this model, chosen among its linear layers' short names.
        let defaultLoRATargets: [String]
        /// Every layer's full module path, as phases are named.
        let names: [String]
        /// Each layer's numbers, without its strings: what the profile and step-work loops read.
        let facts: [LayerFacts]
        /// The distinct short names (`ModelProfile.shortName`) of the linear layers, the only ones adapters target.
        let linearShortNames: [String]
        /// For each layer, its short name's index in `linearShortNames`; -1 for a layer that is not linear.
        let linearShortNameIndex: [Int32]

        init(_ model: ModelAccounting) {
            let count = model.layers.count
            var names: [String] = [], facts: [LayerFacts] = [], castable: [Bool] = [], tensorCore: [Bool] = []
            var linearShortNameIndex: [Int32] = []
            names.reserveCapacity(count)
            facts.reserveCapacity(count)
            castable.reserveCapacity(count)
            tensorCore.reserveCapacity(count)
            linearShortNameIndex.reserveCapacity(count)
            var blocks: [String: Int] = [:]
            var lastBlock: (name: String, id: Int)?
            var kinds: [String: TypeKind] = [:]
            var shortNames: [String: Int32] = [:]
            var linearShortNames: [String] = []
            var hasConvolution = false
            model.layers.withUnsafeBufferPointer { layers in
                for layer in layers {
                    names.append(layer.name)
                    var block: Int?
                    if let name = layer.block {
                        // Consecutive layers mostly share a block: compare with the last before hashing.
                        if let last = lastBlock, last.name == name {
                            block = last.id
                        } else {
                            let id = blocks[name] ?? blocks.count
                            blocks[name] = id
                            lastBlock = (name, id)
                            block = id
                        }
                    }
                    facts.append(LayerFacts(
                        parameters: layer.parameters, outputElements: layer.outputElements, saved: layer.saved,
                        flops: layer.flops, block: block, role: layer.role, linearShape: layer.linearShape))
                    // A few type names repeat over every layer: match each one's strings once.
                    let kind = kinds[layer.type] ?? {
                        let kind = TypeKind(layer.type)
                        kinds[layer.type] = kind
                        return kind
                    }()
                    let matmul = kind.isMatmul(linear: layer.linearShape != nil, parameters: layer.parameters)
                    castable.append(matmul)
                    tensorCore.append(matmul || kind.isAttentionKernel)
                    hasConvolution = hasConvolution || kind.convolution
                    if layer.linearShape != nil {
                        let short = ModelProfile.shortName(layer.name)
                        let id = shortNames[short] ?? {
                            let id = Int32(linearShortNames.count)
                            shortNames[short] = id
                            linearShortNames.append(short)
                            return id
                        }()
                        linearShortNameIndex.append(id)
                    } else {
                        linearShortNameIndex.append(-1)
                    }
                }
            }
            self.names = names
            self.facts = facts
            self.castable = castable
            self.tensorCore = tensorCore
            self.hasConvolution = hasConvolution
            self.linearShortNames = linearShortNames
            self.linearShortNameIndex = linearShortNameIndex
            // Only linear layers can carry adapters, so only their names choose the defaults.
            defaultLoRATargets = LoRATargets.defaults(for: Set(linearShortNames))
        }

        /// Which layers LoRA adapts: linear layers whose short name is one of `targets`.
        func adapted(by targets: Set<String>) -> [Bool] {
            let chosen = linearShortNames.map(targets.contains)
            return linearShortNameIndex.map { $0 >= 0 && chosen[Int($0)] }
        }

        /// What a layer type name says, matched once per distinct type name: the one place these rules live.
        private struct TypeKind {
            let convolution: Bool
            let linear: Bool
            let rawCounts: Bool
            let attention: Bool
            /// Scaled-dot-product attention without weights ("ScaledDotProductAttention", "attention").
            let isAttentionKernel: Bool

            init(_ type: String) {
                convolution = TypeName.contains(type, "conv")
                linear = TypeName.contains(type, "linear")
                rawCounts = TypeName.equals(type, "rawcounts")
                attention = TypeName.contains(type, "attention")
                isAttentionKernel = TypeName.contains(type, "dotproductattention") || TypeName.equals(type, "attention")
            }

            /// Whether a layer's weights feed a matmul: linear, convolution, attention projections, and raw-count
            /// models, whose parameters are assumed to be matmul weights.
            func isMatmul(linear hasShape: Bool, parameters: Int) -> Bool {
                hasShape || convolution || linear || rawCounts || (attention && parameters > 0)
            }
        }
    }
}

/// One layer's numbers (`LayerAccount` less its name, type and shape): a plain value, so the loops that build
/// 9 profiles and 9 step works per model copy no strings or arrays, and `outputElements` is multiplied out once.
struct LayerFacts: Sendable {
    var parameters: Int
    var outputElements: Int
    var saved: SavedTensors
    var flops: Int
    /// The checkpointable block, numbered in order of first appearance within the model; `nil` outside blocks.
    var block: Int?
    var role: LayerRole
    var linearShape: LayerAccount.LinearShape?
}

/// Case-insensitive matching of layer type names ("Conv2d" contains "conv"), without Foundation.
///
/// Foundation's `String.contains(_:)` goes through `NSString.range(of:)`, which on Linux converts both strings to
/// UTF-16 every time: at one call per layer per profile it was a third of a fit. Type names are ASCII, so the check
/// compares ASCII bytes; any other name takes `lowercased()` and the standard library's `contains`, which give the
/// same answer for ASCII.
enum TypeName {
    /// Whether `type`, lowercased, contains `fragment` (lowercase ASCII).
    static func contains(_ type: String, _ fragment: StaticString) -> Bool {
        let needle = UnsafeBufferPointer(start: fragment.utf8Start, count: fragment.utf8CodeUnitCount)
        let ascii = type.utf8.withContiguousStorageIfAvailable { haystack -> Bool? in
            haystack.allSatisfy { $0 < 0x80 } ? matches(haystack, needle) : nil
        }
        return ascii.flatMap { $0 } ?? slowContains(type, String(decoding: needle, as: UTF8.self))
    }

    /// Whether `type` lowercased equals `name` (lowercase ASCII).
    static func equals(_ type: String, _ name: StaticString) -> Bool {
        type.lowercased() == String(decoding: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), as: UTF8.self)
    }

    private static func matches(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard needle.count <= haystack.count else { return false }
        if needle.isEmpty { return true }
        for start in 0...(haystack.count - needle.count) {
            var offset = 0
            while offset < needle.count, lower(haystack[start + offset]) == needle[offset] { offset += 1 }
            if offset == needle.count { return true }
        }
        return false
    }

    private static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    private static func slowContains(_ type: String, _ fragment: String) -> Bool {
        let lowered = Array(type.lowercased()), wanted = Array(fragment)
        guard wanted.count <= lowered.count else { return false }
        if wanted.isEmpty { return true }
        return (0...(lowered.count - wanted.count)).contains { Array(lowered[$0..<($0 + wanted.count)]) == wanted }
    }
}
