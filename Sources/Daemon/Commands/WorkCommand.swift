import ArgumentParser
import Dispatch
import Engine
import Foundation

/// `styled work`: renders one claimed job on a Slurm node, as the daemon's Slurm executor
/// submits it. The outputs go to the job's `.<job>.slurm/out/`, checkpoints beside its claim
/// record, as a local render's do; what became of it goes to `.<job>.slurm/outcome.json` and
/// the exit status (`WorkerOutcome`), which the daemon reads with Slurm's view of the job.
struct WorkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Render one claimed job on a Slurm node (the daemon submits this).",
        discussion: "USR1 (sent before the time limit) or TERM checkpoints and ends with status 75; the next Slurm job resumes.",
        shouldDisplay: false
    )

    @Option(help: "The daemon's configuration file, at the same path on this node.") var config: String
    @Argument(help: "The claimed job's folder in the work folder's processing/.") var job: String

    func run() throws {
        let config = try Config.load(config)
        Parallel.setWorkers(ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"].flatMap(Int.init) ?? config.threadsPerJob)
        let stop = StopRequest(signals: [SIGUSR1, SIGTERM, SIGINT])
        let folder = URL(fileURLWithPath: job)
        let files = Claim.Files(of: folder)
        guard let claim = Claim.read(files.claim) else { throw ValidationError("\(job) has no claim record: not a claimed job") }
        let outcome = WorkerOutcome.File(slurmFolder: URL(fileURLWithPath: files.slurm))
        let out = outcome.outputs
        try createFolder(out)
        let claimed = ClaimedJob(folder: folder, name: claim.name ?? folder.lastPathComponent, claim: claim, partial: out) { line in
            FileHandle.standardError.write(Data(ClaimedJob.logLine(line).utf8))
        }
        let render = CheckpointedRender(config: config, stopping: { stop.requested })
        do {
            let finished = try render.run(claimed, from: render.savedRender(of: claimed))
            try outcome.write(finished ? .done : .interrupted)
            throw ExitCode(finished ? 0 : WorkerOutcome.interruptedStatus)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            claimed.note("failed: \(error)")
            try outcome.write(.failed(ErrorRecord.fields(of: error, job: claimed.name, folder: folder)))
            throw ExitCode(1)
        }
    }
}

/// Whether a signal asked the process to stop; the signals are handled on a queue, not
/// in a handler, so anything may be done on them.
final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var received = false
    private var sources: [DispatchSourceSignal] = []

    init(signals: [Int32]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in lock.withLock { received = true } }
            source.resume()
            sources.append(source)
        }
    }

    var requested: Bool { lock.withLock { received } }
}
