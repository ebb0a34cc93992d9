import Engine
import Foundation

/// Renders a claimed job into its partial folder, from its last checkpoint if it has one,
/// checkpointing at each frame, at least every `checkpoint_seconds`, and when a stop is asked
/// for: the render that `LocalExecutor` runs in the daemon and `styled work` on a Slurm node.
struct CheckpointedRender {
    var config: Config
    /// Checked at each iteration; true stops the render at the next checkpoint.
    var stopping: () -> Bool
    /// Told the job's iterations once they are known, then each iteration's report.
    var onPlanned: (Int) -> Void = { _ in }
    var onProgress: (IterationReport) -> Void = { _ in }

    /// The job's last checkpoint, or nil if it has none or it cannot be read (said in the job's log).
    func savedRender(of claimed: ClaimedJob) -> SavedRender? {
        let path = Claim.Files(of: claimed.folder).checkpoint
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do { return try SavedRender.read(from: path) } catch {
            claimed.note("the checkpoint cannot be read (\(error)); starting over")
            return nil
        }
    }

    /// Renders the job; returns false if a stop interrupted it (it resumes from its checkpoint).
    func run(_ claimed: ClaimedJob, from saved: SavedRender?) throws -> Bool {
        let (job, name, partial, note) = (claimed.folder, claimed.name, claimed.partial, claimed.note)
        let files = Claim.Files(of: job)
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
        var lastCheckpoint = Date()
        // A stop is read once per iteration, where the checkpoint is decided, and obeyed at that
        // same iteration: one asked for later (while the iteration's frame and log are written)
        // waits for the next, so that the render never stops past its last checkpoint.
        var stopNow = false
        let checkpoints = Checkpoints(
            wanted: { iteration in
                stopNow = stopping()
                return resolved.frames.isFrame(iteration) || Date().timeIntervalSince(lastCheckpoint) >= config.checkpointSeconds || stopNow
            },
            save: { state in
                let bytes = try state.write(to: files.checkpoint)
                lastCheckpoint = Date()
                note("checkpoint at iteration \(state.checkpoint.iteration) (\(DiskNeed.megabytes(bytes)))")
                return bytes
            })
        let renderer = JobRenderer(environment: RenderEnvironment(models: ModelStore(directory: config.models),
                                                                  grams: GramCache(directory: config.grams), limits: config.limits,
                                                                  memoryBudget: config.memoryBudget))
        let report = try renderer.render(folder: folder, job: resolved, into: partial, overrides: overrides,
                                         resume: saved, checkpoints: checkpoints, isStopping: stopping) { report in
            onProgress(report)
            if report.isFrame || !resolved.frames.isOn { note("iteration \(report.iteration)/\(resolved.iterations) loss \(report.terms.total)") }
            return !stopNow
        }
        if report.stop == .cancelled && stopping() {
            note("stopped by a signal at iteration \(report.iterations); resumes from its checkpoint at the next start")
            return false
        }
        note("finished: \(report.iterations) iterations in \(String(format: "%.1f", report.wallSeconds)) s, loss \(report.final.loss)")
        return true
    }
}
