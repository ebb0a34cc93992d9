import CSystem
import Engine
import Foundation

/// Renames, names and free space: the system calls the daemon's job folders go through.
/// A move is a rename (never a copy and a delete, never over something already there);
/// `relocate` (Relocate.swift) is the one move that may cross filesystems.
enum FileSystem {
    /// Renames `from` to `to`, failing (EEXIST) if `to` exists. Atomic: two daemons claiming
    /// the same job cannot both succeed.
    static func move(_ from: URL, to: URL) throws {
        guard styled_rename_noreplace(from.path, to.path) == 0 else { throw FileError.system(from.path, "cannot move to \(to.path)") }
    }

    /// Moves `from` into `folder` under `name`, or `name-2`, `name-3`, … if taken. Returns where it went.
    static func moveUnique(_ from: URL, into folder: URL, name: String) throws -> URL {
        for attempt in 1...10_000 {
            let target = folder.appendingPathComponent(numbered(name, attempt))
            if styled_rename_noreplace(from.path, target.path) == 0 { return target }
            guard errno == EEXIST || errno == ENOTEMPTY else { throw FileError.system(from.path, "cannot move to \(target.path)") }
        }
        throw FileError(path: from.path, reason: "no free name for \(name) in \(folder.path)")
    }

    /// The first of `name`, `name-2`, … that nothing in `folder` is called yet.
    static func freeName(in folder: URL, name: String, taken: (URL) -> Bool = exists) -> URL {
        var attempt = 1
        while taken(folder.appendingPathComponent(numbered(name, attempt))) { attempt += 1 }
        return folder.appendingPathComponent(numbered(name, attempt))
    }

    /// The most bytes a file name may have (Linux's NAME_MAX).
    static let nameMax = 255

    /// `name` for the first attempt, then `name-N`, its base cut (at a character boundary) so
    /// that the whole still fits in a file name.
    static func numbered(_ name: String, _ attempt: Int) -> String {
        guard attempt > 1 else { return name }
        let suffix = "-\(attempt)"
        var base = Substring(name)
        while base.utf8.count + suffix.utf8.count > nameMax { base = base.dropLast() }
        return base + suffix
    }

    /// Bytes available to this user on the filesystem holding `url`.
    static func freeBytes(at url: URL) -> Int? {
        var info = statvfs()
        guard statvfs(url.path, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// The whole size of the filesystem holding `url`: a job that needs more can never fit.
    static func totalBytes(at url: URL) -> Int? {
        var info = statvfs()
        guard statvfs(url.path, &info) == 0 else { return nil }
        return Int(info.f_blocks) * Int(info.f_frsize)
    }

    /// Which filesystem holds `url` (its device number).
    static func device(of url: URL) -> UInt? {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return nil }
        return UInt(info.st_dev)
    }

    /// Whether an error is a full disk (ENOSPC or EDQUOT), which pauses work rather than failing a job.
    static func isOutOfSpace(_ error: Error) -> Bool { (error as? FileError)?.isOutOfSpace ?? false }

    static func isDirectory(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func exists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }
}
