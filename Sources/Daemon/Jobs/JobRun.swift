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
        case let error as SlurmJobFailed: self = error.kind
        case let error as WorkerFailure: self = FailureKind(rawValue: error.record["what"] ?? "") ?? .render
        default: self = .render
        }
    }
}

/// One claimed job's transaction: make its partial folder, have the executor render the job
/// into it, then file it, done or failed, into its outbox. Never throws: a failure is
/// filed with `error.json`; a stop, a full disk, a model that cannot be used or a Slurm
/// controller that does not answer leaves the job
/// claimed with its checkpoint, to be resumed.
struct JobRun {
    enum Outcome { case done, failed(FailureKind), leftClaimed(because: Error), unfileable }

    var job: URL
    var claim: Claim
    var inbox: Config.Inbox
    var claims: Claims
    var executor: Executor
    var logger: Logger
    /// A reason found before rendering (e.g. a disk too small for it): the job is filed failed at once.
    var refusal: Error?

    /// Whether an error is the server's, not the job's: the job stays claimed.
    static func leavesClaimed(_ error: Error) -> Bool {
        FileSystem.isOutOfSpace(error) || error is ModelUnavailable || (error as? SlurmError)?.isControllerDown == true
    }

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
        let note: (String) -> Void = { line in try? jobLog?.append(Array(ClaimedJob.logLine(line).utf8)) }
        defer { try? jobLog?.close() }
        var failure: Error?
        do {
            if let refusal { throw refusal }
            let finished = try executor.execute(ClaimedJob(folder: job, name: name, claim: claim, partial: partial, note: note))
            if !finished { return .leftClaimed(because: CancellationError()) }
        } catch where Self.leavesClaimed(error) {
            note("stopped: \(error); the job stays claimed and resumes from its checkpoint")
            return .leftClaimed(because: error)
        } catch {
            failure = error
            note("failed: \(error)")
            ErrorRecord.write(ErrorRecord.fields(of: error, job: name, folder: job), to: partial)
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
}
