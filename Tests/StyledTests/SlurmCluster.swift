import Foundation
import Glibc
@testable import Daemon

/// A one-node Slurm cluster of a test's own: slurmctld and slurmd (Debian 12's Slurm 22.05)
/// run as this process's children with a configuration, state, spool and logs under a fresh
/// temporary folder, on ports of their own, so that two clusters of one test run do not meet.
/// There is no munge: `auth/none` and `cred/none` need no daemon, and nothing here leaves
/// the machine. A cluster that cannot come up throws, saying why, with the daemons' logs.
final class SlurmCluster {
    struct Failure: Error, CustomStringConvertible { var description: String }

    let root: URL
    /// The environment for Slurm's commands: SLURM_CONF names this cluster, and the caller's
    /// SLURM_* and SBATCH_* variables (set when the tests themselves run under Slurm, or by
    /// an operator) are left out so that they do not steer sbatch.
    let environment: [String: String]
    /// The node's CPUs, whatever the machine has (`config_overrides`), so that the tests
    /// know how many one-CPU jobs fit at once.
    let cpus: Int

    private let configuration: URL
    private let controllerProgram: String, nodeProgram: String
    private var controller: Child?, node: Child?

    init(cpus: Int = 2) throws {
        self.cpus = cpus
        controllerProgram = try Self.find("slurmctld", package: "slurmctld")
        nodeProgram = try Self.find("slurmd", package: "slurmd")
        _ = try Self.find("sbatch", package: "slurm-client")
        root = URL(fileURLWithPath: "/tmp/styled-slurm-\(UUID().uuidString.prefix(8))")  // short: slurmd's sockets live under it
        configuration = root.appendingPathComponent("slurm.conf")
        for folder in ["state", "spool", "log"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let ports = try Self.freePorts(2)
        try Self.configurationText(root: root.path, controllerPort: ports[0], nodePort: ports[1], cpus: cpus)
            .write(to: configuration, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLURM_") && !$0.key.hasPrefix("SBATCH_") }
        environment["SLURM_CONF"] = configuration.path
        self.environment = environment

        do {
            controller = try launch(controllerProgram, ["-D", "-f", configuration.path], log: "slurmctld")
            node = try launch(nodeProgram, ["-D", "-N", "localhost", "-f", configuration.path], log: "slurmd")
            try waitForNode(seconds: 30)
        } catch {
            stopDaemons()
            throw error
        }
    }

    /// Options that keep a job's files in the cluster's folder: without them, sbatch runs
    /// the job in its own working directory (the package's) and leaves slurm-N.out there.
    var jobOptions: SlurmSubmitOptions {
        var options = SlurmSubmitOptions()
        options.workingDirectory = root.path
        options.output = root.appendingPathComponent("log/job-%j.out").path
        return options
    }

    /// A client of this cluster whose commands give up after `timeout` seconds.
    func client(timeout: Double = 10) -> SlurmClient { SlurmClient(environment: environment, timeout: timeout) }

    /// Stops slurmctld (SIGTERM, as an operator would); slurmd and the jobs run on.
    func stopController() {
        controller?.stop()
        controller = nil
    }

    /// Starts slurmctld again, on the state it saved, and waits for the node to be back.
    func startController() throws {
        controller = try launch(controllerProgram, ["-D", "-f", configuration.path], log: "slurmctld")
        try waitForNode(seconds: 30)
    }

    /// Cancels every job and waits for them to end (stopping slurmd does not stop a running
    /// job's slurmstepd), then stops the daemons and removes the folder. The daemons are
    /// stopped even if the jobs would not end; the folder then stays for a look.
    func shutdown() throws {
        defer { stopDaemons() }
        if controller == nil { try startController() }
        try command(["scancel", "--user=\(ProcessInfo.processInfo.userName)"])
        var left = ""
        let ended = wait(seconds: 30) {
            left = (try? command(["squeue", "--noheader", "--format=%i %T"]).output) ?? "squeue failed"
            return left.isEmpty
        }
        guard ended else { throw Failure(description: "jobs still there 30 s after scancel:\n\(left)\(logTails())") }
        stopDaemons()
        try FileManager.default.removeItem(at: root)
    }

    /// Polls the job until `condition` holds, and returns it then; throws with what it last
    /// was if that does not happen within `seconds`.
    func waitForJob(_ id: SlurmJobID, seconds: Double = 30, until condition: (SlurmJobInfo) -> Bool) throws -> SlurmJobInfo {
        let client = client()
        var last: SlurmJobInfo?
        if wait(seconds: seconds, until: { last = try? client.jobInfo(id); return last.map(condition) ?? false }), let last { return last }
        let seen = last.map { "\($0.state) reason \($0.reason ?? "None") exit code \($0.exitCode)" } ?? "nothing"
        throw Failure(description: "job \(id) did not get there within \(seconds) s: last seen \(seen)\(logTails())")
    }

    /// Checks `condition` every 0.1 s until it holds (true) or `seconds` have passed (false).
    func wait(seconds: Double, until condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    /// A Slurm command's result, failing unless it exits 0.
    @discardableResult
    private func command(_ arguments: [String]) throws -> TimedCommand.Result {
        let result = try TimedCommand(arguments: arguments, environment: environment, timeout: 20).run()
        guard result.status == 0 else { throw Failure(description: "`\(arguments.joined(separator: " "))` failed: \(result.error)") }
        return result
    }

    /// Waits until sinfo shows the node ready for jobs: idle or busy, and not marked `*`
    /// (not responding, as it is for a few seconds after slurmctld restarts).
    private func waitForNode(seconds: Double) throws {
        var state = ""
        let ready = wait(seconds: seconds) {
            if [controller, node].contains(where: { $0?.isRunning == false }) { return true }  // it died: stop waiting
            state = (try? command(["sinfo", "--noheader", "--format=%T"]).output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? ""
            return ["idle", "mixed", "allocated"].contains(state)
        }
        if let died = [controller, node].compactMap({ $0 }).first(where: { !$0.isRunning }) {
            throw Failure(description: "\(died.name) exited (wait status \(died.waitStatus ?? 0))\(logTails())")
        }
        guard ready else { throw Failure(description: "the node is not ready after \(seconds) s (sinfo: \"\(state)\")\(logTails())") }
    }

    /// Starts a daemon with TimedCommand's spawn (not Foundation's Process, which mistakes
    /// Slurm's daemons for exited when they close the descriptors they inherit, and starts
    /// them with SIGTERM blocked, which slurmd then never unblocks).
    private func launch(_ program: String, _ arguments: [String], log name: String) throws -> Child {
        let log = root.appendingPathComponent("log/\(name).out").path
        let output = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw Failure(description: "cannot open \(log): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        let name = URL(fileURLWithPath: program).lastPathComponent
        do {
            return Child(name: name, pid: try spawnChild(program, [name] + arguments, environment: environment.map { "\($0.key)=\($0.value)" }, stdin: nil, stdout: output, stderr: output))
        } catch {
            throw Failure(description: "cannot start \(program): \(error)")
        }
    }

    private func stopDaemons() {
        node?.stop()
        controller?.stop()
        node = nil
        controller = nil
    }

    /// A daemon this cluster started, known by its PID.
    private final class Child {
        let name: String
        let pid: pid_t
        /// waitpid's status, once it has exited.
        private(set) var waitStatus: Int32?

        init(name: String, pid: pid_t) {
            self.name = name
            self.pid = pid
        }

        var isRunning: Bool {
            var status: Int32 = 0
            if waitStatus == nil && waitpid(pid, &status, WNOHANG) == pid { waitStatus = status }
            return waitStatus == nil
        }

        /// SIGTERM, then SIGKILL if it has not exited within 10 s.
        func stop() {
            guard isRunning else { return }
            kill(pid, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(10)
            while isRunning && ContinuousClock.now < deadline { usleep(20_000) }
            guard isRunning else { return }
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            waitStatus = status
        }
    }

    /// The last lines the daemons wrote, for a failure's message.
    private func logTails() -> String {
        ["slurmctld.out", "slurmctld.log", "slurmd.out", "slurmd.log"].map { name in
            let text = (try? String(contentsOf: root.appendingPathComponent("log/\(name)"), encoding: .utf8)) ?? "(none)"
            return "\n--- \(root.path)/log/\(name):\n" + text.split(separator: "\n").suffix(15).joined(separator: "\n")
        }.joined()
    }

    /// The daemon or command's path: on PATH, or in /usr/sbin (not on a non-root PATH).
    private static func find(_ name: String, package: String) throws -> String {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for folder in folders where access("\(folder)/\(name)", X_OK) == 0 { return "\(folder)/\(name)" }
        throw Failure(description: "\(name) is not installed: the Slurm tests need Debian's \(package) (scripts/install-deps installs it)")
    }

    /// `count` TCP ports free on this machine, below Linux's ephemeral range (32768 up) so
    /// that no outgoing connection takes one before the daemons bind it.
    private static func freePorts(_ count: Int) throws -> [UInt16] {
        var ports: [UInt16] = [], sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<200 where ports.count < count {
            let port = UInt16.random(in: 20000..<32000)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { break }
            sockets.append(fd)  // held until all are chosen, so that none is chosen twice
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0 { ports.append(port) }
        }
        guard ports.count == count else { throw Failure(description: "no \(count) free TCP ports for slurmctld and slurmd") }
        return ports
    }

    /// The smallest configuration that runs jobs here without systemd or cgroups: the
    /// template beside this file, which the Slurm benchmark shares.
    private static func configurationText(root: String, controllerPort: UInt16, nodePort: UInt16, cpus: Int) throws -> String {
        let template = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("slurm.conf.template"), encoding: .utf8)
        return [("@ROOT@", root), ("@CONTROLLER_PORT@", "\(controllerPort)"), ("@NODE_PORT@", "\(nodePort)"), ("@CPUS@", "\(cpus)"),
                ("@USER@", ProcessInfo.processInfo.userName)].reduce(template) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
    }
}
