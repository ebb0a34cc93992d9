import Engine
import Foundation
import Testing
@testable import Daemon

/// The daemon with `executor = "slurm"` against a real one-node Slurm cluster (SlurmCluster):
/// jobs are claimed here, rendered by `styled work` in Slurm jobs, and filed here.
@Suite(.serialized) struct SlurmDaemonTests {
    static let job = """
        content = "content.jpg"
        style = "style.jpg"
        size = 64
        iterations = 3
        frame_every = 0

        """

    /// A harness with a cluster, a configuration for it, and the daemon's environment.
    final class Setup {
        let harness: Harness
        let cluster: SlurmCluster
        let config: String

        /// A tmpfs under the work folder, when asked for: a filesystem of its own, as shared storage is.
        private var workMount: URL?

        init(widthDivisor: Int = 16, slurm extra: String = "", workOnItsOwnFilesystem: Bool = false) throws {
            harness = try Harness(widthDivisor: widthDivisor)
            if workOnItsOwnFilesystem { workMount = try harness.mountTmpfs("work", megabytes: 256) }
            cluster = try SlurmCluster()
            try FileManager.default.createDirectory(at: harness.url("inbox"), withIntermediateDirectories: true)
            config = harness.url("styled.toml").path
            try """
                state = "\(harness.url("state").path)"
                rescan_seconds = 1
                checkpoint_seconds = 1
                executor = "slurm"

                [[inbox]]
                path = "\(harness.url("inbox").path)"
                outbox = "\(harness.url("outbox").path)"

                [slurm]
                partition = "debug"
                cpus_per_task = 1
                max_in_flight = 4
                work = "\(harness.url("work").path)"
                poll_seconds = 0.3
                command_seconds = 10
                styled = "\(Harness.executable.path)"
                \(extra)
                """.write(toFile: config, atomically: true, encoding: .utf8)
        }

        deinit {
            try? cluster.shutdown()
            if let workMount { Harness.unmount(workMount) }
        }

        func startDaemon(_ arguments: [String] = []) throws -> Process {
            // Only the cluster's configuration: the rest (the small model) is the harness's.
            try harness.startDaemon(arguments, config: config, log: harness.url("daemon.log"),
                                    extraEnvironment: ["SLURM_CONF": cluster.environment["SLURM_CONF"] ?? ""])
        }

        func drain() throws {
            let daemon = try startDaemon(["--drain"])
            daemon.waitUntilExit()
            #expect(daemon.terminationStatus == 0, "\(log())")
        }

        func log() -> String { (try? String(contentsOf: harness.url("daemon.log"), encoding: .utf8)) ?? "" }

        /// status.json's running jobs.
        func running() -> [[String: Any]] {
            let status = (try? Data(contentsOf: harness.url("state/status.json"))).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            return status?["running"] as? [[String: Any]] ?? []
        }

        /// The Slurm jobs of the running jobs that are RUNNING with an iteration done.
        func slurmJobsRendering() -> [String] {
            running().compactMap { job in
                guard let slurm = job["slurm"] as? [String: Any], slurm["state"] as? String == "RUNNING",
                      (job["iteration"] as? Int ?? 0) > 0 else { return nil }
                return slurm["job"] as? String
            }
        }

        func slurmJobs(of name: String) -> [String] {
            let report = (try? Data(contentsOf: harness.url("outbox/\(name)/report.json"))).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            return report?["slurm_jobs"] as? [String] ?? []
        }
    }

    @Test func fourJobsRunTwoAtATimeEachRenderedOnce() throws {
        let setup = try Setup()
        for i in 1...4 { try setup.harness.drop("job\(i)", manifest: Self.job.replacingOccurrences(of: "iterations = 3", with: "iterations = 30")) }
        // Two CPUs, one each: Slurm runs two at a time while the others wait, as squeue shows.
        let daemon = try setup.startDaemon(["--drain"])
        var mostRunning = 0, mostPending = 0
        while daemon.isRunning {
            let states = try TimedCommand(arguments: ["squeue", "-h", "-o", "%T"], environment: setup.cluster.environment, timeout: 10).run().output
            mostRunning = max(mostRunning, states.components(separatedBy: "RUNNING").count - 1)
            mostPending = max(mostPending, states.components(separatedBy: "PENDING").count - 1)
            usleep(50_000)
        }
        #expect(daemon.terminationStatus == 0, "\(setup.log())")
        #expect(mostRunning == 2 && mostPending >= 1, "at most \(mostRunning) running and \(mostPending) pending at once")
        #expect(setup.harness.outboxJobs() == ["job1", "job2", "job3", "job4"], "\(setup.log())")
        var ids: Set<String> = []
        for i in 1...4 {
            #expect(JobInputTests.rendered(setup.harness.url("outbox/job\(i)")), "\(JobInputTests.error(setup.harness.url("outbox/job\(i)")) ?? [:])")
            let jobs = setup.slurmJobs(of: "job\(i)")
            #expect(jobs.count == 1, "job\(i): \(jobs)")
            ids.formUnion(jobs)
        }
        #expect(ids.count == 4)
        let accounting = try String(contentsOf: setup.cluster.root.appendingPathComponent("log/jobcomp.txt"), encoding: .utf8)
        #expect(accounting.components(separatedBy: "JobState=COMPLETED").count - 1 == 4, "\(accounting)")
    }

