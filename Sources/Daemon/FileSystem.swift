import CSystem
import Engine
import Foundation

/// Moves within one filesystem, by rename only: never a copy and a delete, never over
/// something already there.
enum FileSystem {
    /// Renames `from` to `to`, failing (EEXIST) if `to` exists. Atomic: two daemons claiming
    /// the same job cannot both succeed.
    static func move(_ from: URL, to: URL) throws {
        guard styled_rename_noreplace(from.path, to.path) == 0 else {
            throw FileError(path: from.path, reason: "cannot move to \(to.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Moves `from` into `folder` under `name`, or `name-2`, `name-3`, … if taken. Returns where it went.
    static func moveUnique(_ from: URL, into folder: URL, name: String) throws -> URL {
        for attempt in 1...10_000 {
            let target = folder.appendingPathComponent(attempt == 1 ? name : "\(name)-\(attempt)")
            if styled_rename_noreplace(from.path, target.path) == 0 { return target }
            guard errno == EEXIST || errno == ENOTEMPTY else {
                throw FileError(path: from.path, reason: "cannot move to \(target.path): \(String(cString: strerror(errno)))")
            }
        }
        throw FileError(path: from.path, reason: "no free name for \(name) in \(folder.path)")
    }

    /// Bytes available to this user on the filesystem holding `url`.
    static func freeBytes(at url: URL) -> Int? {
        var info = statvfs()
        guard statvfs(url.path, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// Whether an error is a full disk (ENOSPC or EDQUOT), which pauses work rather than failing a job.
    static func isOutOfSpace(_ error: Error) -> Bool {
        let text = "\(error)"
        return text.contains(String(cString: strerror(ENOSPC))) || text.contains(String(cString: strerror(EDQUOT)))
    }

    static func isDirectory(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
