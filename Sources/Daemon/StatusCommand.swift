import ArgumentParser
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show queued, running, done and failed jobs.",
        discussion: "Queued jobs are the folders in the inboxes; claimed ones (running, or interrupted and waiting to resume from their checkpoint) are in state/processing; done and failed ones are in the outboxes (failed ones hold error.json); progress comes from the daemon's state/status.json."
    )

    @Option(help: "The configuration file.") var config = "etc/styled.toml"

    func run() throws {
        let config = try Config.load(config)
        func folders(_ url: URL) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { !$0.hasPrefix(".") && FileSystem.isDirectory(url.appendingPathComponent($0)) }.sorted()
        }
        for inbox in config.inboxes {
            print("inbox \(inbox.path.path)")
            print("  queued: \(folders(inbox.path).joined(separator: ", "))")
            let finished = folders(inbox.outbox)
            let failed = finished.filter { FileManager.default.fileExists(atPath: inbox.outbox.appendingPathComponent("\($0)/error.json").path) }
            print("  done:   \(finished.filter { !failed.contains($0) }.joined(separator: ", "))")
            print("  failed: \(failed.joined(separator: ", "))")
        }
        print("claimed (running, or to resume from a checkpoint): \(folders(config.processing).joined(separator: ", "))")
        let statusFile = config.state.appendingPathComponent("status.json")
        guard let data = try? Data(contentsOf: statusFile), let status = try? JSONDecoder().decode(Service.Status.self, from: data) else {
            print("running: (no daemon status at \(statusFile.path))")
            return
        }
        let alive = kill(status.pid, 0) == 0
        print("daemon pid \(status.pid) \(alive ? "running" : "not running"), status of \(status.updated)")
        for job in status.running {
            let loss = job.loss.map { String(format: "%.4g", $0) } ?? "-"
            let eta = job.etaSeconds.map { ProgressLine.duration($0) } ?? "-"
            print("  running: \(job.job) iteration \(job.iteration)/\(job.iterations) loss \(loss) ETA \(eta)")
        }
    }
}
