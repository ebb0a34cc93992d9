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

/// Renders on a thread of this process, checkpointing at each frame, at least every
/// `checkpoint_seconds`, and when a stop is asked for.
struct LocalExecutor: Executor {
    var config: Config
    /// Checked at each iteration; true stops the render at the next checkpoint.
    var stopping: () -> Bool
    /// Told the job's iterations once they are known, then each iteration's report.
    var onPlanned: (Int) -> Void
    var onProgress: (IterationReport) -> Void

    func execute(_ claimed: ClaimedJob) throws -> Bool {
        let (job, name, claim, partial, note) = (claimed.folder, claimed.name, claimed.claim, claimed.partial, claimed.note)
        let files = Claim.Files(of: job)
        let saved: SavedRender?
        do {
            saved = FileManager.default.fileExists(atPath: files.checkpoint) ? try SavedRender.read(from: files.checkpoint) : nil
        } catch {
            note("the checkpoint cannot be read (\(error)); starting over")
            saved = nil
        }
        if claim.crashes > 0 { note("the last \(claim.crashes == 1 ? "render" : "\(claim.crashes) renders") of this job never ended") }
        guard claim.crashes < config.maxAttempts else { throw RenderKeptFailing(crashes: claim.crashes, lastCheckpoint: saved?.checkpoint.iteration) }
        let folder = JobFolder(url: job)
        let (parameters, profile, overrides) = try JobParameters.read(folder, config: config)
        // A resumed job keeps the parameters it began with, whatever the configuration says now.
        let resolved = try saved?.job ?? parameters.resolved(file: folder.manifestPath)
        try config.checkLimits(resolved, file: folder.manifestPath)
        if let saved {
            note("resuming at iteration \(saved.checkpoint.iteration) (scale \(saved.checkpoint.scale + 1) of \(resolved.scales.count)) from its checkpoint, with the optimiser's saved state (exact)")
        } else {
            note("claimed \(name); profile \(profile ?? "none"), overrides \(overrides), size \(resolved.size), \(resolved.iterations) iterations")
        }
        onPlanned(resolved.iterations)
        try OutputFile(path: files.running, truncate: true).close()
        defer { unlink(files.running) }  // however the render ends, it ended: not a crash
        var lastCheckpoint = Date()
        let checkpoints = Checkpoints(
            wanted: { iteration in
                resolved.frames.isFrame(iteration) || Date().timeIntervalSince(lastCheckpoint) >= config.checkpointSeconds || stopping()
            },
            save: { state in
                try state.write(to: files.checkpoint)
                lastCheckpoint = Date()
                note("checkpoint at iteration \(state.checkpoint.iteration)")
            })
        let renderer = JobRenderer(environment: RenderEnvironment(models: ModelStore(directory: config.models),
                                                                  grams: GramCache(directory: config.grams), limits: config.limits))
        let report = try renderer.render(folder: folder, job: resolved, into: partial, overrides: overrides,
                                         resume: saved, checkpoints: checkpoints) { report in
            onProgress(report)
            if report.isFrame || !resolved.frames.isOn { note("iteration \(report.iteration)/\(resolved.iterations) loss \(report.terms.total)") }
            return !stopping()
        }
        if report.stop == .cancelled && stopping() {
            note("stopped by a signal at iteration \(report.iterations); resumes from its checkpoint at the next start")
            return false
        }
        note("finished: \(report.iterations) iterations in \(String(format: "%.1f", report.wallSeconds)) s, loss \(report.final.loss)")
        return true
    }

}
