import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reading a file the user named (`runs import FILE`, `models import --spec FILE`), with the real reason when it
/// cannot be read.
///
/// `FileManager.contents(atPath:)` answers `nil` for every failure, so the commands used to say "no such file" for a
/// file they were not allowed to read, or for a directory. This asks the system instead: `stat(2)` and `open(2)`,
/// and names what their `errno` means.
public enum InputFile {
    /// The bytes of the file at `path`.
    ///
    /// - Throws: `CatalogError.invalidInput` "cannot read PATH: REASON; FIX", REASON being "no such file",
    ///   "permission denied", "is a directory", ….
    public static func read(_ path: String) throws(CatalogError) -> Data {
        var status = stat()
        guard stat(path, &status) == 0 else { throw failure(path, errno: errno) }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw failure(path, errno: EISDIR) }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw failure(path, errno: errno) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw failure(path, errno: (error as NSError).domain == NSPOSIXErrorDomain ? Int32((error as NSError).code) : EIO)
        }
    }

    /// The error for `path` failing with `code`, its reason in words and what to do about it.
    static func failure(_ path: String, errno code: Int32) -> CatalogError {
        let (reason, fix) = explanation(errno: code, path: path)
        return .invalidInput("cannot read \(path): \(reason); \(fix)")
    }

    /// What `code` means for a file the user named, and the fix.
    public static func explanation(errno code: Int32, path: String) -> (reason: String, fix: String) {
        switch code {
        case ENOENT: ("no such file", "check the path")
        case EACCES, EPERM: ("permission denied", "make it readable (chmod u+r \(path)) or run as its owner")
        case EISDIR: ("is a directory", "give the path of a file in it")
        case ENOTDIR: ("a part of the path is not a directory", "check the path")
        case ELOOP: ("too many symbolic links", "check the links along the path")
        case ENAMETOOLONG: ("the path is too long", "use a shorter path")
        default: (String(cString: strerror(code)).lowercased(), "check the file")
        }
    }
}
