import Engine
import Foundation

/// One daemon per state folder: `state/daemon.lock`, locked (flock) for the life of the
/// process and holding its PID. A second daemon on the same state would take up the first
/// one's claimed jobs as interrupted and render them into the same folders; it is refused
/// instead. The kernel drops the lock when the process dies, however it dies, so a stale
/// file never blocks a start, and `styled status` can tell a live daemon from a dead one.
final class StateLock {
    let path: String
    private let descriptor: Int32

    /// A state folder locked by another process.
    struct Held: Error, CustomStringConvertible {
        var path: String
        var holder: Int32?
        var description: String {
            "another styled daemon" + (holder.map { " (pid \($0))" } ?? "") + " is using this state folder: \(path) is locked; stop it, or give this daemon a state folder of its own"
        }
    }

    init(state: URL) throws {
        path = state.appendingPathComponent("daemon.lock").path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError.system(path, "cannot open the lock file") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.pid(in: descriptor)
            close(descriptor)
            throw Held(path: path, holder: holder)
        }
        let pid = Array("\(getpid())\n".utf8)
        ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
    }

    deinit { close(descriptor) }

    /// Whether a daemon holds the lock on `state` now (a dead one holds nothing).
    static func isHeld(state: URL) -> Bool {
        let descriptor = open(state.appendingPathComponent("daemon.lock").path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        // A shared lock is granted only while no daemon holds the exclusive one.
        return flock(descriptor, LOCK_SH | LOCK_NB) != 0
    }

    private static func pid(in descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) : nil
    }
}
