import Engine
import Foundation

/// What the deployment tests need beyond `Harness`: partial folders found by job, tmpfs
/// mounts for second filesystems, and daemons run under a terminal.
extension Harness {
    /// The job's partial folder in `outbox` (`.<job>.<state id>.partial`), or a path that does not exist.
    func partial(_ job: String, outbox: String = "outbox") -> URL {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url(outbox).path)) ?? []
        let name = names.first { $0.hasPrefix(".\(job).") && $0.hasSuffix(".partial") } ?? ".\(job).none.partial"
        return url(outbox).appendingPathComponent(name)
    }

    /// Mounts a tmpfs of `megabytes` at `path` (under the scratch folder); unmount with `unmount`.
    func mountTmpfs(_ path: String, megabytes: Int) throws -> URL {
        let point = url(path)
        try FileManager.default.createDirectory(at: point, withIntermediateDirectories: true)
        guard mount("tmpfs", point.path, "tmpfs", 0, "size=\(megabytes)m") == 0 else {
            throw FileError.system(point.path, "cannot mount a tmpfs")
        }
        return point
    }

    static func unmount(_ point: URL) { umount2(point.path, Int32(MNT_DETACH)) }

    /// A configuration with the given folders (relative to the scratch folder) and `extra` lines.
    @discardableResult
    func writeConfig(inbox: String, outbox: String, state: String, extra: String = "", limits: String = "min_free_mb = 0") throws -> String {
        try FileManager.default.createDirectory(at: url(inbox), withIntermediateDirectories: true)
        let text = """
            state = "\(state)"
            threads_per_job = 1
            rescan_seconds = 1
            \(extra)
            [[inbox]]
            path = "\(inbox)"
            outbox = "\(outbox)"
            [limits]
            \(limits)

            """
        let file = url("styled-\(UUID().uuidString.prefix(8)).toml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// Runs `styled ARGUMENTS` in a pseudo-terminal (util-linux's `script`), as a person at a
    /// terminal would; returns what the terminal showed.
    func runOnTerminal(_ arguments: [String]) throws -> Result {
        let command = ([Self.executable.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["--quiet", "--return", "--command", command, "/dev/null"]
        var environment = self.environment
        environment["INVOCATION_ID"] = nil  // as at a terminal, not under systemd
        process.environment = environment
        process.currentDirectoryURL = root
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self), error: "")
    }
}
