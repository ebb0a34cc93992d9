import Engine
import Foundation
import Testing

/// The daemon as users deploy it: two daemons started on one state folder, daemons sharing an
/// inbox, inbox, state and outbox on different filesystems. Every job ends exactly once.
@Suite(.serialized) struct DeploymentTests {
    static let canMountTmpfs = ResumeTests.canMountTmpfs

    /// A second daemon on a state folder in use is refused, naming the holder; the first goes on.
    @Test func aSecondDaemonOnOneStateFolderIsRefused() throws {
        let harness = try Harness()
        _ = try harness.writeConfig()
        let log = harness.url("first.log")
        let first = try harness.startDaemon(log: log)
        defer { if first.isRunning { Harness.kill9(first) } }
        #expect(harness.wait(seconds: 30) { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("watching") })
        let second = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(second.status != 0)
        #expect(second.error.contains("another styled daemon (pid \(first.processIdentifier))"), "\(second.error)")
        try harness.drop("after", manifest: DaemonTests.tinyJob)
        #expect(harness.wait(seconds: 60) { harness.outboxJobs() == ["after"] })
        #expect(first.isRunning)
    }

    /// Two daemons with state folders of their own share one inbox and one outbox; the second
    /// starts while the first renders. Each of six jobs is rendered once (no `-2` copies, no
    /// error.json), and neither touches the partial folders the other is writing.
    @Test func daemonsWithTheirOwnStateShareAnInboxAndEachJobIsClaimedOnce() throws {
        let harness = try Harness(widthDivisor: 2)
        let configs = try ["a", "b"].map { try harness.writeConfig(inbox: "inbox", outbox: "outbox", state: "state-\($0)", extra: "jobs_at_once = 2") }
        let names = (0..<6).map { "job-\($0)" }
        for name in names { try harness.drop(name, manifest: ResumeTests.job) }
        var daemons = [try harness.startDaemon(config: configs[0])]
        defer { daemons.forEach { if $0.isRunning { Harness.kill9($0) } } }
        #expect(harness.wait(seconds: 60, every: 0.01) { Harness.logRecords(harness.partial("job-0")).count >= 5 })
        daemons.append(try harness.startDaemon(config: configs[1]))
        #expect(harness.wait(seconds: 240) { harness.outboxJobs().count >= names.count })
        Thread.sleep(forTimeInterval: 2)  // a second rendering of any job would show up now
        #expect(harness.outboxJobs() == names.sorted())
        for name in names {
            #expect(!FileManager.default.fileExists(atPath: harness.url("outbox/\(name)/error.json").path), "\(name) failed")
            #expect(Harness.logRecords(harness.url("outbox/\(name)")).map(\.iteration) == Array(0...60), "\(name)")
        }
        daemons.forEach { $0.terminate(); $0.waitUntilExit() }
        #expect(daemons.allSatisfy { $0.terminationStatus == 0 })
        let hidden = try FileManager.default.contentsOfDirectory(atPath: harness.url("outbox").path).filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "\(hidden)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.url("inbox").path).isEmpty)
    }

