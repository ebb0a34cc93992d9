import Engine
import Foundation
import Logging

/// What failed, as error.json's `what` and the metrics' `reason` say.
enum FailureKind: String, CaseIterable, Codable {
    case manifest, file, render, crash

    init(of error: Error) {
        switch error {
        case is ManifestError: self = .manifest
        case is FileError: self = .file
        case is RenderKeptFailing: self = .crash
        default: self = .render
        }
    }
}

/// One claimed job's transaction: render it into its partial folder (from its checkpoint, if
/// it has one), then file it, done or failed, into its outbox. Never throws: a failure is
/// filed with `error.json`; a stop, a full disk or a model that cannot be used leaves the job
/// claimed with its checkpoint, to be resumed.
struct JobRun {
    enum Outcome { case done, failed(FailureKind), leftClaimed(because: Error), unfileable }

    var job: URL
    var claim: Claim
    var inbox: Config.Inbox
    var config: Config
    var claims: Claims
    var logger: Logger
    /// Checked at each iteration; true stops the render at the next checkpoint.
    var stopping: () -> Bool
    /// Told the job's iterations once they are known, then each iteration's report.
    var onPlanned: (Int) -> Void
    var onProgress: (IterationReport) -> Void
    /// A reason found before rendering (e.g. a disk too small for it): the job is filed failed at once.
    var refusal: Error?

    /// Whether an error is the server's, not the job's: the job stays claimed.
    static func leavesClaimed(_ error: Error) -> Bool { FileSystem.isOutOfSpace(error) || error is ModelUnavailable }

    func run() -> Outcome {
        let began = Date()
        let name = claim.name ?? job.lastPathComponent
        let files = Claim.Files(of: job)
        var claim = self.claim
        let partial: URL
        do {
            if FileManager.default.fileExists(atPath: files.running) { claim.crashes += 1 }
            partial = try claims.makePartial(for: job, claim: &claim, outbox: inbox.outbox)
            try claim.write(to: files.claim)
            unlink(files.running)
        } catch {
            return .leftClaimed(because: error)
        }
        let jobLog = try? OutputFile(path: partial.appendingPathComponent("job.log").path)
        let note: (String) -> Void = { line in try? jobLog?.append(Array("\(ISO8601DateFormatter().string(from: Date())) \(line)\n".utf8)) }
        defer { try? jobLog?.close() }
        var failure: Error?
        do {
            if let refusal { throw refusal }
            let stopped = try render(name: name, claim: claim, files: files, partial: partial, note: note)
            if stopped { return .leftClaimed(because: CancellationError()) }
        } catch where Self.leavesClaimed(error) {
            note("stopped: \(error); the job stays claimed and resumes from its checkpoint")
            return .leftClaimed(because: error)
        } catch {
            failure = error
            note("failed: \(error)")
            writeError(error, job: name, to: partial)
        }
        try? jobLog?.close()
        do {
            let filed = try claims.file(job, claim: claim, partial: partial, outbox: inbox.outbox)
            if let failure {
                logger.warning("failed", metadata: ["job": "\(name)", "outbox": "\(filed.path)", "reason": "\(failure)"])
            } else {
                logger.info("done", metadata: ["job": "\(name)", "outbox": "\(filed.path)", "seconds": "\(String(format: "%.1f", Date().timeIntervalSince(began)))"])
            }
        } catch where FileSystem.isOutOfSpace(error) {
            return .leftClaimed(because: error)
        } catch {
            logger.error("cannot file the job; it stays in processing until a restart", metadata: ["job": "\(name)", "reason": "\(error)"])
            return .unfileable
        }
        return failure.map { .failed(FailureKind(of: $0)) } ?? .done
    }

