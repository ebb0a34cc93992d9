import CSystem
import Engine
import Foundation

extension FileSystem {
    /// Moves the folder `from` to `to` (which must not exist), on whichever filesystems they
    /// are. Within one filesystem it is one rename. Across filesystems (EXDEV) the tree is
    /// copied under a hidden name beside `to`, every file and folder synced, renamed to `to`
    /// and the parent synced; only then is `from` removed. So a crash at any moment leaves
    /// `from` whole, or `to` whole (and perhaps `from` too, which the caller's records must
    /// settle), never a half-copied `to`. Hand-written because Foundation's copy neither syncs
    /// nor refuses to follow links, and would block on a FIFO a user dropped.
    static func relocate(_ from: URL, to: URL) throws {
        if styled_rename_noreplace(from.path, to.path) == 0 { return }
        guard errno == EXDEV else { throw FileError.system(from.path, "cannot move to \(to.path)") }
        let staging = incoming(for: to)
        try? FileManager.default.removeItem(at: staging)  // a copy cut short by a crash
        do {
            try copyTree(from.path, to: staging.path)
            try move(staging, to: to)
            try syncFolder(to.deletingLastPathComponent().path)
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
        try FileManager.default.removeItem(at: from)
    }

    /// Where `relocate` builds a copy before renaming it to `target`.
    static func incoming(for target: URL) -> URL {
        target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).incoming")
    }

    /// Copies a tree without following symbolic links (a link is copied as a link), keeping
    /// modes and modification times; a FIFO is made anew rather than read; each file and
    /// folder is synced.
    static func copyTree(_ from: String, to: String) throws {
        var info = stat()
        guard lstat(from, &info) == 0 else { throw FileError.system(from, "cannot read") }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            guard mkdir(to, 0o700) == 0 else { throw FileError.system(to, "cannot create folder") }
            for name in try FileManager.default.contentsOfDirectory(atPath: from) {
                try copyTree(from + "/" + name, to: to + "/" + name)
            }
            try syncFolder(to)
        case S_IFREG:
            try copyFile(from, to: to, mode: info.st_mode & 0o7777)
        case S_IFLNK:
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: from)
            guard symlink(target, to) == 0 else { throw FileError.system(to, "cannot create link") }
            return
        case S_IFIFO:
            guard mkfifo(to, info.st_mode & 0o777) == 0 else { throw FileError.system(to, "cannot create FIFO") }
        default:
            throw FileError(path: from, reason: "cannot be copied to another filesystem: a device or socket")
        }
        // A file with several names may be someone else's, linked in: its copy (owned by the
        // daemon) is readable by no one else, as the job refuses to read it anyway.
        chmod(to, info.st_mode & (info.st_nlink > 1 && (info.st_mode & S_IFMT) == S_IFREG ? 0o700 : 0o7777))
        var times = [info.st_atim, info.st_mtim]
        utimensat(AT_FDCWD, to, &times, AT_SYMLINK_NOFOLLOW)
    }

    private static func copyFile(_ from: String, to: String, mode: mode_t) throws {
        let source = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard source >= 0 else { throw FileError.system(from, "cannot read") }
        defer { close(source) }
        let target = try OutputFile(path: to, truncate: true)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw FileError.system(from, "cannot read") }
            if count == 0 { break }
            try target.append(buffer[0..<count])
        }
        try target.sync()
        try target.close()
    }
}
