import CSeccomp  // pipe2, which needs _GNU_SOURCE
import Foundation
import Glibc

/// One run of a Slurm command, ended by a timeout if it has not ended by itself: with the
/// controller down, sbatch hangs about 9 s and scontrol about 18 s before giving up, and a
/// controller that is up but stuck can hold them for ever.
///
/// posix_spawn and poll on the calling thread, not Foundation's Process: a child of Process
/// inherits the spawning thread's signal mask, and on Dispatch's threads (where the tests and
/// the daemon's loop run) that blocks SIGTERM; and Process's one manager thread takes a child
/// that closes its inherited descriptors (slurmctld and slurmd do) for exited and blocks in
/// waitpid on it, after which no other child's end is ever noticed.
struct TimedCommand {
    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    /// The program (looked up on the environment's PATH) and its arguments.
    var arguments: [String]
    var environment: [String: String]
    var timeout: Double

    /// The command line as errors show it.
    var text: String { arguments.joined(separator: " ") }

    /// Its exit status (128 + the signal if a signal ended it) and what it wrote; throws
    /// `SlurmError.timedOut` if it was still running at the timeout (it is then killed:
    /// SIGTERM, and SIGKILL a second later), or `.launchFailed`.
    func run() throws -> Result {
        let path = try executable()
        var output: [Int32] = [-1, -1], error: [Int32] = [-1, -1]
        defer { (output + error).filter { $0 >= 0 }.forEach { close($0) } }
        guard pipe2(&output, O_CLOEXEC) == 0, pipe2(&error, O_CLOEXEC) == 0 else {
            throw SlurmError.launchFailed(command: text, code: errno)
        }
        let pid: pid_t
        do {
            pid = try spawnChild(path, arguments, environment: environment.map { "\($0.key)=\($0.value)" }, stdin: nil, stdout: output[1], stderr: error[1])
        } catch let failure as POSIXError {
            throw SlurmError.launchFailed(command: text, code: failure.code.rawValue)
        }
        close(output[1]); close(error[1])  // the child's now: their closing is the end of its output
        output[1] = -1; error[1] = -1

        var written: [[UInt8]] = [[], []]
        var fds = [pollfd(fd: output[0], events: Int16(POLLIN), revents: 0), pollfd(fd: error[0], events: Int16(POLLIN), revents: 0)]
        let deadline = ContinuousClock.now + .seconds(timeout)
        var status: Int32 = 0, exited = false, timedOut = false
        var killAt: ContinuousClock.Instant?
        // Until it has exited and its output has ended, or, for output that a process of its
        // own keeps open, until the deadline.
        while !exited || (fds.contains { $0.fd >= 0 } && ContinuousClock.now < deadline) {
            let now = ContinuousClock.now
            if !exited && now >= deadline && !timedOut {
                timedOut = true
                kill(pid, SIGTERM)
                killAt = now + .seconds(1)
            }
            if let at = killAt, now >= at {
                kill(pid, SIGKILL)
                killAt = nil
            }
            if fds.contains(where: { $0.fd >= 0 }) {
                if poll(&fds, 2, 20) > 0 {
                    for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                        if !Self.read(fds[index].fd, into: &written[index]) { fds[index].fd = -1 }
                    }
                }
            } else {
                usleep(10_000)
            }
            if !exited && waitpid(pid, &status, WNOHANG) == pid { exited = true }
        }
        if timedOut { throw SlurmError.timedOut(command: text, seconds: timeout) }
        let signal = status & 0x7F
        return Result(status: signal != 0 ? 128 + signal : status >> 8 & 0xFF,
                      output: String(decoding: written[0], as: UTF8.self), error: String(decoding: written[1], as: UTF8.self))
    }

    /// Appends what `fd` has; false at its end.
    private static func read(_ fd: Int32, into bytes: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = Glibc.read(fd, &chunk, chunk.count)
        if count > 0 { bytes += chunk[..<count] }
        return count > 0 || (count < 0 && errno == EINTR)
    }

    /// The program's path: the first executable of its name on PATH, as a shell finds it.
    private func executable() throws -> String {
        let name = arguments[0]
        if name.contains("/") { return name }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw SlurmError.launchFailed(command: text, code: ENOENT)
    }
}
