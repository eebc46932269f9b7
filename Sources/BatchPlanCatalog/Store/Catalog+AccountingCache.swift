import BatchPlanCore
import Foundation
import GRDB

extension Catalog {
    /// Accountings of several model definitions, each at its own options: read from the catalog's cache where it
    /// holds them, accounted on every core where it does not, and then stored for the next plan.
    ///
    /// The cache (`accounting_cache`, migration 0006) is keyed by the model, its options, a hash of its definition
    /// and a fingerprint of the accounting code (`AccountingCacheKey`), so no plan reads an accounting that its own
    /// code would not have produced. It is only a cache: a catalog it cannot be read from or written to (read-only,
    /// busy, damaged rows) plans the same, accounting everything afresh.
    public func accountings(
        _ requests: [(definition: ModelDefinition, options: AccountingOptions)]
    ) -> [Result<ModelAccounting, CoreError>] {
        let keys = requests.map { AccountingCacheKey(definition: $0.definition, options: $0.options) }
        let cached = (try? cachedAccountings(keys)) ?? Array(repeating: nil, count: keys.count)
        let results = ModelDefinition.account(each: requests, cached: cached)
        var fresh: [(AccountingCacheKey, ModelAccounting)] = []
        for (key, outcome) in zip(keys, results) where outcome.accounted {
            if case let .success(accounting) = outcome.result { fresh.append((key, accounting)) }
        }
        if !fresh.isEmpty { try? storeAccountings(fresh) }
        return results.map(\.result)
    }

    /// The cached compact accounting of each key, `nil` where there is none.
    func cachedAccountings(_ keys: [AccountingCacheKey]) throws(CatalogError) -> [[UInt8]?] {
        let optionKeys = Array(Set(keys.map(\.options)))
        let rows = try read("reading cached accountings") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT model, options_key, definition_hash, payload FROM accounting_cache
                    WHERE code_fingerprint = ? AND options_key IN (\(databaseQuestionMarks(count: optionKeys.count)))
                    """,
                arguments: StatementArguments([AccountingCacheKey.codeFingerprint] + optionKeys))
        }
        var payloads: [AccountingCacheKey: [UInt8]] = [:]
        for row in rows {
            let key = AccountingCacheKey(model: row[0], options: row[1], definition: row[2])
            let data: Data = row[3]
            payloads[key] = [UInt8](data)
        }
        return keys.map { payloads[$0] }
    }

    /// Stores accountings; drops rows written by other accounting code, and keeps the 8 latest option sets of a model.
    func storeAccountings(_ entries: [(AccountingCacheKey, ModelAccounting)]) throws(CatalogError) {
        let now = Self.timestamp()
        try write("caching accountings") { db in
            try db.execute(
                sql: "DELETE FROM accounting_cache WHERE code_fingerprint != ?", arguments: [AccountingCacheKey.codeFingerprint])
            for (key, accounting) in entries {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO accounting_cache
                            (model, options_key, definition_hash, code_fingerprint, payload, created_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [key.model, key.options, key.definition, AccountingCacheKey.codeFingerprint,
                                Data(accounting.compactEncoded()), now])
            }
            for model in Set(entries.map(\.0.model)) {
                try db.execute(
                    sql: """
                        DELETE FROM accounting_cache WHERE model = ? AND rowid NOT IN (
                            SELECT rowid FROM accounting_cache WHERE model = ? ORDER BY created_at DESC, rowid DESC LIMIT 8)
                        """,
                    arguments: [model, model])
            }
        }
    }
}

/// What a cached accounting depends on: the model, its accounting options, its definition and the code.
struct AccountingCacheKey: Hashable {
    var model: String
    /// The options as text, every field tagged (an image and a tensor of the same shape differ).
    var options: String
    /// FNV-1a 64 of the definition's kind and payload (the builder's name, or the config, spec or profile text).
    var definition: String

    init(model: String, options: String, definition: String) {
        self.model = model
        self.options = options
        self.definition = definition
    }

    init(definition: ModelDefinition, options: AccountingOptions) {
        model = definition.name
        let input: String
        switch options.input {
        case nil: input = "default"
        case let .image(channels, height, width)?: input = "image \(channels)x\(height)x\(width)"
        case let .sequence(length)?: input = "sequence \(length)"
        case let .tensor(dims)?: input = "tensor " + dims.map(String.init).joined(separator: "x")
        }
        self.options = "input \(input); task \(options.task?.rawValue ?? "default"); attention \(options.attention.rawValue)"
        var hash = FNV1a()
        hash.combine(definition.kind.rawValue)
        hash.combine(0)
        hash.combine(definition.payload)
        self.definition = hash.hex
    }

    /// Of the accounting code: FNV-1a 64 over BatchPlanCore's sources, worked out by the build plugin, so a build
    /// with any change to them never reads what another build cached.
    static let codeFingerprint = EmbeddedResources.coreFingerprint
}
