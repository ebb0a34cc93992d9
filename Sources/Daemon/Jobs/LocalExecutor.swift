import Engine
import Foundation

/// A claimed job as an executor receives it: its folder in `state/processing`, its name as
/// dropped, its record, the partial folder its outputs go to, and its `job.log`.
struct ClaimedJob {
    var folder: URL
    var name: String
    var claim: Claim
    var partial: URL
    var note: (String) -> Void

    /// A line of a job's log (`job.log`, a worker's Slurm log): the time to the millisecond, then `text`.
    static func logLine(_ text: String) -> String {
        let format = ISO8601DateFormatter()
        format.formatOptions.insert(.withFractionalSeconds)
        return "\(format.string(from: Date())) \(text)\n"
    }
}

/// Turns a claimed job into a finished partial folder: the seam between the daemon's
/// transaction of a job (claim, partial folder, error.json, filing; see `JobRun`) and where
/// the render runs. `LocalExecutor` renders in this process.
protocol Executor {
    /// Renders the job into its partial folder, with checkpoints beside its records; returns
    /// false if a stop interrupted it (it resumes from its checkpoint). Throws why the job
    /// failed, or a full disk or a model that cannot be used (then it stays claimed).
    func execute(_ job: ClaimedJob) throws -> Bool
}

/// Renders on a thread of this process (`CheckpointedRender`), marking the job as running so
/// that a crash of the process is told from a stop, and failing a job whose renders kept
/// crashing.
struct LocalExecutor: Executor {
    var render: CheckpointedRender

    func execute(_ claimed: ClaimedJob) throws -> Bool {
        let files = Claim.Files(of: claimed.folder)
        let saved = render.savedRender(of: claimed)
        if claimed.claim.crashes > 0 {
            claimed.note("the last \(claimed.claim.crashes == 1 ? "render" : "\(claimed.claim.crashes) renders") of this job never ended")
        }
        guard claimed.claim.crashes < render.config.maxAttempts else {
            throw RenderKeptFailing(crashes: claimed.claim.crashes, lastCheckpoint: saved?.checkpoint.iteration)
        }
        try OutputFile(path: files.running, truncate: true).close()
        defer { unlink(files.running) }  // however the render ends, it ended: not a crash
        return try render.run(claimed, from: saved)
    }
}
