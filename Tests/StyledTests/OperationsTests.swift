import Engine
import Foundation
import Testing

/// What an operator sees and what the server's own problems do: the model, the status, the
/// progress line, names at the length limit and where error.json points.
@Suite(.serialized) struct OperationsTests {
    /// A daemon without a working model refuses to start, with the reason and a failing status.
    @Test func aMissingOrDamagedModelStopsTheStartNotTheJobs() throws {
        let harness = try Harness()
        _ = try harness.writeConfig()
        try harness.drop("waiting", manifest: DaemonTests.tinyJob)
        let model = URL(fileURLWithPath: harness.environment["STYLED_MODELS"]!).appendingPathComponent("vgg16.safetensors")
        let good = try Data(contentsOf: model)
        var damaged = good
        damaged[damaged.count / 2] ^= 0xFF
        try damaged.write(to: model)
        let refused = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(refused.status != 0)
        #expect(refused.error.contains("model vgg16 cannot be used"), "\(refused.error)")
        try FileManager.default.removeItem(at: model)
        let missing = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(missing.status != 0 && missing.error.contains("model vgg16 is missing"), "\(missing.error)")
        #expect(FileManager.default.fileExists(atPath: harness.url("inbox/waiting/job.toml").path))
        #expect(harness.outboxJobs().isEmpty)
        try good.write(to: model)
        #expect(try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"]).status == 0)
        #expect(harness.outboxJobs() == ["waiting"])
    }

