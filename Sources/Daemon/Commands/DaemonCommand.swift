import ArgumentParser
import Dispatch
import Engine
import Foundation

struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Watch the configured inboxes and render every job dropped into them.",
        discussion: """
        A job is a folder with job.toml beside its images, moved into an inbox whole (or with \
        job.toml written last). Results, or error.json with the reason, land in the inbox's \
        outbox under the job's name, with the job's own files in inputs/. SIGTERM or SIGINT \
        stops taking jobs, checkpoints the one being rendered and exits; the next start resumes \
        it. SIGHUP reads the configuration again (profiles, limits).
        """
    )

    @Option(help: "The configuration file.") var config = "etc/styled.toml"
    @Flag(help: "Render what the inboxes hold, then exit 0.") var drain = false

    func run() throws {
        let config = try Config.load(config)
        let logger = makeLogger(level: config.logLevel)
        let service = try Service(config: config, logger: logger, drain: drain)
        // Signals become a request to stop, handled at the next iteration boundary.
        var sources = [SIGTERM, SIGINT].map { number in
            handleSignal(number) {
                logger.notice("signal \(number): stopping")
                service.requestStop()
            }
        }
        sources.append(handleSignal(SIGHUP) {
            logger.notice("signal \(SIGHUP): reloading the configuration")
            service.reload()
        })
        try service.run()
        sources.forEach { $0.cancel() }
    }
}