    @Test func aRestartedDaemonReattachesWithoutSubmittingAgain() throws {
        let setup = try Setup(widthDivisor: 2)
        let long = Self.job.replacingOccurrences(of: "iterations = 3", with: "iterations = 100")
        for name in ["a", "b"] { try setup.harness.drop(name, manifest: long) }
        let first = try setup.startDaemon()
        #expect(setup.harness.wait(seconds: 60) { setup.slurmJobsRendering().count == 2 }, "\(setup.log())")
        Harness.kill9(first)
        try setup.drain()
        #expect(setup.harness.outboxJobs() == ["a", "b"])
        for name in ["a", "b"] {
            #expect(JobInputTests.rendered(setup.harness.url("outbox/\(name)")), "\(name)")
            #expect(setup.slurmJobs(of: name).count == 1, "\(name): \(setup.slurmJobs(of: name))")
            let jobLog = (try? String(contentsOf: setup.harness.url("outbox/\(name)/job.log"), encoding: .utf8)) ?? ""
            #expect(jobLog.contains("watching Slurm job \(setup.slurmJobs(of: name).first ?? "?") again"), "\(jobLog)")
        }
    }

    @Test func aJobCancelledInSlurmIsFiledAsFailed() throws {
        let setup = try Setup(widthDivisor: 2)
        try setup.harness.drop("doomed", manifest: Self.job.replacingOccurrences(of: "iterations = 3", with: "iterations = 5000"))
        let daemon = try setup.startDaemon(["--drain"])
        #expect(setup.harness.wait(seconds: 60) { setup.slurmJobsRendering().count == 1 }, "\(setup.log())")
        let id = try #require(setup.slurmJobsRendering().first.flatMap { SlurmJobID(Substring($0)) })
        try setup.cluster.client().cancel(id)
        daemon.waitUntilExit()
        let error = JobInputTests.error(setup.harness.url("outbox/doomed"))
        #expect(error?["error"]?.contains("Slurm job \(id): cancelled by Slurm") == true, "\(error ?? [:])")
        #expect(error?["what"] == "render")
    }

    @Test func aRenderLongerThanItsTimeLimitRunsAsAChainAndEqualsALocalRender() throws {
        // The work folder on a filesystem of its own: the outputs are copied, not renamed, into the outbox.
        let setup = try Setup(widthDivisor: 2, slurm: "time_limit = \"5\"\nsignal_seconds = 60", workOnItsOwnFilesystem: true)
        let manifest = Self.job.replacingOccurrences(of: "iterations = 3", with: "iterations = 100")
        try setup.harness.drop("chain", manifest: manifest)
        let daemon = try setup.startDaemon(["--drain"])
        // The signal Slurm sends before the limit, sent now: the worker checkpoints and ends.
        #expect(setup.harness.wait(seconds: 60) { setup.running().contains { ($0["iteration"] as? Int ?? 0) >= 5 } }, "\(setup.log())")
        let id = try #require(setup.slurmJobsRendering().first.flatMap { SlurmJobID(Substring($0)) })
        try setup.cluster.client().signal(id, "USR1", batchShell: true)
        daemon.waitUntilExit()
        let filed = setup.harness.url("outbox/chain")
        #expect(JobInputTests.rendered(filed), "\(JobInputTests.error(filed) ?? [:])")
        let jobs = setup.slurmJobs(of: "chain")
        #expect(jobs.count == 2, "\(jobs)")
        // The second Slurm job went on from the first one's checkpoint, not from the start.
        let second = (try? String(contentsOf: filed.appendingPathComponent("slurm-\(jobs.last ?? "").log"), encoding: .utf8)) ?? ""
        let resumedAt = second.components(separatedBy: "resuming at iteration ").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        #expect(resumedAt >= 5, "\(second)")
        // The same job rendered here, unbroken.
        let local = setup.harness.url("local")
        try FileManager.default.copyItem(at: filed.appendingPathComponent("inputs"), to: local)
        let run = try setup.harness.run(["run", local.path, "--out", setup.harness.url("local-out").path, "--threads", "1"])
        #expect(run.status == 0, "\(run.error)")
        let chained = try ImageFile.read(filed.appendingPathComponent("result.png").path)
        let unbroken = try ImageFile.read(setup.harness.url("local-out/result.png").path)
        #expect(chained == unbroken)
        // Filed: the job's copy in the work folder is gone with it.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: setup.harness.url("work/jobs").path)) ?? ["?"]).isEmpty)
    }