    /// A model damaged while the daemon runs pauses intake, with the reason in the status; the
    /// queued job is not failed, and renders once the model is good again.
    @Test func aModelDamagedWhileRunningPausesIntake() throws {
        let harness = try Harness()
        _ = try harness.writeConfig(rescanSeconds: 1)
        let model = URL(fileURLWithPath: harness.environment["STYLED_MODELS"]!).appendingPathComponent("vgg16.safetensors")
        let good = try Data(contentsOf: model)
        let daemon = try harness.startDaemon(log: harness.url("daemon.log"))
        defer { if daemon.isRunning { Harness.kill9(daemon) } }
        #expect(harness.wait(seconds: 30) { FileManager.default.fileExists(atPath: harness.url("state/status.json").path) })
        try Data(good.prefix(good.count / 2)).write(to: model)
        try harness.drop("queued", manifest: DaemonTests.tinyJob)
        #expect(harness.wait(seconds: 30) {
            ((try? harness.run(["status", "--config", harness.url("styled.toml").path]))?.output ?? "").contains("intake paused: model vgg16 cannot be used")
        })
        #expect(harness.outboxJobs().isEmpty)
        #expect(FileManager.default.fileExists(atPath: harness.url("inbox/queued").path))
        try good.write(to: model)
        #expect(harness.wait(seconds: 60) { FileManager.default.fileExists(atPath: harness.url("outbox/queued/result.png").path) })
    }

    /// After `kill -9` the status says the daemon is not running and shows no job rendering.
    @Test func theStatusOfAKilledDaemonShowsNoRunningJob() throws {
        let harness = try Harness(widthDivisor: 2)
        _ = try harness.writeConfig()
        try harness.drop("long", manifest: ResumeTests.job.replacingOccurrences(of: "iterations = 60", with: "iterations = 5000"))
        let daemon = try harness.startDaemon()
        #expect(harness.wait(seconds: 60) {
            ((try? harness.run(["status", "--config", harness.url("styled.toml").path]))?.output ?? "").contains("running: long iteration")
        })
        Harness.kill9(daemon)
        let status = try harness.run(["status", "--config", harness.url("styled.toml").path])
        #expect(status.output.contains("daemon: not running"), "\(status.output)")
        #expect(!status.output.contains("running: long") && !status.output.contains("ETA"), "\(status.output)")
        #expect(status.output.contains("interrupted: long"), "\(status.output)")
    }

    /// A folder without job.toml is said once, in the log and the status, not to be a job;
    /// error.json's `where` points into the filed folder, not into the state.
    @Test func strayFoldersAreNamedAndErrorsPointIntoTheFiledFolder() throws {
        let harness = try Harness()
        _ = try harness.writeConfig()
        let stray = harness.url("inbox/holiday-photos")
        try FileManager.default.createDirectory(at: stray, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: stray.appendingPathComponent("a.jpg"))
        var old = [timespec(tv_sec: time(nil) - 3600, tv_nsec: 0), timespec(tv_sec: time(nil) - 3600, tv_nsec: 0)]
        utimensat(AT_FDCWD, stray.path, &old, 0)
        try harness.drop("broken", manifest: DaemonTests.tinyJob.replacingOccurrences(of: "\"style.jpg\"", with: "\"gone.jpg\""))
        let result = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.error.components(separatedBy: "not a job").count == 2, "\(result.error)")
        let status = try harness.run(["status", "--config", harness.url("styled.toml").path])
        #expect(status.output.contains("not jobs (no job.toml): holiday-photos") && !status.output.contains("queued: holiday"), "\(status.output)")
        let error = try JSONSerialization.jsonObject(with: Data(contentsOf: harness.url("outbox/broken/error.json"))) as! [String: String]
        #expect(error["where"] == "inputs/job.toml: style", "\(error)")
        #expect(!(error["error"] ?? "").contains("processing"), "\(error)")
    }

    /// A 255-byte job name already taken in the outbox is filed under a shortened name with
    /// its suffix, in plain sight.
    @Test func aLongNameAlreadyTakenIsFiledUnderAShortenedName() throws {
        let harness = try Harness()
        _ = try harness.writeConfig()
        let name = String(repeating: "é", count: 127) + "x"  // 255 bytes
        try FileManager.default.createDirectory(at: harness.url("outbox/\(name)"), withIntermediateDirectories: true)
        try harness.drop(name, manifest: DaemonTests.tinyJob)
        let result = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(result.status == 0, "\(result.error)")
        let filed = harness.outboxJobs().filter { $0 != name }
        #expect(filed.count == 1 && filed[0].hasSuffix("-2") && filed[0].utf8.count <= 255, "\(filed)")
        #expect(FileManager.default.fileExists(atPath: harness.url("outbox/\(filed.first ?? "-")/result.png").path))
        let hidden = try FileManager.default.contentsOfDirectory(atPath: harness.url("outbox").path).filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "\(hidden)")
    }

    /// In the foreground on a terminal the daemon shows each job's progress; redirected, none.
    @Test func theDaemonShowsProgressOnATerminalOnly() throws {
        let harness = try Harness()
        _ = try harness.writeConfig()
        try harness.drop("shown", manifest: DaemonTests.tinyJob)
        let terminal = try harness.runOnTerminal(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(terminal.status == 0, "\(terminal.output)")
        #expect(terminal.output.contains("shown: iteration 3/3") && terminal.output.contains("s/it") && terminal.output.contains("ETA"), "\(terminal.output)")
        try harness.drop("hidden", manifest: DaemonTests.tinyJob)
        let redirected = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(redirected.status == 0)
        #expect(!redirected.error.contains("ETA") && !redirected.error.contains("\u{1B}["), "\(redirected.error)")
    }

    /// Jobs whose renders never ended (the process died while they ran) resume one at a
    /// time, even with `jobs_at_once = 2`: if one of them crashes the process again, the job
    /// beside it is not charged with that crash.
    @Test func jobsThatMayHaveCrashedTheDaemonResumeOneAtATime() throws {
        let harness = try Harness()
        let config = try harness.writeConfig(inbox: "inbox", outbox: "outbox", state: "state", extra: "jobs_at_once = 2")
        let processing = harness.url("state/processing")
        try FileManager.default.createDirectory(at: processing, withIntermediateDirectories: true)
        for name in ["a", "b"] {
            let job = try harness.makeJob(name, manifest: DaemonTests.tinyJob)
            try FileManager.default.moveItem(at: job, to: processing.appendingPathComponent(name))
            try #"{"inbox": "\#(harness.url("inbox").path)", "crashes": 0}"#
                .write(to: processing.appendingPathComponent(".\(name).claim"), atomically: true, encoding: .utf8)
            try "".write(to: processing.appendingPathComponent(".\(name).running"), atomically: true, encoding: .utf8)
        }
        let result = try harness.run(["daemon", "--config", config, "--drain"])
        #expect(result.status == 0, "\(result.error)")
        #expect(harness.outboxJobs() == ["a", "b"])
        let events = result.error.split(separator: "\n").compactMap { line -> String? in
            line.hasPrefix("<6>resuming ") ? "resuming" : line.hasPrefix("<6>done ") ? "done" : nil
        }
        #expect(events == ["resuming", "done", "resuming", "done"], "\(result.error)")
    }

    /// A hard link in a job folder may name a file its dropper could not read: neither an
    /// image nor a manifest that is a hard link is read; each job fails with the reason.
    @Test func hardLinksInAJobFolderAreNotRead() throws {
        let harness = try Harness()
        _ = try harness.writeConfig()
        let secret = harness.url("secret.txt")
        try "content = \"the-secret-line\"\n".write(to: secret, atomically: true, encoding: .utf8)
        let image = try harness.makeJob("image", manifest: DaemonTests.tinyJob)
        try FileManager.default.removeItem(at: image.appendingPathComponent("style.jpg"))
        try FileManager.default.linkItem(at: harness.url("jobs/image/content.jpg"), to: image.appendingPathComponent("style.jpg"))
        let manifest = try harness.makeJob("manifest", manifest: DaemonTests.tinyJob)
        try FileManager.default.removeItem(at: manifest.appendingPathComponent("job.toml"))
        try FileManager.default.linkItem(at: secret, to: manifest.appendingPathComponent("job.toml"))
        for job in [image, manifest] { try FileManager.default.moveItem(at: job, to: harness.url("inbox/\(job.lastPathComponent)")) }
        let result = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(result.status == 0, "\(result.error)")
        for job in ["image", "manifest"] {
            let error = try String(contentsOf: harness.url("outbox/\(job)/error.json"), encoding: .utf8)
            #expect(error.contains("hard link") && !error.contains("the-secret-line"), "\(job): \(error)")
        }
    }
}
