import Engine
import Foundation

/// A claimed job's life on Slurm, kept in its claim record: the Slurm job rendering it now,
/// written durably as soon as sbatch returns (a restarted daemon re-attaches to it and never
/// submits the job twice), every Slurm job it ran as, and how many of those failed.
struct SlurmAttempt: Codable, Equatable {
    var current: String?
    var jobs: [String] = []
    var failures = 0
    /// Set durably before sbatch runs: a daemon killed before it recorded the ID looks the
    /// Slurm job up by its name instead of submitting a second one into the same folder.
    var submitting = false
}

/// A Slurm job as status.json shows it: PENDING with its reason, RUNNING with its node.
struct SlurmView: Codable, Equatable {
    var job: String
    var state: String
    var reason: String?
    var node: String?
}

/// Renders a claimed job as a chain of Slurm jobs running `styled work`, each from the last
/// checkpoint, until one finishes it, fails it, or it is cancelled. The daemon only submits
/// and watches: the cluster's scheduler places the renders. A stop of the daemon leaves the
/// Slurm job running; the next start re-attaches to it.
struct SlurmExecutor: Executor {
    var config: Config
    var settings: SlurmSettings
    var client: SlurmClient
    var stopping: () -> Bool
    var onPlanned: (Int) -> Void
    /// The Slurm job's state and the worker's last log record, at each look.
    var onWatch: (SlurmView, LogRecord?) -> Void

    /// How a Slurm job of the render ended, as the daemon acts on it.
    enum Ending: Equatable {
        case done, failed([String: String]), cancelled
        /// Ended before the render did, with a checkpoint (the time limit, a preemption): go on.
        case resumable(String)
        /// Ended without a word from the worker (a crash, a lost node): go on, up to `max_attempts`.
        case crashed(String)
    }

    func execute(_ claimed: ClaimedJob) throws -> Bool {
        var claim = claimed.claim
        let files = Claim.Files(of: claimed.folder)
        let worker = WorkerOutcome.File(slurmFolder: URL(fileURLWithPath: files.slurm))
        try createFolder(worker.outputs)
        // Checked here, before a Slurm job is spent on it; the worker reads it again.
        let folder = JobFolder(url: claimed.folder)
        let resolved = try JobParameters.read(folder, config: config).0.resolved(file: folder.manifestPath)
        try config.checkLimits(resolved, file: folder.manifestPath)
        onPlanned(resolved.iterations)
        while true {
            var attempt = claim.slurm ?? SlurmAttempt()
            let id: SlurmJobID
            if let current = attempt.current.flatMap({ SlurmJobID(Substring($0)) }) {
                id = current
                claimed.note("watching Slurm job \(id) again")
            } else if attempt.submitting, let submitted = try client.jobs(named: Self.jobName(claimed)).last {
                id = submitted
                claimed.note("found Slurm job \(id), submitted just before an interruption")
                (attempt.submitting, attempt.current) = (false, id.description)
                attempt.jobs.append(id.description)
                claim.slurm = attempt
                try claim.write(to: files.claim)
            } else {
                attempt.submitting = true
                claim.slurm = attempt
                try claim.write(to: files.claim)
                worker.clear()
                id = try client.submit(.command([settings.styled, "work", "--config", URL(fileURLWithPath: config.file).path, claimed.folder.path]),
                                       options: options(for: claimed, worker: worker))
                (attempt.submitting, attempt.current) = (false, id.description)
                attempt.jobs.append(id.description)
                claim.slurm = attempt
                try claim.write(to: files.claim)
                claimed.note("submitted as Slurm job \(id)")
            }
            guard let ending = try watch(id, worker: worker) else { return false }
            attempt.current = nil
            switch ending {
            case .done:
                try collect(worker, into: claimed.partial, jobs: attempt.jobs)
                claimed.note("Slurm job \(id) finished the render")
                return true
            case .failed(let record):
                throw WorkerFailure(record: record.merging(["slurm_job": id.description]) { $1 })
            case .cancelled:
                throw SlurmJobFailed(job: id.description, reason: "cancelled by Slurm", kind: .render, log: tail(worker.log(of: id.description)))
            case .resumable(let why):
                claimed.note("Slurm job \(id) \(why); resubmitting from the checkpoint")
            case .crashed(let why):
                attempt.failures += 1
                guard attempt.failures < config.maxAttempts else {
                    throw SlurmJobFailed(job: id.description, reason: "\(why), \(attempt.failures) times", kind: .crash, log: tail(worker.log(of: id.description)))
                }
                claimed.note("Slurm job \(id) \(why); resubmitting from the checkpoint (attempt \(attempt.failures + 1) of \(config.maxAttempts))")
            }
            claim.slurm = attempt
            try claim.write(to: files.claim)
        }
    }

    /// The Slurm job's name: its folder's in processing, which no other claimed job has.
    static func jobName(_ claimed: ClaimedJob) -> String { "styled-" + claimed.folder.lastPathComponent }

