import Engine
import Foundation
import Testing

@Suite(.serialized) struct DaemonTests {
    static let tinyJob = """
        content = "content.jpg"
        style = "style.jpg"
        size = 64
        iterations = 3
        frame_every = 0

        """

    @Test func thirtyJobsDroppedAtOnceAreEachRenderedExactlyOnce() throws {
        let harness = try Harness()
        _ = try harness.writeConfig()
        let daemon = try harness.startDaemon()
        defer { if daemon.isRunning { daemon.terminate() } }
        Thread.sleep(forTimeInterval: 0.5)  // let it start watching; jobs dropped earlier are found by its first scan anyway
        let inbox = harness.url("inbox")
        var expected: [String] = []
        for i in 0..<10 {
            // Moved in whole.
            let job = try harness.makeJob("whole-\(i)", manifest: Self.tinyJob)
            try FileManager.default.moveItem(at: job, to: inbox.appendingPathComponent("whole-\(i)"))
            expected.append("whole-\(i)")
            // Filled in place, manifest written last.
            let folder = inbox.appendingPathComponent("inplace-\(i)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let source = try harness.makeJob("source-\(i)", manifest: Self.tinyJob)
            for name in ["content.jpg", "style.jpg"] {
                try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
            }
            try Self.tinyJob.write(to: folder.appendingPathComponent("job.toml"), atomically: false, encoding: .utf8)
            expected.append("inplace-\(i)")
            // styled submit.
            let submitted = try harness.run(["submit", "--inbox", inbox.path, "--name", "submitted-\(i)",
                                             "--content", source.appendingPathComponent("content.jpg").path,
                                             "--style", source.appendingPathComponent("style.jpg").path + ":2",
                                             "--size", "64", "--iterations", "3"])
            #expect(submitted.status == 0, "\(submitted.error)")
            expected.append("submitted-\(i)")
        }
        #expect(harness.wait(seconds: 240) { harness.outboxJobs().count >= 30 })
        Thread.sleep(forTimeInterval: 1)  // anything rendered twice would show up now
        #expect(harness.outboxJobs() == expected.sorted())
        for job in harness.outboxJobs() {
            let folder = harness.url("outbox/\(job)")
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("result.png").path), "\(job) has no result")
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("error.json").path), "\(job) failed")
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("inputs/job.toml").path))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.url("state/processing").path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: inbox.path).isEmpty)
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
    }

    @Test func aJobDroppedWhileStoppedIsPickedUpAtStart() throws {
        let harness = try Harness()
        _ = try harness.writeConfig()
        let job = try harness.makeJob("early", manifest: Self.tinyJob)
        try FileManager.default.moveItem(at: job, to: harness.url("inbox/early"))
        let result = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(result.status == 0, "\(result.error)")
        #expect(harness.outboxJobs() == ["early"])
        #expect(result.error.contains("<6>claimed"))  // syslog priority prefixes for journald
        let status = try harness.run(["status", "--config", harness.url("styled.toml").path])
        #expect(status.output.contains("done:   early"))
    }

    @Test func profilesFollowTheSizeAndTheJobsOwnFieldsOverrideThem() throws {
        let harness = try Harness()
        _ = try harness.writeConfig()
        let base = "content = \"content.jpg\"\nstyle = \"style.jpg\"\n"
        for (name, manifest) in [("small", base + "size = 200\n"), ("large", base + "size = 900\nstyle_weight = 7\n")] {
            let job = try harness.makeJob(name, manifest: manifest)
            try FileManager.default.moveItem(at: job, to: harness.url("inbox/\(name)"))
        }
        let result = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(result.status == 0, "\(result.error)")
        func report(_ job: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: harness.url("outbox/\(job)/report.json"))) as! [String: Any]
        }
        let small = try report("small"), large = try report("large")
        #expect(small["profile"] as? String == "small" && large["profile"] as? String == "large")
        #expect((small["parameters"] as? [String: Any])?["style_weight"] as? Double == 100)
        #expect((small["parameters"] as? [String: Any])?["iterations"] as? Int == 2)
        #expect((large["parameters"] as? [String: Any])?["style_weight"] as? Double == 7)
        #expect(large["overrides"] as? [String] == ["style_weight"])
        #expect(small["overrides"] as? [String] == [])
        // How it kept to its memory budget: the plan of its one scale, the process's peak.
        let memory = small["memory"] as? [String: Any]
        #expect(memory?["peak_resident_bytes"] as? Int ?? 0 > 10_000_000, "\(String(describing: memory))")
        #expect((memory?["scales"] as? [[String: Any]])?.map { $0["size"] as? Int } == [200])
    }

    /// A corpus of hostile jobs: each is filed as failed with a reason that names the problem,
    /// its files exactly as they came, and the daemon goes on to render a good job after them.
    @Test func hostileJobsAreFiledWithTheirReasonAndTheDaemonGoesOn() throws {
        let harness = try Harness()
        _ = try harness.writeConfig()
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("EngineTests/Fixtures")
        func content(_ name: String) -> String { Self.tinyJob.replacingOccurrences(of: "\"content.jpg\"", with: "\"\(name)\"") }
        let longName = String(repeating: "é", count: 127) + "x"  // 255 bytes, the most a name may have
        let cases: [(name: String, manifest: String, reason: String)] = [
            ("broken-manifest", "size = [\n", "not valid TOML"),
            ("huge-manifest", Self.tinyJob + "# " + String(repeating: "padding ", count: 10 << 17) + "\n", "more than the limit"),
            ("missing-image", Self.tinyJob.replacingOccurrences(of: "\"style.jpg\"", with: "\"gone.jpg\""), "does not exist"),
            ("truncated-png", content("cut.png"), "cut.png"),
            ("truncated-jpeg", content("cut.jpg"), "cut.jpg"),
            ("zero-length", content("empty.jpg"), "the file is empty"),
            ("zlib-bomb", content("bomb.png"), "8000x8000"),
            ("huge-header", content("huge.png"), "100000x100000"),
            ("fifo-style", Self.tinyJob, "not a regular file"),
            ("escape", content("../../etc/passwd"), "no `..`"),
            ("symlink", content("link.jpg"), "symbolic link"),
            ("new\nline", content("also\\nnew.jpg"), "does not exist"),
            (longName, content("content.jpg").replacingOccurrences(of: "size = 64", with: "size = -5"), "size"),
        ]
        var snapshots: [String: [String: String]] = [:]
        for (name, manifest, _) in cases {
            let job = try harness.makeJob(name, manifest: manifest)
            let original = try ImageFile.read(job.appendingPathComponent("content.jpg").path)
            switch name {
            case "truncated-png":
                let png = try ImageFile.encode(original, format: .png)
                try Data(png.prefix(png.count / 2)).write(to: job.appendingPathComponent("cut.png"))
            case "truncated-jpeg":
                let jpeg = try ImageFile.encode(original, format: .jpeg)
                try Data(jpeg.prefix(jpeg.count / 2)).write(to: job.appendingPathComponent("cut.jpg"))
            case "zero-length": _ = FileManager.default.createFile(atPath: job.appendingPathComponent("empty.jpg").path, contents: nil)
            case "zlib-bomb": try FileManager.default.copyItem(at: fixtures.appendingPathComponent("zlib-bomb.png"), to: job.appendingPathComponent("bomb.png"))
            case "huge-header": try FileManager.default.copyItem(at: fixtures.appendingPathComponent("huge-header.png"), to: job.appendingPathComponent("huge.png"))
            case "fifo-style":
                try FileManager.default.removeItem(at: job.appendingPathComponent("style.jpg"))
                #expect(mkfifo(job.appendingPathComponent("style.jpg").path, 0o644) == 0)
            case "symlink": try FileManager.default.createSymbolicLink(atPath: job.appendingPathComponent("link.jpg").path, withDestinationPath: "/etc/passwd")
            default: break
            }
            snapshots[name] = Harness.snapshot(job)
            try FileManager.default.moveItem(at: job, to: harness.url("inbox/\(name)"))
        }
        let good = try harness.makeJob("zz-good", manifest: Self.tinyJob)
        try FileManager.default.moveItem(at: good, to: harness.url("inbox/zz-good"))
        let result = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(result.status == 0)
        #expect(harness.outboxJobs() == (cases.map(\.name) + ["zz-good"]).sorted())
        for (name, _, reason) in cases {
            let folder = harness.url("outbox/\(name)")
            let error = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("error.json"))) as! [String: String]
            #expect(error["error"]?.contains(reason) == true, "\(name): \(error)")
            #expect(error["why"] != nil && error["what"] != nil)
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("job.log").path))
            #expect(Harness.snapshot(folder.appendingPathComponent("inputs")) == snapshots[name], "\(name)'s inputs changed")
        }
        var fifo = stat()
        #expect(lstat(harness.url("outbox/fifo-style/inputs/style.jpg").path, &fifo) == 0 && (fifo.st_mode & S_IFMT) == S_IFIFO)
        #expect(FileManager.default.fileExists(atPath: harness.url("outbox/zz-good/result.png").path))
        let metrics = try String(contentsOf: harness.url("state/styled.prom"), encoding: .utf8)
        for line in ["styled_jobs_received_total \(cases.count + 1).0", "styled_jobs_done_total 1.0",
                     "styled_jobs_failed_total{reason=\"manifest\"} \(cases.count).0",
                     "styled_jobs_running 0.0", "# TYPE styled_iterations_total counter"] {
            #expect(metrics.contains(line + "\n") || metrics.contains(line + " "), "metrics lack \(line):\n\(metrics)")
        }
        #expect(metrics.contains("styled_iterations_total 3.0"))
    }

    @Test func afterACrashClaimedJobsAreRenderedAgainAndFinishedOnesFiled() throws {
        let harness = try Harness()
        _ = try harness.writeConfig()
        // What a daemon killed at various moments leaves behind:
        let processing = harness.url("state/processing")
        try FileManager.default.createDirectory(at: processing, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: harness.url("outbox"), withIntermediateDirectories: true)
        try "t0\n".write(to: harness.url("state/id"), atomically: true, encoding: .utf8)  // the state folder's id, in its partial folders' names
        let claimed = try harness.makeJob("my.claimed", manifest: Self.tinyJob)                   // killed mid-render,
        let before = Harness.snapshot(claimed)
        try FileManager.default.moveItem(at: claimed, to: processing.appendingPathComponent("my.claimed"))
        let partial = harness.url("outbox/.my.claimed.partial")                                  // with its outputs so far
        try FileManager.default.createDirectory(at: partial.appendingPathComponent("frames"), withIntermediateDirectories: true)
        try "stale".write(to: partial.appendingPathComponent("frames/0099.png"), atomically: true, encoding: .utf8)
        try #"{"inbox": "\#(harness.url("inbox").path)", "partial": "\#(partial.path)", "crashes": 0}"#
            .write(to: processing.appendingPathComponent(".my.claimed.claim"), atomically: true, encoding: .utf8)
        try "".write(to: processing.appendingPathComponent(".my.claimed.running"), atomically: true, encoding: .utf8)
        try "".write(to: processing.appendingPathComponent(".gone.checkpoint"), atomically: true, encoding: .utf8)  // its job was filed
        let finished = harness.url("outbox/.finished.t0.partial")                                   // killed before the last rename
        try FileManager.default.createDirectory(at: finished.appendingPathComponent("inputs"), withIntermediateDirectories: true)
        try "done".write(to: finished.appendingPathComponent("result.png"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: harness.url("outbox/.orphan.t0.partial"), withIntermediateDirectories: true)  // no claim names it
        let result = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(result.status == 0, "\(result.error)")
        #expect(harness.outboxJobs() == ["finished", "my.claimed"])
        #expect(Harness.snapshot(harness.url("outbox/my.claimed/inputs")) == before)
        #expect(FileManager.default.fileExists(atPath: harness.url("outbox/my.claimed/result.png").path))
        #expect(!FileManager.default.fileExists(atPath: harness.url("outbox/my.claimed/frames/0099.png").path))
        #expect(try String(contentsOf: harness.url("outbox/my.claimed/job.log"), encoding: .utf8).contains("never ended"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: harness.url("outbox").path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: processing.path).isEmpty)
    }

    /// With less free space than `min_free_mb` where outputs go, nothing is claimed: the job
    /// stays queued, untouched, and the status says why.
    @Test func lowDiskSpacePausesIntakeWithoutTouchingTheJob() throws {
        let harness = try Harness()
        _ = try harness.writeConfig(limits: "min_free_mb = 1e12")  // more than any disk here
        let job = try harness.makeJob("waiting", manifest: Self.tinyJob)
        let before = Harness.snapshot(job)
        try FileManager.default.moveItem(at: job, to: harness.url("inbox/waiting"))
        let result = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(result.status != 0)
        #expect(result.error.contains("intake paused") && result.error.contains("MB free"), "\(result.error)")
        #expect(Harness.snapshot(harness.url("inbox/waiting")) == before)
        #expect(harness.outboxJobs().isEmpty)
        let status = try JSONSerialization.jsonObject(with: Data(contentsOf: harness.url("state/status.json"))) as! [String: Any]
        #expect((status["paused"] as? String)?.contains("MB free") == true)
    }
}
