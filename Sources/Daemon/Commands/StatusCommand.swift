import ArgumentParser
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show queued, running, done and failed jobs.",
        discussion: "Queued jobs are the folders in the inboxes that hold job.toml; claimed ones (running, or interrupted and waiting to resume from their checkpoint) are in state/processing; done and failed ones are in the outboxes (failed ones hold error.json); progress, and why intake is paused, come from the daemon's state/status.json."
    )

    @Option(help: "The configuration file.") var config = "etc/styled.toml"

    func run() throws {
        let config = try Config.load(config)
        func entries(_ url: URL) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        }
        func isJob(_ folder: URL) -> Bool { FileSystem.isDirectory(folder) && FileSystem.exists(folder.appendingPathComponent(JobFolder.manifestName)) }
        for inbox in config.inboxes {
            print("inbox \(inbox.path.path)")
            let names = entries(inbox.path)
            print("  queued: \(names.filter { isJob(inbox.path.appendingPathComponent($0)) }.joined(separator: ", "))")
            let strays = names.filter { !isJob(inbox.path.appendingPathComponent($0)) }
            if !strays.isEmpty { print("  not jobs (no \(JobFolder.manifestName)): \(strays.joined(separator: ", "))") }
            let finished = entries(inbox.outbox).filter { FileSystem.isDirectory(inbox.outbox.appendingPathComponent($0)) }
            let failed = finished.filter { FileSystem.exists(inbox.outbox.appendingPathComponent("\($0)/error.json")) }
            print("  done:   \(finished.filter { !failed.contains($0) }.joined(separator: ", "))")
            print("  failed: \(failed.joined(separator: ", "))")
        }
        print("claimed (running, or to resume from a checkpoint): \(entries(config.processing).joined(separator: ", "))")
        for job in entries(config.processing) {
            var info = stat()
            if stat(Claim.Files(of: config.processing.appendingPathComponent(job)).checkpoint, &info) == 0 {
                print("  \(job): checkpoint of \(DiskNeed.megabytes(Int(info.st_size)))")
            }
        }
        let statusFile = config.state.appendingPathComponent("status.json")
        guard let data = try? Data(contentsOf: statusFile), let status = try? JSONDecoder().decode(Telemetry.Status.self, from: data) else {
            print("daemon: no status at \(statusFile.path)")
            return
        }
        // The state folder's lock, not the PID (which the system may have given to another
        // process), tells whether the daemon that wrote the status still runs.
        guard StateLock.isHeld(state: config.state) else {
            print("daemon: not running (pid \(status.pid) wrote the status of \(status.updated))")
            for job in status.running { print("  interrupted: \(job.job) at iteration \(job.iteration)/\(job.iterations); resumes at the next start") }
            return
        }
        print("daemon: pid \(status.pid) running, status of \(status.updated)")
        if let paused = status.paused { print("  intake paused: \(paused)") }
        for note in status.waiting ?? [] { print("  waiting: \(note.job): \(note.reason)") }
        for note in status.notJobs ?? [] { print("  \(note.reason): \(note.job)") }
        for job in status.running {
            let slurm = job.slurm.map { " [Slurm job \($0.job) \($0.state)" + ($0.reason.map { " (\($0))" } ?? "") + ($0.node.map { " on \($0)" } ?? "") + "]" } ?? ""
            print("  running: \(job.job)\(slurm) " + ProgressLine.text(iteration: job.iteration, total: job.iterations, loss: job.loss, secondsPerIteration: job.secondsPerIteration))
        }
    }
}