    private func options(for claimed: ClaimedJob, worker: WorkerOutcome.File) -> SlurmSubmitOptions {
        SlurmSubmitOptions(jobName: Self.jobName(claimed), partition: settings.partition, account: settings.account,
                           cpusPerTask: settings.cpusPerTask, memory: settings.memory, timeLimit: settings.timeLimit,
                           workingDirectory: worker.slurmFolder.path, output: worker.log(of: "%j").path,
                           preLimitSignal: settings.timeLimit.map { _ in SlurmPreLimitSignal(seconds: settings.signalSeconds) },
                           extraArguments: settings.extraArgs)
    }

    /// Looks at the Slurm job every `poll_seconds` until it ends; nil if the daemon stops first.
    /// A controller that does not answer is waited for: the job is not failed for it.
    private func watch(_ id: SlurmJobID, worker: WorkerOutcome.File) throws -> Ending? {
        while true {
            let info: SlurmJobInfo?
            do { info = try client.jobInfo(id) } catch let error as SlurmError where error.isControllerDown {
                if !pause(settings.pollSeconds) { return nil }
                continue
            }
            guard let info, info.state.isFinal else {
                let view = info.map { SlurmView(job: id.description, state: $0.state.description, reason: $0.state == .pending ? $0.reason : nil, node: $0.nodeList) }
                onWatch(view ?? SlurmView(job: id.description, state: "GONE"), LogRecord.last(in: worker.outputs))
                if info == nil { return Self.ending(state: nil, exit: nil, outcome: worker.read()) }  // ended long ago
                if !pause(settings.pollSeconds) { return nil }
                continue
            }
            return Self.ending(state: info.state, exit: info.exitCode, outcome: worker.read())
        }
    }

    /// What to do after a Slurm job ended in `state` (nil: Slurm no longer knows it) with
    /// `exit`, given what its worker left (`outcome`).
    static func ending(state: SlurmJobState?, exit: SlurmExitCode?, outcome: WorkerOutcome?) -> Ending {
        if state == .cancelled { return .cancelled }  // an operator's scancel: not retried
        switch outcome {
        case .done: return .done
        case .failed(let record): return .failed(record)
        case .interrupted: return .resumable("stopped at a checkpoint (\(state?.description ?? "ended"))")
        case nil: break
        }
        switch state {
        case .timeout?: return .resumable("reached its time limit")
        case .preempted?, .requeued?: return .resumable("was preempted")
        case nil: return .crashed("ended while the daemon was away, without an outcome")
        case let state?: return .crashed("ended \(state) with exit code \(exit?.description ?? "unknown") and no outcome from the worker")
        }
    }

    /// Waits up to `seconds`, looking for a stop; false if one came.
    private func pause(_ seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if stopping() { return false }
            Thread.sleep(forTimeInterval: min(0.2, max(0, deadline.timeIntervalSinceNow)))
        }
        return !stopping()
    }

    /// Moves the worker's outputs and its Slurm logs into the partial folder (across
    /// filesystems if need be) and names the Slurm jobs in report.json. Whatever an
    /// interrupted collection moved already is no longer where it was.
    private func collect(_ worker: WorkerOutcome.File, into partial: URL, jobs: [String]) throws {
        let logs = jobs.map { worker.log(of: $0) }.filter(FileSystem.exists)
        for source in try FileManager.default.contentsOfDirectory(atPath: worker.outputs.path).map(worker.outputs.appendingPathComponent) + logs {
            try FileSystem.relocate(source, to: partial.appendingPathComponent(source.lastPathComponent))
        }
        let report = partial.appendingPathComponent("report.json")
        guard var record = (try? Data(contentsOf: report)).flatMap({ try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }) else { return }
        record["slurm_jobs"] = jobs
        try writeFileAtomically(Array(try JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys])) + [0x0A], to: report.path)
    }

    /// The last lines of a worker's Slurm log, for error.json.
    private func tail(_ log: URL) -> String {
        let bytes = (try? readRegularFile(log.path, maxBytes: 1 << 30)) ?? []
        return String(decoding: bytes.suffix(2000), as: UTF8.self).split(separator: "\n").suffix(10).joined(separator: "\n")
    }
}

/// A Slurm job of a render that ended so that the render cannot go on: cancelled, or failed
/// more often than `max_attempts` allows.
struct SlurmJobFailed: Error, CustomStringConvertible {
    var job: String
    var reason: String
    var kind: FailureKind
    var log: String

    var description: String { "Slurm job \(job): \(reason)" + (log.isEmpty ? "" : "; the worker's output ended:\n\(log)") }
}

extension LogRecord {
    /// The last record of a `log.jsonl` in `folder`, if it has one.
    static func last(in folder: URL) -> LogRecord? {
        let bytes = (try? readRegularFile(folder.appendingPathComponent("log.jsonl").path, maxBytes: 1 << 30)) ?? []
        return bytes.split(separator: 0x0A).last.flatMap { try? JSONDecoder().decode(LogRecord.self, from: Data($0)) }
    }
}
