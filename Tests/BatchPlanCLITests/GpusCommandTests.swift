import Foundation
import Testing

@Suite("batchplan gpus and db, end to end")
struct GpusCommandTests {
    @Test("--version prints the version without opening the catalog")
    func versionNeverOpensCatalog() throws {
        var runner = CLIRunner()
        runner.catalog = "/proc/definitely/not/writable/catalog.sqlite"
        let result = try runner.run(["--version"])
        #expect(result.status == 0)
        #expect(!result.stdout.isEmpty)
        #expect(result.stderr.isEmpty)
    }

    @Test("gpus add names an architecture no card has, and bf16 or fp8 claimed for a pre-Ampere card")
    func addWarnsOnTypos() throws {
        let runner = CLIRunner()
        let typo = try runner.run(["gpus", "add", "X1", "--memory", "12GB", "--architecture", "amperee"])
        #expect(typo.status == 0, "\(typo.stderr)")
        #expect(typo.stderr.contains("did you mean \"ampere\"?"), "\(typo.stderr)")
        let pascal = try runner.run(["gpus", "add", "X2", "--memory", "12GB", "--architecture", "pascal", "--bf16"])
        #expect(pascal.stderr.contains("pascal cards have no bf16"), "\(pascal.stderr)")
        let fine = try runner.run(["gpus", "add", "X3", "--memory", "12GB", "--architecture", "ampere", "--bf16"])
        #expect(!fine.stderr.contains("warning"), "\(fine.stderr)")
    }

    @Test("gpus list --format json carries schema_version and the documented keys")
    func listJSON() throws {
        let result = try CLIRunner().run(["gpus", "list", "--min-memory", "12GB", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.json()
        #expect(json["schema_version"] as? Int == 1)
        let gpus = try #require(json["gpus"] as? [[String: Any]])
        #expect(gpus.count >= 40)
        let keys = ["name", "vendor", "architecture", "memory_bytes", "marketed_memory", "marketed_memory_bytes",
                    "supports_bf16", "supports_fp8", "precisions", "source_url", "origin"]
        for gpu in gpus {
            for key in keys { #expect(gpu[key] != nil, "missing \(key)") }
            #expect((gpu["marketed_memory_bytes"] as? Int ?? 0) >= 12 << 30)
        }
        #expect(gpus.contains { $0["name"] as? String == "RTX 3060 12GB" }, "a 12 GB card counts as a 12 GB card")
    }

    @Test("a malformed size is a usage error: one line on stderr, exit 64, nothing on stdout",
          arguments: ["12XB", "-3GB", "1e400GB", ""])
    func malformedSize(size: String) throws {
        let result = try CLIRunner().run(["gpus", "list", "--min-memory", size])
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("12GB"))
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test("an unknown GPU fails with exit 1 and a suggestion")
    func unknownGPU() throws {
        let result = try CLIRunner().run(["gpus", "show", "rtx 3070ti super duper"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("unknown GPU"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test("aliases resolve on the command line", arguments: ["3090", "rtx3090", "GeForce RTX 3090"])
    func aliases(name: String) throws {
        let result = try CLIRunner().run(["gpus", "show", name, "--format", "json"])
        #expect(result.status == 0)
        let gpu = try #require(try result.json()["gpu"] as? [String: Any])
        #expect(gpu["name"] as? String == "RTX 3090")
    }

    @Test("a catalog path that is a directory, not SQLite, or unwritable fails with one clear line")
    func badCatalogPaths() throws {
        let folder = (CLIRunner.temporaryCatalog() as NSString).deletingLastPathComponent
        var runner = CLIRunner()
        runner.catalog = folder
        var result = try runner.run(["gpus", "list"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("is a directory"))

        let junk = folder + "/junk.sqlite"
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: junk))
        runner.catalog = junk
        result = try runner.run(["gpus", "list"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("not a batchplan catalog"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: junk)) == Data(repeating: 0x41, count: 4096))

        let locked = folder + "/ro"
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: locked)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: locked) }
        runner.catalog = locked + "/catalog.sqlite"
        result = try runner.run(["gpus", "list"])
        if getuid() != 0 {  // root ignores permission bits
            #expect(result.status == 1)
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test("two processes adding GPUs at once both succeed and the catalog stays sound")
    func concurrentWriters() throws {
        let runner = CLIRunner()
        _ = try runner.run(["db", "check"])
        let results = try (0..<2).map { index in
            let process = Process()
            process.executableURL = runner.executable
            process.arguments = ["gpus", "add", "Concurrent \(index)", "--memory", "20GB", "--architecture", "ada"]
            process.environment = ProcessInfo.processInfo.environment.merging(["BATCHPLAN_DB": runner.catalog]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }.map { process -> Int32 in
            process.waitUntilExit()
            return process.terminationStatus
        }
        #expect(results == [0, 0])
        let check = try runner.run(["db", "check", "--format", "json"])
        #expect(try check.json()["ok"] as? Bool == true)
        let list = try runner.run(["gpus", "list", "--format", "json"])
        let names = (try list.json()["gpus"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(names.contains("Concurrent 0") && names.contains("Concurrent 1"))
    }

    @Test("a copy of the binary in another folder works without the source tree")
    func binaryIsSelfContained() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("batchplan-copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let copy = folder.appendingPathComponent("batchplan")
        try FileManager.default.copyItem(at: CLIRunner.binary, to: copy)
        var runner = CLIRunner()
        runner.executable = copy
        let result = try runner.run(["db", "check", "--format", "json"], environment: ["PWD": folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try result.json()["ok"] as? Bool == true)
    }
}
