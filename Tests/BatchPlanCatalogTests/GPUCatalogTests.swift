import BatchPlanCore
import Foundation
import GRDB
import Testing

@testable import BatchPlanCatalog

@Suite("GPU catalog")
struct GPUCatalogTests {
    static let catalog = try! Catalog(path: ":memory:")

    @Test("the seed holds at least 60 accelerators, each with a source and a plausible size")
    func seedIsSound() throws {
        let gpus = try Self.catalog.gpus()
        #expect(gpus.count >= 60)
        for gpu in gpus {
            #expect(gpu.sourceURL.hasPrefix("https://"), "\(gpu.name) has no source URL")
            let ratio = Double(gpu.memoryBytes) / Double(gpu.marketedMemoryBytes)
            #expect(ratio > 0.88 && ratio < 1.1, "\(gpu.name): \(gpu.memoryBytes) bytes vs marketed \(gpu.marketedMemory)")
            #expect(gpu.memoryBytes >= 2 << 30 && gpu.memoryBytes <= 600 << 30, "\(gpu.name) size is implausible")
            #expect(gpu.origin == .builtin)
        }
    }

    @Test("the seed covers every segment the planner is asked about", arguments: [
        "GTX 1080 Ti", "Titan Xp", "RTX 2080 Ti", "RTX 3060", "RTX 3090", "RTX 4090", "RTX 5090", "RTX 6000 Ada",
        "K80", "P100", "T4", "A10G", "A100 80GB SXM", "A100 40GB PCIe", "L4", "L40S", "H100 SXM", "H100 NVL", "H200",
        "B200", "GH200", "MI300X", "MI325X", "RX 7900 XTX", "M2 Ultra",
    ])
    func coversCard(name: String) throws {
        #expect(throws: Never.self) { _ = try Self.catalog.gpu(named: name) }
    }

    @Test("aliases resolve to one row", arguments: ["3090", "rtx3090", "GeForce RTX 3090", "NVIDIA GeForce RTX 3090", "rtx 3090"])
    func aliasesResolve(alias: String) throws {
        #expect(try Self.catalog.gpu(named: alias).name == "RTX 3090")
    }

    @Test("an ambiguous name lists its candidates")
    func ambiguousNameListsCandidates() throws {
        let error = #expect(throws: CatalogError.self) { _ = try Self.catalog.gpu(named: "H100") }
        guard case let .ambiguousGPU(_, candidates)? = error else {
            Issue.record("expected an ambiguous-name error, got \(String(describing: error))")
            return
        }
        #expect(candidates.count >= 2)
        #expect(candidates.allSatisfy { $0.contains("H100") })
    }

    @Test("an unknown name suggests close ones")
    func unknownSuggests() throws {
        let error = #expect(throws: CatalogError.self) { _ = try Self.catalog.gpu(named: "RTX 3099") }
        guard case let .unknownGPU(_, suggestions)? = error else {
            Issue.record("expected an unknown-GPU error, got \(String(describing: error))")
            return
        }
        #expect(!suggestions.isEmpty)
    }

    @Test("Apple M-series rows are marked as unified memory")
    func appleIsUnified() throws {
        let apple = try Self.catalog.gpus().filter { $0.vendor == .apple }
        #expect(!apple.isEmpty)
        #expect(apple.allSatisfy { $0.unifiedMemory })
    }

    @Test("a newer seed refreshes built-in rows and keeps the user's rows")
    func upgradeKeepsUserRows() throws {
        let path = temporaryCatalogPath()
        let catalog = try Catalog(path: path)
        let mine = GPU(
            name: "My Cloud A10G", aliases: ["mya10g"], vendor: .nvidia, architecture: "ampere", segment: "other",
            memoryBytes: 23028 << 20, marketedMemory: "24 GB", marketedMemoryBytes: 24 << 30, supportsBF16: true,
            supportsFP8: false, sourceURL: "user", origin: .user)
        try catalog.addGPU(mine)
        // Pretend an older binary seeded this catalog with a wrong value.
        try catalog.queue.write { db in
            try db.execute(sql: "UPDATE gpu SET memory_bytes = 1 << 30 WHERE name = 'RTX 3090'")
            try db.execute(sql: "UPDATE catalog_meta SET value = 'old' WHERE key = 'seed_version'")
        }
        let reopened = try Catalog(path: path)
        #expect(try reopened.gpu(named: "RTX 3090").memoryBytes == 24576 << 20)
        let kept = try reopened.gpu(named: "mya10g")
        #expect(kept.name == "My Cloud A10G" && kept.origin == .user && kept.memoryBytes == 23028 << 20)
    }

    @Test("built-in GPUs cannot be removed; the user's can")
    func removeOnlyUserRows() throws {
        let catalog = try Catalog(path: ":memory:")
        #expect(throws: CatalogError.notUserRow(what: "GPU", name: "RTX 3090")) { try catalog.removeGPU(named: "3090") }
        let mine = GPU(
            name: "Lab Card", vendor: .nvidia, architecture: "ada", segment: "other", memoryBytes: 20 << 30,
            marketedMemory: "20 GB", marketedMemoryBytes: 20 << 30, supportsBF16: true, supportsFP8: true,
            sourceURL: "user", origin: .user)
        try catalog.addGPU(mine)
        #expect(throws: CatalogError.self) { try catalog.addGPU(mine) }
        try catalog.removeGPU(named: "lab card")
        #expect(throws: CatalogError.self) { _ = try catalog.gpu(named: "Lab Card") }
    }

    @Test("the location comes from the flag, then BATCHPLAN_DB, then XDG_DATA_HOME, then HOME")
    func locationOrder() throws {
        let env = ["BATCHPLAN_DB": "/e/c.sqlite", "XDG_DATA_HOME": "/x", "HOME": "/h"]
        #expect(try CatalogLocation.resolve(flag: "/f.sqlite", environment: env).path == "/f.sqlite")
        #expect(try CatalogLocation.resolve(flag: nil, environment: env).path == "/e/c.sqlite")
        #expect(try CatalogLocation.resolve(flag: nil, environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"]).path
            == "/x/batchplan/catalog.sqlite")
        #expect(try CatalogLocation.resolve(flag: nil, environment: ["HOME": "/h"]).path
            == "/h/.local/share/batchplan/catalog.sqlite")
    }
}
