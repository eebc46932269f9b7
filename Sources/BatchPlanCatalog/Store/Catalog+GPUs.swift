import BatchPlanCore
import GRDB

extension Catalog {
    /// Every GPU, in the catalog's order (vendor, then memory, then name).
    public func gpus() throws(CatalogError) -> [GPU] {
        try read("listing GPUs") { db in try Self.fetchGPUs(db) }
    }

    /// The cards of one vendor and architecture, in the catalog's order.
    public func gpus(vendor: GPU.Vendor, architecture: String) throws(CatalogError) -> [GPU] {
        try read("listing GPUs") { db in
            try Self.fetchGPUs(db, where: .vendorAndArchitecture, arguments: [vendor.rawValue, architecture])
        }
    }

    /// Which rows `fetchGPUs` reads: every card, one by id, or one vendor's architecture (fixed SQL, values bound).
    enum GPUFilter: String {
        case all = ""
        case id = "WHERE id = ?"
        case vendorAndArchitecture = "WHERE vendor = ? AND architecture = ?"
    }

    /// Cards with their aliases, in the catalog's order. Plain SQL rather than the query interface, whose request
    /// building was most of reading one card (every command that names a card pays it).
    static func fetchGPUs(_ db: Database, where filter: GPUFilter = .all, arguments: StatementArguments = []) throws -> [GPU] {
        let records = try GPURecord.fetchAll(
            db, sql: "SELECT * FROM gpu \(filter.rawValue) ORDER BY vendor, memory_bytes, name", arguments: arguments)
        let aliases = filter == .all
            ? try Row.fetchAll(db, sql: "SELECT alias_key, gpu_id FROM gpu_alias")
            : try Row.fetchAll(
                db, sql: "SELECT alias_key, gpu_id FROM gpu_alias WHERE gpu_id IN (SELECT id FROM gpu \(filter.rawValue))",
                arguments: arguments)
        var byGPU: [Int64: [String]] = [:]
        for row in aliases { byGPU[row[1], default: []].append(row[0]) }
        return records.map { $0.gpu(aliases: (byGPU[$0.id ?? -1] ?? []).sorted()) }
    }

    /// Resolves a name a user typed ("3090", "rtx3090", "GeForce RTX 3090") to one GPU.
    ///
    /// - Throws: `unknownGPU` with suggestions, or `ambiguousGPU` listing the candidates.
    public func gpu(named name: String) throws(CatalogError) -> GPU {
        try read("looking up a GPU") { db in try Self.resolveGPU(name, db) }
    }

    static func resolveGPU(_ name: String, _ db: Database) throws -> GPU {
        var directory: GPUDirectory?
        return try resolveGPU(name, db, directory: &directory)
    }

    /// Every GPU with the name keys a partial match looks through, read once for resolving many names.
    struct GPUDirectory {
        var gpus: [GPU]
        var keys: [Set<String>]

        init(_ db: Database) throws {
            gpus = try fetchGPUs(db)
            keys = gpus.map { GPUNames.keys(name: $0.name, aliases: $0.aliases) }
        }
    }

    /// `resolveGPU(_:_:)`, reading every GPU for a partial match only once into `directory`.
    ///
    /// - Parameter suggest: whether an unknown name's error lists suggestions (a caller that drops the error skips
    ///   measuring the distance to every card).
    static func resolveGPU(
        _ name: String, _ db: Database, directory: inout GPUDirectory?, suggest: Bool = true
    ) throws -> GPU {
        let keys = [GPUNames.key(name), GPUNames.shortKey(name)].filter { !$0.isEmpty }
        guard !keys.isEmpty else { throw CatalogError.unknownGPU(name: name, suggestions: []) }
        for key in keys {
            if let id = try Int64.fetchOne(db, sql: "SELECT gpu_id FROM gpu_alias WHERE alias_key = ?", arguments: [key]) {
                return try fetchGPUs(db, where: .id, arguments: [id])[0]
            }
        }
        // A unique partial match ("a100 80" → "A100 80GB SXM" only if one card matches) resolves; several are listed.
        let all = try directory ?? GPUDirectory(db)
        directory = all
        let candidates = zip(all.gpus, all.keys).filter { gpu, gpuKeys in
            gpuKeys.contains { key in keys.contains { key.contains($0) } } || gpu.aliases.contains { keys.contains($0) }
        }.map(\.0)
        if candidates.count == 1 { return candidates[0] }
        if candidates.count > 1 { throw CatalogError.ambiguousGPU(name: name, candidates: candidates.map(\.name)) }
        guard suggest else { throw CatalogError.unknownGPU(name: name, suggestions: []) }
        let ranked = all.gpus.map { ($0.name, GPUNames.distance(GPUNames.shortKey($0.name), keys.last!)) }
            .filter { $0.1 <= max(2, keys.last!.count / 3) }.sorted { $0.1 < $1.1 }.map(\.0)
        throw CatalogError.unknownGPU(name: name, suggestions: Array(ranked.prefix(3)))
    }

