import BatchPlanCore
import Foundation
import Testing

@testable import BatchPlanCatalog

@Suite("Run import and export")
struct RunImportTests {
    /// A catalog with one user model ("classic") that runs can refer to.
    static func catalogWithModel() throws -> Catalog {
        let catalog = try Catalog(path: temporaryCatalogPath())
        let payload = #"{"parameters": 19072984, "activationsPerSample": 532752, "input": [180, 50, 1], "classes": 10}"#
        try catalog.addModel(ModelDefinition(name: "classic", kind: .rawCounts, payload: payload, source: "test", origin: .user))
        return catalog
    }

    static let goodRows = """
        {"id": "a1", "kind": "mem_at_batch", "model": "classic", "gpu": "RTX 3090", "batch_size": 128, "precision": "fp32", "optimizer": "sgd-momentum", "peak_allocated_bytes": 1200000000, "peak_reserved_bytes": 1400000000, "device_used_bytes": 1900000000, "source": "lab"}
        {"id": "a2", "kind": "oom", "model": "classic", "gpu": "3090", "batch_size": 4096, "precision": "fp32", "optimizer": "adamw", "source": "lab"}
        {"id": "a3", "kind": "max_batch", "model": "classic", "gpu": "T4", "batch_size": 512, "bracket_next": 768, "precision": "fp16-amp", "optimizer": "sgd", "source": "lab", "notes": "comma, \\"quotes\\" and\\nnewline"}
        """

    static func parse(_ text: String, file: String = "runs.jsonl") throws -> RunFile.Parsed {
        try RunFile.parse(data: Data(text.utf8), file: file, now: "2026-11-26T00:00:00Z")
    }

    static func userRuns(_ catalog: Catalog) throws -> [MeasuredRun] {
        try catalog.runs().map(\.run).filter { $0.origin == .user }
    }

    @Test("a valid file imports every row, and importing it twice adds nothing")
    func importsOnce() throws {
        let catalog = try Self.catalogWithModel()
        let first = try catalog.importRuns(Self.parse(Self.goodRows), file: "runs.jsonl")
        #expect(first.added == 3 && first.duplicates == 0)
        let second = try catalog.importRuns(Self.parse(Self.goodRows), file: "runs.jsonl")
        #expect(second.added == 0 && second.duplicates == 3)
        #expect(try Self.userRuns(catalog).count == 3)
    }

