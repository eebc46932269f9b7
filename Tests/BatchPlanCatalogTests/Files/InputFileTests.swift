import Foundation
import Testing

@testable import BatchPlanCatalog

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("Reading a file the user named")
struct InputFileTests {
    static func message(reading path: String) -> String? {
        do {
            _ = try InputFile.read(path)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("a directory, a missing file and a path through a file each say what is wrong with them")
    func reasons() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("input-file-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let file = folder + "/runs.jsonl"
        try Data("{}\n".utf8).write(to: URL(fileURLWithPath: file))
        #expect(try InputFile.read(file) == Data("{}\n".utf8))
        #expect(Self.message(reading: folder) == "cannot read \(folder): is a directory; give the path of a file in it")
        #expect(Self.message(reading: folder + "/none.jsonl")?.contains(": no such file;") == true)
        #expect(Self.message(reading: file + "/x")?.contains(": a part of the path is not a directory;") == true)
    }

    @Test("a file the user may not read says permission denied, not no such file")
    func permissionDenied() {
        #expect(InputFile.explanation(errno: EACCES, path: "f").reason == "permission denied")
        #expect(InputFile.failure("f", errno: EACCES).description.hasPrefix("cannot read f: permission denied; "))
    }

    @Test("an unreadable file on disk says permission denied (skipped as root, who reads everything)",
          .enabled(if: getuid() != 0))
    func permissionDeniedOnDisk() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("locked-\(UUID().uuidString).jsonl").path
        try Data("{}\n".utf8).write(to: URL(fileURLWithPath: file))
        chmod(file, 0)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(Self.message(reading: file)?.contains(": permission denied;") == true)
    }
}
