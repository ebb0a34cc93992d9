import Engine
import Foundation

/// A claimed job's life on Slurm, kept in its claim record: the Slurm job rendering it now,
/// written durably as soon as sbatch returns (a restarted daemon re-attaches to it and never
/// submits the job twice), every Slurm job it ran as, and how many of those failed.
struct SlurmAttempt: Codable, Equatable {
    /// The job's copy in the work folder (`WorkCopy`), recorded before it is made.
    var copy: String?
    var current: String?
    var jobs: [String] = []
    var failures = 0
    /// The last iteration logged when a Slurm job of it ended.
    var reached: Int?
    /// The name token of a submission under way, recorded durably before sbatch runs: a
    /// daemon killed before it recorded the ID finds the Slurm job by it.
    var submitting: String?
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
        // Checked before a Slurm job is spent on it (the worker reads it again). A job already
        // on Slurm is watched whatever the configuration says now: it renders as it began.
        let folder = JobFolder(url: claimed.folder)
        let resolved = Result { try JobParameters.read(folder, config: config).0.resolved(file: folder.manifestPath) }
        if claim.slurm == nil { try config.checkLimits(try resolved.get(), file: folder.manifestPath) }
        onPlanned((try? resolved.get())?.iterations ?? 0)
        if claim.slurm?.copy == nil {
            claim.slurm = claim.slurm ?? SlurmAttempt()
            claim.slurm?.copy = WorkCopy.place(in: settings.work).job.path
            try claim.write(to: files.claim)
        }
        let copy = WorkCopy(job: URL(fileURLWithPath: claim.slurm?.copy ?? ""))
        try copy.make(from: claimed.folder, claim: claim)
        let worker = copy.worker
        try createFolder(worker.outputs)
        try createFolder(logs)
        while true {
            var attempt = claim.slurm ?? SlurmAttempt()
            if attempt.current == nil {
                // A daemon killed between sbatch and the record looks its job up by the name it
                // was given, rather than submit a second one into the same folder.
                if let token = attempt.submitting, let submitted = try client.jobs(named: Self.jobName(token)).last {
                    claimed.note("found Slurm job \(submitted), submitted just before an interruption")
                    attempt.current = submitted.description
                } else {
                    attempt.submitting = String(UInt64.random(in: 0...UInt64.max), radix: 16)
                    claim.slurm = attempt
                    try claim.write(to: files.claim)
                    let id = try client.submit(.command([settings.styled, "work", "--config", URL(fileURLWithPath: config.file).path]),
                                               options: options(for: copy, name: Self.jobName(attempt.submitting!)))
                    claimed.note("submitted as Slurm job \(id)")
                    attempt.current = id.description
                }
                attempt.submitting = nil
                attempt.jobs.append(attempt.current!)
                claim.slurm = attempt
                try claim.write(to: files.claim)
            } else {
                claimed.note("watching Slurm job \(attempt.current!) again")
            }
            let id = SlurmJobID(Substring(attempt.current!)) ?? SlurmJobID(0)
            guard let ending = watch(id, worker: worker) else { return false }
            attempt.current = nil
            switch ending {
            case .done:
                try collect(worker, into: claimed.partial, jobs: attempt.jobs)
                claimed.note("Slurm job \(id) finished the render")
                return true
            case .failed(let record):
                throw WorkerFailure(record: record.merging(["slurm_job": id.description]) { $1 })
            case .cancelled:
                throw SlurmJobFailed(job: id.description, reason: "cancelled by Slurm", kind: .render, log: tail(log(of: id)))
            case .resumable(let why), .crashed(let why):
                // A crash, or a stop that got no further than the last one (a time limit too
                // short to reach a checkpoint), counts against max_attempts.
                let reached = LogRecord.last(in: worker.outputs)?.iteration ?? -1
                if case .crashed = ending { attempt.failures += 1 } else if reached <= attempt.reached ?? -1 { attempt.failures += 1 }
                attempt.reached = reached
                guard attempt.failures < config.maxAttempts else {
                    throw SlurmJobFailed(job: id.description, reason: "\(why), \(attempt.failures) times", kind: .crash, log: tail(log(of: id)))
                }
                claimed.note("Slurm job \(id) \(why); resubmitting from the checkpoint")
            }
            claim.slurm = attempt
            try claim.write(to: files.claim)
        }
    }

    /// A Slurm job's name: a token of its own, so that it is found again by it alone (the
    /// user's folder name could hold anything: commas, `%`, newlines, `JobState=`).
    static func jobName(_ token: String) -> String { "styled-" + token }

    /// The Slurm logs of this daemon's jobs, by Slurm job ID: a path Slurm sees nothing of the
    /// user's names in.
    private var logs: URL { settings.work.appendingPathComponent("slurm-logs") }
    private func log(of id: SlurmJobID) -> URL { logs.appendingPathComponent("slurm-\(id).log") }

    /// The job goes to the worker through the environment, and the working folder and log are
    /// the daemon's own: no user-chosen name reaches sbatch's arguments or scontrol's output.
    /// `--no-requeue` comes last: a requeue would run the same job ID again beside the next
    /// one the daemon submits.
    private func options(for copy: WorkCopy, name: String) -> SlurmSubmitOptions {
        SlurmSubmitOptions(jobName: name, partition: settings.partition, account: settings.account,
                           cpusPerTask: settings.cpusPerTask, memory: settings.memory, timeLimit: settings.timeLimit,
                           workingDirectory: settings.work.path, output: logs.appendingPathComponent("slurm-%j.log").path,
                           preLimitSignal: settings.timeLimit.map { _ in SlurmPreLimitSignal(seconds: settings.signalSeconds) },
                           environment: [WorkCommand.jobVariable: copy.job.path],
                           extraArguments: settings.extraArgs + ["--no-requeue"])
    }

    /// Looks at the Slurm job every `poll_seconds` until it ends; nil if the daemon stops first.
    /// A controller that does not answer, or an answer not understood, is waited out: the job
    /// is not failed for it, and the watchdog hears that the daemon is still watching.
    private func watch(_ id: SlurmJobID, worker: WorkerOutcome.File) -> Ending? {
        while true {
            let info: SlurmJobInfo?
            do { info = try client.jobInfo(id) } catch {
                onWatch(SlurmView(job: id.description, state: "UNKNOWN", reason: "\(error)"), nil)
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
        if outcome == .done { return .done }  // finished, whatever came after
        if state == .cancelled { return .cancelled }  // an operator's scancel: not retried
        if case .failed(let record) = outcome { return .failed(record) }
        if outcome == .interrupted { return .resumable("stopped at a checkpoint (\(state?.description ?? "ended"))") }
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
        let logs = jobs.compactMap { SlurmJobID(Substring($0)).map(log(of:)) }.filter(FileSystem.exists)
        for source in try FileManager.default.contentsOfDirectory(atPath: worker.outputs.path).map(worker.outputs.appendingPathComponent) + logs {
            let target = partial.appendingPathComponent(source.lastPathComponent)
            // There already: a collection cut short after the copy's rename, before its source went.
            if FileSystem.exists(target) { try FileManager.default.removeItem(at: source) } else { try FileSystem.relocate(source, to: target) }
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
