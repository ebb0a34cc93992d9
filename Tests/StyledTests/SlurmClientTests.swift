import Foundation
import Testing
@testable import Daemon

/// SlurmClient against real Slurm: each test brings up a one-node cluster of its own
/// (SlurmCluster, about a second), so that one test's jobs never hold another's CPUs.
/// Without Slurm installed they fail, saying so.
struct SlurmClientTests {
    /// Runs `body` on a fresh cluster, which is shut down (its jobs cancelled, its daemons
    /// stopped) whatever happens.
    static func withCluster(_ body: (SlurmCluster, SlurmClient) throws -> Void) throws {
        let cluster = try SlurmCluster()
        do {
            try body(cluster, cluster.client())
        } catch {
            try? cluster.shutdown()
            throw error
        }
        try cluster.shutdown()
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double { (ContinuousClock.now - start) / .seconds(1) }

    @Test func aJobRunsToCompletionWithTheOptionsItWasGiven() throws {
        try Self.withCluster { cluster, client in
            let work = cluster.root.appendingPathComponent("work dir")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            var options = SlurmSubmitOptions()
            options.jobName = "styled-test"
            options.partition = "debug"
            options.account = "studio"
            options.cpusPerTask = 1
            options.memory = "100M"
            options.timeLimit = "5"
            options.workingDirectory = work.path
            options.output = work.path + "/slurm-%j.out"
            options.preLimitSignal = SlurmPreLimitSignal(seconds: 30)
            options.environment = ["STYLED_TEST_VALUE": "a, b=c"]
            // Arguments that a shell would split or expand reach the program as they are.
            let id = try client.submit(.command([
                "/bin/sh", "-c", #"printf '%s|' "$@" "$STYLED_TEST_VALUE" "$SLURM_CPUS_PER_TASK" > arguments.txt; sleep 1"#,
                "sh", "two words", "it's", "$HOME",
            ]), options: options)

            let ended = try cluster.waitForJob(id) { $0.state.isFinal }
            #expect(ended.state == .completed)
            #expect(ended.exitCode == SlurmExitCode(status: 0, signal: 0))
            #expect(ended.reason == nil)
            #expect(ended.nodeList == "localhost")
            let expected = ["JobName": "styled-test", "Partition": "debug", "Account": "studio", "CPUs/Task": "1",
                            "MinMemoryNode": "100M", "TimeLimit": "00:05:00", "WorkDir": work.path,
                            "StdOut": work.path + "/slurm-\(id).out"]
            for (key, value) in expected { #expect(ended.fields[key] == value, "\(key)") }
            let arguments = try String(contentsOf: work.appendingPathComponent("arguments.txt"), encoding: .utf8)
            #expect(arguments == "two words|it's|$HOME|a, b=c|1|")
            #expect(try client.jobInfo(SlurmJobID(4_000_000)) == nil, "a job Slurm does not know")
        }
    }

    @Test func aScriptThatExitsWithAStatusFailsWithIt() throws {
        try Self.withCluster { cluster, client in
            let script = cluster.root.appendingPathComponent("exit.sh")
            try "#!/bin/sh\nexit \"$1\"\n".write(to: script, atomically: true, encoding: .utf8)
            let id = try client.submit(.script(script.path, arguments: ["3"]), options: cluster.jobOptions)
            let ended = try cluster.waitForJob(id) { $0.state.isFinal }
            #expect(ended.state == .failed)
            #expect(ended.exitCode == SlurmExitCode(status: 3, signal: 0))
            #expect(ended.reason == "NonZeroExitCode")
        }
    }

    @Test func anUnknownPartitionIsRejectedWithSbatchsOwnMessage() throws {
        try Self.withCluster { _, client in
            var options = SlurmSubmitOptions()
            options.partition = "nowhere"
            let error = #expect(throws: SlurmError.self) { try client.submit(.command(["true"]), options: options) }
            guard case .rejected(let command, let status, let message) = error else {
                Issue.record("not a rejection: \(String(describing: error))")
                return
            }
            #expect(command.hasPrefix("sbatch --parsable"))
            #expect(status != 0)
            #expect(message.contains("Invalid partition name specified"), "\(message)")
            #expect(error?.isControllerDown == false)
        }
    }

    @Test func aCancelledJobEndsCancelled() throws {
        try Self.withCluster { cluster, client in
            let id = try client.submit(.command(["sleep", "60"]), options: cluster.jobOptions)
            _ = try cluster.waitForJob(id) { $0.state == .running }
            try client.cancel(id)
            let ended = try cluster.waitForJob(id) { $0.state.isFinal }
            #expect(ended.state == .cancelled)
            #expect(ended.exitCode.signal == SIGTERM)
        }
    }

    /// The pre-limit signal's path, sent on demand: the time limit is checked only about every
    /// 30 s and counts whole minutes, far too slow for a test.
    @Test func theBatchShellGetsTheSignalAndCanEndCleanly() throws {
        try Self.withCluster { cluster, client in
            var options = SlurmSubmitOptions()
            options.workingDirectory = cluster.root.path
            options.timeLimit = "10"
            options.preLimitSignal = SlurmPreLimitSignal(name: "USR1", seconds: 60)
            let id = try client.submit(.command([
                // No process in the background: one would outlive the shell, as proctrack/linuxproc
                // loses the processes whose parent has exited.
                "/bin/sh", "-c", "trap 'echo USR1 > trapped; exit 0' USR1; touch ready; while :; do sleep 0.1; done",
            ]), options: options)
            let ready = cluster.root.appendingPathComponent("ready")
            #expect(cluster.wait(seconds: 30) { FileManager.default.fileExists(atPath: ready.path) }, "the trap is never set")
            try client.signal(id, "USR1", batchShell: true)
            let ended = try cluster.waitForJob(id) { $0.state.isFinal }
            #expect(ended.state == .completed)
            #expect(ended.exitCode == SlurmExitCode(status: 0, signal: 0))
            #expect(FileManager.default.fileExists(atPath: cluster.root.appendingPathComponent("trapped").path))
            #expect(throws: SlurmError.self, "a job that has ended cannot be signalled") {
                try client.signal(id, "USR1", batchShell: true)
            }
        }
    }

    @Test func withTheControllerDownCommandsGiveUpInsteadOfHanging() throws {
        try Self.withCluster { cluster, client in
            #expect(try client.ping())
            cluster.stopController()

            let quick = cluster.client(timeout: 2)
            var start = ContinuousClock.now
            #expect(try quick.ping() == false)
            #expect(Self.seconds(since: start) < 2.5, "ping")

            start = ContinuousClock.now
            let submitError = #expect(throws: SlurmError.self) { try quick.submit(.command(["true"])) }
            #expect(submitError == .timedOut(command: "sbatch --parsable --export=ALL --wrap=exec 'true'", seconds: 2))
            #expect(Self.seconds(since: start) < 4.5, "sbatch: 2 s, then SIGTERM and at most 1 s to SIGKILL")
            let infoError = #expect(throws: SlurmError.self) { try quick.jobInfo(SlurmJobID(1)) }
            #expect(infoError?.isControllerDown == true)

            // With a timeout above sbatch's own, sbatch gives up first and says so.
            start = ContinuousClock.now
            let patientError = #expect(throws: SlurmError.self) { try cluster.client(timeout: 15).submit(.command(["true"])) }
            guard case .controllerUnreachable(_, let message) = patientError else {
                Issue.record("not an unreachable controller: \(String(describing: patientError))")
                return
            }
            #expect(message.contains("Unable to contact slurm controller"))
            #expect(Self.seconds(since: start) < 15)

            try cluster.startController()
            #expect(try client.ping())
            let id = try client.submit(.command(["true"]), options: cluster.jobOptions)
            #expect(try cluster.waitForJob(id) { $0.state.isFinal }.state == .completed)
        }
    }

    @Test func twoOneCPUJobsRunAtOnceAndAThirdWaitsForResources() throws {
        try Self.withCluster { cluster, client in
            #expect(cluster.cpus == 2)
            var options = cluster.jobOptions
            options.cpusPerTask = 1
            let ids = try (0..<3).map { _ in try client.submit(.command(["sleep", "60"]), options: options) }
            for id in ids.prefix(2) { _ = try cluster.waitForJob(id) { $0.state == .running } }
            let waiting = try cluster.waitForJob(ids[2]) { $0.reason == "Resources" }
            #expect(waiting.state == .pending)
            #expect(waiting.nodeList == nil)
            for id in ids.prefix(2) { #expect(try client.jobInfo(id)?.state == .running) }
        }
    }
}
