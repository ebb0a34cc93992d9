import Engine
import Foundation
import Testing

/// The daemon killed, stopped and starved of disk at the worst moments: every job still ends
/// exactly once, its inputs intact, and a resumed render is the render it would have been.
@Suite(.serialized) struct ResumeTests {
    /// 60 iterations of a wider random network at 64 px: a few seconds, long enough to interrupt.
    static let job = """
        content = "content.jpg"
        style = "style.jpg"
        size = 64
        iterations = 60
        frame_every = 10
        style_weight = 1000

        """

    enum Moment: String, CaseIterable { case afterTheClaim, afterACheckpointWrite, midRender, midSecondScale }

    /// The job for a moment: the last one renders 20 iterations at 64 px, then 40 at 128 px.
    static func job(for moment: Moment) -> String {
        moment != .midSecondScale ? job
            : job.replacingOccurrences(of: "size = 64", with: "size = 128") + "scales = 2\nscale_iterations = [20, 40]\n"
    }

    /// `kill -9` at a moment, then a restart: one result, the inputs as they were, and the
    /// loss of every iteration equal to an unbroken render's (the resume is exact).
    @Test(arguments: Moment.allCases)
    func killedTheJobCompletesOnceFromItsCheckpoint(moment: Moment) throws {
        let harness = try Harness(widthDivisor: 2)
        _ = try harness.writeConfig()
        let unbroken = try harness.makeJob("reference", manifest: Self.job(for: moment))
        #expect(try harness.run(["run", unbroken.path, "--out", harness.url("unbroken").path, "--threads", "1"]).status == 0)
        let before = try harness.drop("killed", manifest: Self.job(for: moment))
        let processing = harness.url("state/processing")
        let checkpoint = processing.appendingPathComponent(".killed.checkpoint").path
        let daemon = try harness.startDaemon()
        let reached = switch moment {
        case .afterTheClaim:
            harness.wait(seconds: 30, every: 0.001) { FileManager.default.fileExists(atPath: processing.appendingPathComponent("killed").path) }
        case .afterACheckpointWrite:
            harness.wait(seconds: 60, every: 0.001) { FileManager.default.fileExists(atPath: checkpoint) }
        case .midRender:
            harness.wait(seconds: 60, every: 0.01) { Harness.logRecords(harness.partial("killed")).count >= 25 }
        case .midSecondScale:
            harness.wait(seconds: 60, every: 0.01) { Harness.logRecords(harness.partial("killed")).count >= 21 + 25 }
        }
        Harness.kill9(daemon)
        #expect(reached)
        if moment != .afterTheClaim { #expect(FileManager.default.fileExists(atPath: checkpoint)) }

        let result = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(result.status == 0, "\(result.error)")
        #expect(harness.outboxJobs() == ["killed"])
        let filed = harness.url("outbox/killed")
        #expect(Harness.snapshot(filed.appendingPathComponent("inputs")) == before)
        #expect(FileManager.default.fileExists(atPath: filed.appendingPathComponent("result.png").path))
        let log = Harness.logRecords(filed)
        #expect(log.map(\.iteration) == (moment == .midSecondScale ? Array(0...20) + Array(20...60) : Array(0...60)))
        #expect(log.map(\.loss) == Harness.logRecords(harness.url("unbroken")).map(\.loss))
        let jobLog = try String(contentsOf: filed.appendingPathComponent("job.log"), encoding: .utf8)
        if moment != .afterTheClaim {
            #expect(jobLog.contains("the last render of this job never ended"), "\(jobLog)")
            #expect(["10", "20", "30", "40"].contains { jobLog.contains("resuming at iteration \($0) ") }, "\(jobLog)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: processing.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.url("outbox").path) == ["killed"])
    }

    /// SIGTERM mid-render: exit 0 within 10 s, the job left claimed with a checkpoint at the
    /// iteration it stopped at, and the next start finishes it from there.
    @Test func stoppedTheJobResumesAtTheNextStart() throws {
        let harness = try Harness(widthDivisor: 2)
        _ = try harness.writeConfig()
        let before = try harness.drop("stopped", manifest: Self.job)
        let daemon = try harness.startDaemon()
        #expect(harness.wait(seconds: 60, every: 0.01) { Harness.logRecords(harness.partial("stopped")).count >= 15 })
        let signalled = Date()
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(Date().timeIntervalSince(signalled) < 10)
        #expect(daemon.terminationStatus == 0)
        let partial = harness.partial("stopped")
        let stoppedAt = Harness.logRecords(partial).last!.iteration
        let jobLog = try String(contentsOf: partial.appendingPathComponent("job.log"), encoding: .utf8)
        #expect(jobLog.contains("stopped by a signal at iteration \(stoppedAt)"), "\(jobLog)")
        #expect(FileManager.default.fileExists(atPath: harness.url("state/processing/stopped").path))
        #expect(FileManager.default.fileExists(atPath: harness.url("state/processing/.stopped.checkpoint").path))

        let result = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(result.status == 0, "\(result.error)")
        let filed = harness.url("outbox/stopped")
        let resumedLog = try String(contentsOf: filed.appendingPathComponent("job.log"), encoding: .utf8)
        #expect(resumedLog.contains("resuming at iteration \(stoppedAt) (scale 1 of 1) from its checkpoint"), "\(resumedLog)")
        #expect(!resumedLog.contains("never ended"))  // a clean stop is not a crash
        #expect(Harness.logRecords(filed).map(\.iteration) == Array(0...60))
        #expect(Harness.snapshot(filed.appendingPathComponent("inputs")) == before)
    }

    /// A job whose render dies three times (here: killed while rendering) is failed with the
    /// reason instead of being tried forever; its inputs are filed with it.
    @Test func aJobThatCrashesTheRendererThreeTimesIsFailed() throws {
        let harness = try Harness(widthDivisor: 2)
        _ = try harness.writeConfig()
        let before = try harness.drop("doomed", manifest: Self.job.replacingOccurrences(of: "iterations = 60", with: "iterations = 5000"))
        let running = harness.url("state/processing/.doomed.running").path
        for _ in 1...3 {
            // The marker the last daemon left counts its crash; wait for this daemon's own.
            let started = Date()
            let daemon = try harness.startDaemon()
            #expect(harness.wait(seconds: 60, every: 0.01) {
                ((try? FileManager.default.attributesOfItem(atPath: running))?[.modificationDate] as? Date).map { $0 >= started.addingTimeInterval(-0.01) } ?? false
            })
            Thread.sleep(forTimeInterval: 0.3)
            Harness.kill9(daemon)
        }
        let result = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(result.status == 0, "\(result.error)")
        #expect(harness.outboxJobs() == ["doomed"])
        let filed = harness.url("outbox/doomed")
        let error = try JSONSerialization.jsonObject(with: Data(contentsOf: filed.appendingPathComponent("error.json"))) as! [String: String]
        #expect(error["what"] == "crash")
        #expect(error["why"]?.contains("interrupted 3 times") == true, "\(error)")
        #expect(!FileManager.default.fileExists(atPath: filed.appendingPathComponent("result.png").path))
        #expect(Harness.snapshot(filed.appendingPathComponent("inputs")) == before)
        let metrics = try String(contentsOf: harness.url("state/styled.prom"), encoding: .utf8)
        #expect(metrics.contains("styled_jobs_failed_total{reason=\"crash\"} 1.0"))
    }