    @Test("an import says which added runs calibration cannot use, and why")
    func unusableRunsAreNamed() throws {
        let catalog = try Self.catalogWithModel()
        let text = #"""
            {"id": "u1", "kind": "mem_at_batch", "model": "classic", "gpu": "RTX 3090", "batch_size": 4, "precision": "bf17", "optimizer": "sgd", "peak_allocated_bytes": 500000000, "source": "lab"}
            {"id": "u2", "kind": "mem_at_batch", "model": "classic", "gpu": "RTX 3090", "batch_size": 4, "precision": "fp32", "optimizer": "sgd", "peak_allocated_bytes": 500000000, "source": "lab"}
            """#
        let summary = try catalog.importRuns(Self.parse(text), file: "runs.jsonl")
        #expect(summary.added == 2)
        #expect(summary.unusable.count == 1)
        #expect(summary.unusable.first?.contains("bf17") == true, "\(summary.unusable)")
    }

    @Test("one bad row rejects the whole file, naming FILE:LINE, and stores nothing")
    func allOrNothing() throws {
        let catalog = try Self.catalogWithModel()
        let text = Self.goodRows + """

            {"id": "b1", "kind": "mem_at_batch", "model": "classic", "gpu": "RTX 3090", "batch_size": -4, "peak_allocated_bytes": 5000000, "source": "lab"}
            {"id": "b2", "kind": "mem_at_batch", "model": "no-such-model", "gpu": "RTX 3090", "batch_size": 4, "peak_allocated_bytes": 5000000, "source": "lab"}
            {"id": "b3", "kind": "mem_at_batch", "model": "classic", "gpu": "RTX 9999", "batch_size": 4, "peak_allocated_bytes": 5000000, "source": "lab"}
            {"id": "b4", "kind": "mem_at_batch", "model": "classic", "gpu": "T4", "batch_size": 4, "peak_reserved_bytes": 99000000000, "source": "lab"}
            {"id": "a1", "kind": "oom", "model": "classic", "gpu": "T4", "batch_size": 4, "source": "lab"}
            {"id": "b5", "kind": "mem_at_batch", "model": "classic", "gpu": "T4", "batch_s
            """
        let error = #expect(throws: CatalogError.self) { try catalog.importRuns(Self.parse(text), file: "runs.jsonl") }
        guard case let .rejectedRows(lines)? = error else {
            Issue.record("expected rejected rows, got \(String(describing: error))")
            return
        }
        #expect(lines.contains { $0.hasPrefix("runs.jsonl:4: batch_size must be a positive integer") })
        // An unknown model or card is not an error: such a run is stored and listed as unusable until it is added.
        #expect(!lines.contains { $0.hasPrefix("runs.jsonl:5:") || $0.hasPrefix("runs.jsonl:6:") })
        #expect(lines.contains { $0.hasPrefix("runs.jsonl:7:") && $0.contains("larger than the T4") })
        #expect(lines.contains { $0.hasPrefix("runs.jsonl:8: duplicate id") })
        #expect(lines.contains { $0.hasPrefix("runs.jsonl:9: not valid JSON") })
        #expect(try Self.userRuns(catalog).isEmpty)
    }

    @Test("--skip-invalid stores the valid rows and lists the rest")
    func skipInvalid() throws {
        let catalog = try Self.catalogWithModel()
        let text = Self.goodRows + "\n" + #"{"kind": "mem_at_batch", "model": "classic", "gpu": "T4", "batch_size": 0, "peak_allocated_bytes": 5}"#
        let summary = try catalog.importRuns(Self.parse(text), file: "runs.jsonl", skipInvalid: true)
        #expect(summary.added == 3 && summary.rejected.count == 1)
        #expect(summary.rejected[0].hasPrefix("runs.jsonl:4:"))
    }

    @Test("a dry run validates and reports but stores nothing")
    func dryRun() throws {
        let catalog = try Self.catalogWithModel()
        let summary = try catalog.importRuns(Self.parse(Self.goodRows), file: "runs.jsonl", dryRun: true)
        #expect(summary.added == 3)
        #expect(try Self.userRuns(catalog).isEmpty)
    }

    @Test("export then import round-trips every field, in CSV and in JSON Lines", arguments: RunFile.Format.allCases)
    func roundTrip(format: RunFile.Format) throws {
        let source = try Self.catalogWithModel()
        _ = try source.importRuns(Self.parse(Self.goodRows), file: "runs.jsonl")
        let exported = RunFile.export(try Self.userRuns(source), format: format)
        let target = try Self.catalogWithModel()
        let parsed = try RunFile.parse(data: Data(exported.utf8), file: "export", format: format, now: "later")
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        _ = try target.importRuns(parsed, file: "export")
        let before = try Self.userRuns(source).sorted { $0.key < $1.key }
        let after = try Self.userRuns(target).sorted { $0.key < $1.key }
        #expect(before == after)
        // Re-importing the export into the catalog it came from adds nothing.
        #expect(try source.importRuns(parsed, file: "export").added == 0)
    }

    @Test("files that are not UTF-8 are refused with the fix")
    func wrongEncoding() throws {
        let latin1 = Data([0x7B, 0x22, 0x6D, 0xE9, 0x22, 0x7D, 0xFF, 0xFE])
        #expect(throws: CatalogError.self) { _ = try RunFile.parse(data: latin1, file: "x.jsonl", now: "now") }
    }

    @Test("published rows with a value, a unit and value_bytes that disagree are mixed units")
    func mixedUnits() throws {
        let row = #"{"id": "m1", "kind": "mem_at_batch", "model": "classic", "gpu": "T4", "batch_size": 8, "counter": "max_allocated", "value": 9.5, "unit": "GB", "value_bytes": 9500000, "precision": "fp32", "optimizer": "sgd"}"#
        let parsed = try Self.parse(row)
        #expect(parsed.runs.isEmpty)
        #expect(parsed.errors.first?.message.contains("mixed units") == true)
    }

    @Test("the built-in published runs are all loaded, and unusable ones say why")
    func builtinRuns() throws {
        let catalog = try Catalog(path: ":memory:")
        let runs = try catalog.runsWithUsability()
        let builtin = runs.filter { $0.stored.run.origin == .builtin }
        #expect(builtin.count >= 180)
        for entry in builtin where entry.unusableReason == nil {
            #expect(entry.model != nil && entry.gpu != nil)
        }
        #expect(builtin.contains { $0.unusableReason?.contains("lamb") == true })
        #expect(builtin.contains { $0.unusableReason?.contains("not a training run") == true })
    }
}