    /// Inbox, state and outbox on three filesystems: the claim and the filing copy across them
    /// durably; a daemon killed mid-render resumes; every job is filed once, its inputs intact.
    @Test(.enabled(if: canMountTmpfs, "needs to mount a tmpfs (root); without it this layout is not tested"))
    func inboxStateAndOutboxOnDifferentFilesystems() throws {
        let harness = try Harness(widthDivisor: 2)
        let mounts = try ["in", "st", "out"].map { try harness.mountTmpfs($0, megabytes: 64) }
        defer { mounts.forEach(Harness.unmount) }
        let config = try harness.writeConfig(inbox: "in/inbox", outbox: "out/outbox", state: "st/state")
        let before = try ["one", "two"].map { name in
            let job = try harness.makeJob(name, manifest: ResumeTests.job)
            let snapshot = Harness.snapshot(job)
            try FileManager.default.moveItem(at: job, to: harness.url("in/inbox/\(name)"))
            return snapshot
        }
        let process = try harness.startDaemon(config: config)
        #expect(harness.wait(seconds: 60, every: 0.01) { Harness.logRecords(harness.partial("one", outbox: "out/outbox")).count >= 25 })
        Harness.kill9(process)
        let result = try harness.run(["daemon", "--config", config, "--drain"])
        #expect(result.status == 0, "\(result.error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.url("out/outbox").path).sorted() == ["one", "two"])
        for (name, snapshot) in zip(["one", "two"], before) {
            #expect(Harness.snapshot(harness.url("out/outbox/\(name)/inputs")) == snapshot)
            #expect(Harness.logRecords(harness.url("out/outbox/\(name)")).map(\.iteration) == Array(0...60))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.url("in/inbox").path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.url("st/state/processing").path).isEmpty)
    }

    /// A layout that cannot work is refused at start, naming the paths.
    @Test func anOutboxInsideItsInboxIsRefusedAtStart() throws {
        let harness = try Harness()
        let config = try harness.writeConfig(inbox: "inbox", outbox: "inbox/results", state: "state")
        let result = try harness.run(["daemon", "--config", config, "--drain"])
        #expect(result.status != 0)
        #expect(result.error.contains("cannot work") && result.error.contains(harness.url("inbox/results").path), "\(result.error)")
    }

    /// A job whose checkpoints and outputs can never fit on the state's filesystem is failed
    /// with that reason; one that does not fit now waits, with the reason in the status,
    /// while a job that fits goes on; it renders once space returns.
    @Test(.enabled(if: canMountTmpfs, "needs to mount a tmpfs (root); without it the disk estimate is not tested"))
    func jobsAreClaimedOnlyWhenTheirDiskNeedFits() throws {
        let harness = try Harness()
        let disk = try harness.mountTmpfs("disk", megabytes: 16)
        defer { Harness.unmount(disk) }
        let config = try harness.writeConfig(inbox: "disk/inbox", outbox: "disk/outbox", state: "disk/state")
        func drop(_ name: String, size: Int) throws {
            let job = try harness.makeJob(name, manifest: DaemonTests.tinyJob.replacingOccurrences(of: "size = 64", with: "size = \(size)"))
            try FileManager.default.moveItem(at: job, to: harness.url("disk/inbox/\(name)"))
        }
        try drop("huge", size: 512)    // L-BFGS-B's state alone is ~170 MB
        try drop("medium", size: 80)   // ~10 MB with its outputs: fits only while the disk is nearly empty
        try drop("small", size: 48)
        let ballast = disk.appendingPathComponent("ballast")
        try Data(count: 8 << 20).write(to: ballast)
        let log = harness.url("daemon.log")
        let process = try harness.startDaemon(config: config, log: log)
        defer { if process.isRunning { Harness.kill9(process) } }
        #expect(harness.wait(seconds: 60) { Set((try? FileManager.default.contentsOfDirectory(atPath: harness.url("disk/outbox").path)) ?? []).isSuperset(of: ["huge", "small"]) })
        let error = try JSONSerialization.jsonObject(with: Data(contentsOf: harness.url("disk/outbox/huge/error.json"))) as? [String: String]
        #expect(error?["why"]?.contains("which holds only") == true, "\(String(describing: error))")
        #expect(FileManager.default.fileExists(atPath: harness.url("disk/inbox/medium").path))
        let status = try harness.run(["status", "--config", config])
        #expect(status.output.contains("waiting: ") && status.output.contains("medium") && status.output.contains("free"), "\(status.output)")
        try FileManager.default.removeItem(at: ballast)
        #expect(harness.wait(seconds: 60) { FileManager.default.fileExists(atPath: harness.url("disk/outbox/medium/result.png").path) })
        let lines = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n")
        let claims = lines.filter { $0.hasPrefix("<6>claimed ") && $0.hasSuffix(" job=medium") }.count
        #expect(claims == 1, "medium was claimed \(claims) times")
    }
}