    /// Whether this process may mount a tmpfs (root in a container that allows it).
    static let canMountTmpfs: Bool = {
        let point = FileManager.default.temporaryDirectory.appendingPathComponent("styled-mount-probe-\(getpid())")
        try? FileManager.default.createDirectory(at: point, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: point) }
        guard mount("tmpfs", point.path, "tmpfs", 0, "size=1m") == 0 else { return false }
        umount(point.path)
        return true
    }()

    /// Inbox, state and outbox on a small tmpfs filled up: the render's writes fail with
    /// ENOSPC, the job stays claimed, no other job is taken; once space is freed both complete.
    @Test(.enabled(if: canMountTmpfs, "needs to mount a tmpfs"))
    func aFullDiskPausesIntakeAndTheJobCompletesWhenSpaceReturns() throws {
        let harness = try Harness(widthDivisor: 2)
        let disk = harness.url("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        #expect(mount("tmpfs", disk.path, "tmpfs", 0, "size=8m") == 0)
        defer { umount2(disk.path, Int32(MNT_DETACH)) }
        try """
            state = "disk/state"
            threads_per_job = 1
            rescan_seconds = 1
            [[inbox]]
            path = "disk/inbox"
            outbox = "disk/outbox"
            [limits]
            min_free_mb = 0

            """.write(to: harness.url("styled.toml"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: harness.url("disk/inbox"), withIntermediateDirectories: true)
        let job = try harness.makeJob("first", manifest: Self.job)
        let firstBefore = Harness.snapshot(job)
        try FileManager.default.moveItem(at: job, to: harness.url("disk/inbox/first"))
        let log = harness.url("daemon.log")
        let daemon = try harness.startDaemon(log: log)
        defer { if daemon.isRunning { Harness.kill9(daemon) } }
        // The job fits when it is claimed (its need is estimated first); then the disk fills up,
        // leaving ~1 MB: less than the first checkpoint (the L-BFGS-B state at 64 px is ~2 MB).
        #expect(harness.wait(seconds: 30, every: 0.001) { FileManager.default.fileExists(atPath: harness.url("disk/state/processing/first").path) })
        let ballast = disk.appendingPathComponent("ballast")
        var space = statvfs()
        statvfs(disk.path, &space)
        try Data(count: Int(space.f_bavail) * Int(space.f_frsize) - 1 << 20).write(to: ballast)
        #expect(harness.wait(seconds: 60) { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("disk full") })
        let second = try harness.makeJob("second", manifest: DaemonTests.tinyJob)
        let secondBefore = Harness.snapshot(second)
        try FileManager.default.moveItem(at: second, to: harness.url("disk/inbox/second"))
        Thread.sleep(forTimeInterval: 3)
        #expect(FileManager.default.fileExists(atPath: harness.url("disk/state/processing/first").path))
        #expect(FileManager.default.fileExists(atPath: harness.url("disk/inbox/second").path), "a job was claimed while the disk was full")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: harness.url("disk/outbox").path)) ?? []).allSatisfy { $0.hasPrefix(".") })

        try FileManager.default.removeItem(at: ballast)
        let outbox = harness.url("disk/outbox")
        #expect(harness.wait(seconds: 120) {
            Set((try? FileManager.default.contentsOfDirectory(atPath: outbox.path)) ?? []).isSuperset(of: ["first", "second"])
        })
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
        for (name, before) in [("first", firstBefore), ("second", secondBefore)] {
            #expect(FileManager.default.fileExists(atPath: outbox.appendingPathComponent("\(name)/result.png").path))
            #expect(Harness.snapshot(outbox.appendingPathComponent("\(name)/inputs")) == before)
        }
        #expect(Harness.logRecords(outbox.appendingPathComponent("first")).map(\.iteration) == Array(0...60))
    }
}