    /// Renders with checkpoints; returns true if a stop interrupted it.
    private func render(name: String, claim: Claim, files: Claim.Files, partial: URL, note: @escaping (String) -> Void) throws -> Bool {
        let saved: SavedRender?
        do {
            saved = FileManager.default.fileExists(atPath: files.checkpoint) ? try SavedRender.read(from: files.checkpoint) : nil
        } catch {
            note("the checkpoint cannot be read (\(error)); starting over")
            saved = nil
        }
        if claim.crashes > 0 { note("the last \(claim.crashes == 1 ? "render" : "\(claim.crashes) renders") of this job never ended") }
        guard claim.crashes < config.maxAttempts else { throw RenderKeptFailing(crashes: claim.crashes, lastCheckpoint: saved?.iteration) }
        let folder = JobFolder(url: job)
        let (parameters, profile, overrides) = try JobParameters.read(folder, config: config)
        // A resumed job keeps the parameters it began with, whatever the configuration says now.
        let resolved = try saved?.job ?? parameters.resolved(file: folder.manifestPath)
        try config.checkLimits(resolved, file: folder.manifestPath)
        if let saved {
            note("resuming at iteration \(saved.iteration) (scale \(saved.scale + 1) of \(resolved.scales.count)) from its checkpoint, with the optimiser's saved state (exact)")
        } else {
            note("claimed \(name); profile \(profile ?? "none"), overrides \(overrides), size \(resolved.size), \(resolved.iterations) iterations")
        }
        onPlanned(resolved.iterations)
        try OutputFile(path: files.running, truncate: true).close()
        defer { unlink(files.running) }  // however the render ends, it ended: not a crash
        var lastCheckpoint = Date()
        let checkpoints = Checkpoints(
            wanted: { iteration in
                (resolved.frameEvery > 0 && iteration % resolved.frameEvery == 0)
                    || Date().timeIntervalSince(lastCheckpoint) >= config.checkpointSeconds || stopping()
            },
            save: { state in
                try state.write(to: files.checkpoint)
                lastCheckpoint = Date()
                note("checkpoint at iteration \(state.iteration)")
            })
        let renderer = JobRenderer(environment: RenderEnvironment(models: ModelStore(directory: config.models),
                                                                  grams: GramCache(directory: config.grams), limits: config.limits))
        let report = try renderer.render(folder: folder, job: resolved, into: partial, overrides: overrides,
                                         resume: saved, checkpoints: checkpoints) { report in
            onProgress(report)
            if report.iteration % max(1, resolved.frameEvery) == 0 { note("iteration \(report.iteration)/\(resolved.iterations) loss \(report.terms.total)") }
            return !stopping()
        }
        if report.stop == "\(LBFGSB.Stop.cancelled)" && stopping() {
            note("stopped by a signal at iteration \(report.iterations); resumes from its checkpoint at the next start")
            return true
        }
        note("finished: \(report.iterations) iterations in \(String(format: "%.1f", report.wallSeconds)) s, loss \(report.final.loss)")
        return false
    }

    /// `error.json`: what failed, where, and why. Paths into `state/processing` (gone once the
    /// job is filed) are given as the filed folder's `inputs/`.
    private func writeError(_ error: Error, job name: String, to folder: URL) {
        func filed(_ text: String) -> String { text.replacingOccurrences(of: job.path + "/", with: "inputs/").replacingOccurrences(of: job.path, with: "inputs") }
        var record: [String: String] = ["job": name, "error": filed("\(error)"), "what": FailureKind(of: error).rawValue,
                                        "time": ISO8601DateFormatter().string(from: Date())]
        switch error {
        case let error as ManifestError:
            record["where"] = filed(error.field.map { "\(error.file): \($0)" } ?? error.file)
            record["why"] = filed(error.reason)
        case let error as FileError:
            record["where"] = filed(error.path)
            record["why"] = filed(error.reason)
        default:
            record["why"] = filed("\(error)")
        }
        if let data = try? JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys]) {
            try? writeFileAtomically(Array(data) + [0x0A], to: folder.appendingPathComponent("error.json").path)
        }
    }
}
