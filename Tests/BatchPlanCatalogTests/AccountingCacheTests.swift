import BatchPlanCore
import Foundation
import GRDB
import Testing

@testable import BatchPlanCatalog

@Suite("The accounting cache")
struct AccountingCacheTests {
    static func requests(_ catalog: Catalog, _ names: [String], _ options: AccountingOptions = AccountingOptions())
        throws -> [(definition: ModelDefinition, options: AccountingOptions)]
    {
        try names.map { (try catalog.model(named: $0).definition, options) }
    }

    static func rows(_ catalog: Catalog) throws -> Int {
        try catalog.read("counting") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM accounting_cache") ?? 0 }
    }

    @Test("the first plan stores each accounting and later ones get the same values back from the cache")
    func storesThenReads() throws {
        let catalog = try Catalog(path: ":memory:")
        let names = ["resnet50", "gpt2", "llama-3.2-1b", "vit_b_16"]
        let first = catalog.accountings(try Self.requests(catalog, names)).map { try? $0.get() }
        #expect(try Self.rows(catalog) == names.count)
        let direct = try Self.requests(catalog, names).map { try $0.definition.account($0.options) }
        #expect(first == direct)
        #expect(catalog.accountings(try Self.requests(catalog, names)).map { try? $0.get() } == direct)
        #expect(try Self.rows(catalog) == names.count)
        let report = try catalog.check()
        #expect(report.cachedAccountings == names.count && report.cachedAccountingsOfThisBuild == names.count)
        #expect(report.cachedAccountingBytes > 10_000)
    }

    @Test("a cached row is what a later plan uses: one planted under the right key comes back")
    func readsWhatIsCached() throws {
        let catalog = try Catalog(path: ":memory:")
        let request = try Self.requests(catalog, ["resnet18"])
        var planted = try request[0].definition.account(request[0].options)
        planted.notes.append("planted in the cache by a test")
        let key = AccountingCacheKey(definition: request[0].definition, options: request[0].options)
        try catalog.storeAccountings([(key, planted)])
        #expect(try catalog.accountings(request)[0].get() == planted)
    }

    @Test("rows of other accounting code or a damaged payload are never used, and are replaced")
    func refusesForeignRows() throws {
        let catalog = try Catalog(path: ":memory:")
        let request = try Self.requests(catalog, ["resnet18", "gpt2"])
        let direct = try request.map { try $0.definition.account($0.options) }
        var planted = direct[0]
        planted.notes.append("written by other code")
        let keys = request.map { AccountingCacheKey(definition: $0.definition, options: $0.options) }
        try catalog.write("planting") { db in
            try db.execute(
                sql: "INSERT INTO accounting_cache VALUES (?, ?, ?, 'another build', ?, '2026-01-01T00:00:00Z')",
                arguments: [keys[0].model, keys[0].options, keys[0].definition, Data(planted.compactEncoded())])
            try db.execute(
                sql: "INSERT INTO accounting_cache VALUES (?, ?, ?, ?, ?, '2026-01-01T00:00:00Z')",
                arguments: [keys[1].model, keys[1].options, keys[1].definition, AccountingCacheKey.codeFingerprint,
                            Data([1, 2, 3])])
        }
        #expect(catalog.accountings(request).map { try? $0.get() } == direct)
        let fingerprints = try catalog.read("reading") { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT code_fingerprint FROM accounting_cache")
        }
        #expect(fingerprints == [AccountingCacheKey.codeFingerprint])
        #expect(catalog.accountings(request).map { try? $0.get() } == direct)
    }

    @Test("each input size is its own entry, and a model keeps its 8 latest")
    func optionsAreKeys() throws {
        let catalog = try Catalog(path: ":memory:")
        let definition = try catalog.model(named: "gpt2").definition
        for length in [128, 256, 384, 512, 640, 768, 896, 1024, 64, 32] {
            let options = AccountingOptions(input: .sequence(length: length))
            let result = try catalog.accountings([(definition, options)])[0].get()
            #expect(result == (try definition.account(options)))
        }
        #expect(try Self.rows(catalog) == 8)
        let image = AccountingCacheKey(definition: definition, options: AccountingOptions(input: .image(channels: 3, height: 4, width: 5)))
        let tensor = AccountingCacheKey(definition: definition, options: AccountingOptions(input: .tensor([3, 4, 5])))
        #expect(image != tensor)
    }

    @Test("a model that cannot be accounted is reported and nothing is cached for it")
    func failuresAreNotCached() throws {
        let catalog = try Catalog(path: ":memory:")
        let definition = try catalog.model(named: "gpt2").definition
        let results = catalog.accountings([(definition, AccountingOptions(input: .sequence(length: 0)))])
        #expect(throws: CoreError.self) { try results[0].get() }
        #expect(try Self.rows(catalog) == 0)
    }
}
