import ArgumentParser
import Dispatch
import Engine
import Foundation

/// `styled work`: renders one claimed job's copy in the work folder (`WorkCopy`) on a Slurm
/// node, as the daemon's Slurm executor submits it. The outputs go to `.job.slurm/out/`,
/// checkpoints beside its record, as a local render's do; what became of it goes to
/// `.job.slurm/outcome.json` and the exit status (`WorkerOutcome`), which the daemon reads
/// with Slurm's view of the job.
struct WorkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Render one claimed job on a Slurm node (the daemon submits this).",
        discussion: "USR1 (sent before the time limit) or TERM checkpoints and ends with status 75; the next Slurm job resumes.",
        shouldDisplay: false
    )

    @Option(help: "The daemon's configuration file, at the same path on this node.") var config: String
    @Argument(help: "The claimed job's copy in the work folder, work/jobs/<token>/job (default: $STYLED_WORK_JOB).") var job: String?

    /// How the daemon names the job: in the environment, not the arguments, so that the
    /// user's folder name never reaches sbatch's command line or scontrol's output.
    static let jobVariable = "STYLED_WORK_JOB"

    func run() throws {
        // First: a USR1 that comes early (a short time limit) stops the render, not the process.
        let stop = StopRequest(signals: [SIGUSR1, SIGTERM, SIGINT])
        guard let job = job ?? ProcessInfo.processInfo.environment[Self.jobVariable] else {
            throw ValidationError("give the claimed job's folder, or set \(Self.jobVariable)")
        }
        let config = try Config.load(config)
        Parallel.setWorkers(ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"].flatMap(Int.init) ?? config.threadsPerJob)
        let folder = URL(fileURLWithPath: job)
        let files = Claim.Files(of: folder)
        guard let claim = Claim.read(files.claim) else { throw ValidationError("\(job) has no claim record: not a claimed job") }
        let outcome = WorkerOutcome.File(slurmFolder: URL(fileURLWithPath: files.slurm))
        outcome.clear()  // an earlier Slurm job's word is not this one's
        try createFolder(outcome.outputs)
        let claimed = ClaimedJob(folder: folder, name: claim.name ?? folder.lastPathComponent, claim: claim, partial: outcome.outputs) { line in
            FileHandle.standardError.write(Data(ClaimedJob.logLine(line).utf8))
        }
        let render = CheckpointedRender(config: config, stopping: { stop.requested })
        do {
            let finished = try render.run(claimed, from: render.savedRender(of: claimed))
            try outcome.write(finished ? .done : .interrupted)
            throw ExitCode(finished ? 0 : WorkerOutcome.interruptedStatus)
        } catch let exit as ExitCode {
            throw exit
        } catch where JobRun.leavesClaimed(error) {
            // The node's fault (a full disk, a model it cannot load), not the job's: no outcome,
            // so the daemon submits it again, up to max_attempts.
            claimed.note("stopped: \(error)")
            throw ExitCode(1)
        } catch {
            claimed.note("failed: \(error)")
            try outcome.write(.failed(ErrorRecord.fields(of: error, job: claimed.name, folder: folder)))
            throw ExitCode(1)
        }
    }
}

/// Whether one of `signals` asked the process to stop.
final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var received = false
    private var sources: [DispatchSourceSignal] = []

    init(signals: [Int32]) {
        sources = signals.map { handleSignal($0) { [self] in lock.withLock { received = true } } }
    }

    var requested: Bool { lock.withLock { received } }
}
