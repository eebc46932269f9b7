import BatchPlanCatalog
import Foundation

/// Writing a whole file or nothing: the text goes to a temporary file beside the target, which is then renamed into
/// place (rename(2) is atomic within one file system), so a failure never leaves half a file.
enum AtomicFile {
    static func write(_ text: String, to path: String) throws {
        let manager = FileManager.default
        let target = URL(fileURLWithPath: path)
        let folder = target.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CatalogError.invalidInput("cannot write \(path): the folder \(folder.path) does not exist; create it first")
        }
        if manager.fileExists(atPath: target.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CatalogError.invalidInput("cannot write \(path): it is a directory; give a file name such as \(path)/report.html")
        }
        let temporary = folder.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).partial")
        do {
            try Data(text.utf8).write(to: temporary)
        } catch {
            try? manager.removeItem(at: temporary)
            throw CatalogError.invalidInput("cannot write \(path): the folder \(folder.path) is not writable or the disk is full")
        }
        guard rename(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? manager.removeItem(at: temporary)
            throw CatalogError.invalidInput("cannot write \(path): \(reason)")
        }
    }
}