    @Test func aControllerThatDoesNotAnswerPausesIntakeAndLosesNoJob() throws {
        let setup = try Setup()
        setup.cluster.stopController()
        let daemon = try setup.startDaemon()
        defer { if daemon.isRunning { Harness.kill9(daemon) } }
        try setup.harness.drop("waits", manifest: Self.job)
        let paused = setup.harness.wait(seconds: 30) {
            let status = (try? Data(contentsOf: setup.harness.url("state/status.json"))).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            return (status?["paused"] as? String)?.contains("the Slurm controller does not answer") == true
        }
        #expect(paused, "\(setup.log())")
        #expect(FileManager.default.fileExists(atPath: setup.harness.url("inbox/waits").path))
        try setup.cluster.startController()
        #expect(setup.harness.wait(seconds: 60) { setup.harness.outboxJobs() == ["waits"] }, "\(setup.log())")
        #expect(JobInputTests.rendered(setup.harness.url("outbox/waits")), "\(setup.log())")
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
    }

    @Test func aRejectedSubmissionFailsTheJobWithSbatchsMessage() throws {
        let setup = try Setup()
        let config = try String(contentsOfFile: setup.config, encoding: .utf8).replacingOccurrences(of: "partition = \"debug\"", with: "partition = \"nowhere\"")
        try config.write(toFile: setup.config, atomically: true, encoding: .utf8)
        try setup.harness.drop("refused", manifest: Self.job)
        try setup.drain()
        let error = JobInputTests.error(setup.harness.url("outbox/refused"))?["error"] ?? ""
        #expect(error.contains("sbatch") && error.contains("Invalid partition name specified"), "\(error)")
        #expect(setup.log().contains("Invalid partition name specified"))
    }

    @Test func aWorkerKilledEveryTimeIsRetriedThenFailedWithSlurmsView() throws {
        let setup = try Setup(widthDivisor: 2)
        try setup.harness.drop("killed", manifest: Self.job.replacingOccurrences(of: "iterations = 3", with: "iterations = 5000"))
        let daemon = try setup.startDaemon(["--drain"])
        var killed: Set<String> = []
        // The default max_attempts, 3: each Slurm job's worker is killed as it renders.
        while daemon.isRunning && killed.count < 3 {
            if let id = setup.slurmJobsRendering().first, !killed.contains(id), let job = SlurmJobID(Substring(id)) {
                try setup.cluster.client().signal(job, "KILL", batchShell: true)  // the worker, as a crash would end it
                killed.insert(id)
            }
            usleep(100_000)
        }
        daemon.waitUntilExit()
        let error = JobInputTests.error(setup.harness.url("outbox/killed"))
        let told = error?["error"] ?? ""
        #expect(killed.count == 3 && told.contains("3 times") && told.contains("exit code 0:9"), "\(killed) \(error ?? [:])")
        #expect(error?["what"] == "crash")
    }

    /// How the daemon reads a Slurm job's end together with its worker's word.
    @Test func endingsFollowTheWorkersWordThenSlurmsState() {
        let failed = ["error": "bad image", "what": "file"]
        let cases: [(SlurmJobState?, WorkerOutcome?, SlurmExecutor.Ending)] = [
            (.completed, .done, .done),
            (.cancelled, .done, .done),  // finished before the cancel: kept
            (.cancelled, .interrupted, .cancelled),
            (.cancelled, nil, .cancelled),
            (.failed, .failed(failed), .failed(failed)),
            (.failed, .interrupted, .resumable("stopped at a checkpoint (FAILED)")),
            (.timeout, nil, .resumable("reached its time limit")),
            (.preempted, nil, .resumable("was preempted")),
            (.nodeFail, nil, .crashed("ended NODE_FAIL with exit code 0:0 and no outcome from the worker")),
            (nil, nil, .crashed("ended while the daemon was away, without an outcome")),
            (nil, .done, .done),
        ]
        for (state, outcome, expected) in cases {
            #expect(SlurmExecutor.ending(state: state, exit: SlurmExitCode(status: 0, signal: 0), outcome: outcome) == expected, "\(String(describing: state)) \(String(describing: outcome))")
        }
    }
}