    /// Adds a user's own card (a cloud variant, a card the seed lacks).
    @discardableResult
    public func addGPU(_ gpu: GPU) throws(CatalogError) -> GPU {
        var gpu = gpu
        gpu.origin = .user
        let added = gpu
        try write("adding a GPU") { db in
            if try GPURecord.filter(sql: "name = ? COLLATE NOCASE", arguments: [added.name]).fetchCount(db) > 0 {
                throw CatalogError.duplicate(what: "GPU", name: added.name, fix: "choose another name, or remove yours first with batchplan gpus remove")
            }
            var record = GPURecord(added)
            try record.insert(db)
            try Self.insertAliases(for: record.id!, keys: GPUNames.keys(name: added.name, aliases: added.aliases), db)
        }
        return added
    }

    /// Removes a GPU the user added; built-in rows cannot be removed.
    public func removeGPU(named name: String) throws(CatalogError) {
        try write("removing a GPU") { db in
            let gpu = try Self.resolveGPU(name, db)
            guard gpu.origin == .user else { throw CatalogError.notUserRow(what: "GPU", name: gpu.name) }
            try db.execute(sql: "DELETE FROM gpu WHERE name = ? COLLATE NOCASE", arguments: [gpu.name])
        }
    }

    /// Inserts alias keys that no other GPU claims.
    static func insertAliases(for id: Int64, keys: Set<String>, _ db: Database) throws {
        for key in keys.sorted() {
            try db.execute(sql: "INSERT OR IGNORE INTO gpu_alias (alias_key, gpu_id) VALUES (?, ?)", arguments: [key, id])
        }
    }

    /// Replaces the built-in GPUs with the embedded seed; user rows (and their aliases) stay as they are.
    static func refreshBuiltinGPUs(_ db: Database) throws {
        guard let text = EmbeddedData.text(GPUSeed.path) else { return }
        let seed = try GPUSeed.load(text)
        let userNames = Set(try String.fetchAll(db, sql: "SELECT lower(name) FROM gpu WHERE origin = 'user'"))
        let seedNames = Set(seed.map { $0.name.lowercased() })
        try db.execute(sql: "DELETE FROM gpu_alias WHERE gpu_id IN (SELECT id FROM gpu WHERE origin = 'builtin')")
        for name in try String.fetchAll(db, sql: "SELECT name FROM gpu WHERE origin = 'builtin'")
        where !seedNames.contains(name.lowercased()) {
            try db.execute(sql: "DELETE FROM gpu WHERE name = ?", arguments: [name])
        }
        // An alias shared by two built-in cards would resolve arbitrarily: such keys are left out, so the name lists
        // the candidates instead.
        var claims: [String: Int] = [:]
        for gpu in seed { for key in GPUNames.keys(name: gpu.name, aliases: gpu.aliases) { claims[key, default: 0] += 1 } }
        for gpu in seed where !userNames.contains(gpu.name.lowercased()) {
            var record = GPURecord(gpu)
            if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM gpu WHERE name = ? COLLATE NOCASE", arguments: [gpu.name]) {
                record.id = existing
                try record.update(db)
            } else {
                try record.insert(db)
            }
            let keys = GPUNames.keys(name: gpu.name, aliases: gpu.aliases).filter { claims[$0] == 1 }
            try insertAliases(for: record.id!, keys: keys, db)
        }
    }
}
