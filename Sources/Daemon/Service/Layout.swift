import CSystem
import Engine
import Foundation

/// What the configured folders must be for jobs to be claimed and filed safely, checked at
/// start so that a layout that cannot work is refused with the paths named, instead of jobs
/// failing one by one. Inboxes, outboxes and the state may be on different filesystems (see
/// `Claims`), but each must allow atomic no-replace renames, and none may hold another.
enum Layout {
    struct Refused: Error, CustomStringConvertible {
        var reason: String
        var description: String { "this layout of folders cannot work: \(reason)" }
    }

    static func check(_ config: Config) throws {
        let state = config.state.standardizedFileURL.path
        for inbox in config.inboxes {
            let path = inbox.path.standardizedFileURL.path, outbox = inbox.outbox.standardizedFileURL.path
            for (name, other) in [("its outbox", outbox), ("the state folder", state)] {
                if inside(other, path) || inside(path, other) {
                    throw Refused(reason: "the inbox \(path) and \(name) \(other) must not be the same folder or hold one another")
                }
            }
            for other in config.inboxes where other != inbox {
                let otherPath = other.path.standardizedFileURL.path
                if inside(outbox, otherPath) || inside(otherPath, outbox) {
                    throw Refused(reason: "the outbox \(outbox) and the inbox \(otherPath) must not be the same folder or hold one another")
                }
            }
        }
        for folder in [config.processing] + config.inboxes.flatMap({ [$0.path, $0.outbox] }) { try probeRename(in: folder) }
    }

    /// Whether `path` is `folder` or inside it.
    private static func inside(_ path: String, _ folder: String) -> Bool {
        path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
    }

    /// Claims and filings rely on renameat2(RENAME_NOREPLACE), which some network
    /// filesystems lack (EINVAL): try one in `folder`.
    private static func probeRename(in folder: URL) throws {
        let probe = folder.appendingPathComponent(".styled-probe-\(getpid())").path
        rmdir(probe)
        rmdir(probe + "-renamed")
        guard mkdir(probe, 0o700) == 0 else { throw FileError.system(folder.path, "cannot create a folder here") }
        defer { rmdir(probe); rmdir(probe + "-renamed") }
        guard styled_rename_noreplace(probe, probe + "-renamed") == 0 else {
            throw Refused(reason: "the filesystem of \(folder.path) does not support atomic no-replace renames (renameat2 RENAME_NOREPLACE: \(String(cString: strerror(errno))))")
        }
    }
}
