import Engine
import Foundation
import Logging

/// The daemon: watches the inboxes, claims ready jobs and runs each on a thread of its own
/// (see `Claims` for a job's way from inbox to outbox and `JobRun` for one job), pausing
/// intake while the disk is short or a model cannot be used, reloading on SIGHUP and
/// stopping on SIGTERM. One lock (`condition`) guards the loop's few variables; no file is
/// written or synced while it is held.
final class Service: @unchecked Sendable {
    /// The configuration now: SIGHUP replaces it (a running job keeps the parameters it began with).
    var config: Config { condition.withLock { currentConfig } }
    var currentConfig: Config
    let logger: Logger
    let drain: Bool

    let notifier = SystemdNotifier()
    let telemetry: Telemetry
    let scanner = InboxScanner()
    private let claims: Claims
    private let models: ModelCheck
    private let lock: StateLock

    let condition = NSCondition()
    var woken = false
    var stopping = false
    private var running: Set<String> = []
    /// Why intake is paused (short disk, a model that cannot be used), or nil.
    private var paused: String?
    /// After a write failed for space, no claim before this time even if space seems free.
    private var spaceRetryAfter = Date.distantPast
    /// Jobs this process could not file; they wait for a restart rather than a retry loop.
    private var unfileable: Set<String> = []
    /// A job that may have crashed the process runs, alone.
    private var suspectRunning = false
    /// The jobs that waited for disk space at the last scan.
    private var lastWaiting: [Telemetry.Note] = []
    /// The Slurm controller's last check: when, and what was wrong.
    private var controllerCheck: (at: Date, problem: String?)?
    /// When a job last made progress (or the loop last ran while idle), for the watchdog.
    var lastProgress = Date()

    /// Takes the state folder's lock, checks the layout and the models; throws why the
    /// daemon cannot start.
    init(config: Config, logger: Logger, drain: Bool) throws {
        self.currentConfig = config
        self.logger = logger
        self.drain = drain
        for folder in [config.state, config.processing] + config.inboxes.flatMap({ [$0.path, $0.outbox] }) { try createFolder(folder) }
        lock = try StateLock(state: config.state)
        try Layout.check(config)
        models = ModelCheck(store: ModelStore(directory: config.models), config: config)
        if let problem = models.problem() { throw FileError(path: config.models.path, reason: problem) }
        claims = Claims(processing: config.processing, owner: try config.owner())
        telemetry = Telemetry(statusFile: config.state.appendingPathComponent("status.json"), metricsFile: config.metricsFile, notifier: notifier)
    }

    // MARK: The loop

    func run() throws {
        Parallel.setWorkers(config.threadsPerJob)
        let watcher = Watcher(inboxes: config.inboxes.map(\.path)) { [weak self] hint in self?.hint(hint) }
        try watcher.start()  // watches first, then the scan: nothing falls between
        defer { watcher.stop() }
        logger.info("watching \(config.inboxes.map(\.path.path).joined(separator: ", "))", metadata: ["drain": "\(drain)"])
        for line in claims.recover(inboxes: config.inboxes) { logger.notice("\(line)") }
        notifier.ready(status: "watching \(config.inboxes.count) inbox(es)")
        telemetry.publish()
        startWatchdog()
        while !condition.withLock({ stopping }) {
            let configuration = config
            let resumable = self.resumable(configuration)
            let scan = scanner.scan(configuration.inboxes)
            for note in scan.newlyNotJobs { logger.warning("\(note.reason)", metadata: ["folder": "\(note.job)"]) }
            var waiting: [Telemetry.Note] = []
            let pause = intakePause(configuration)
            var started = 0
            for (folder, inbox) in resumable.map({ ($0, Optional<Config.Inbox>.none) }) + scan.ready.map({ ($0.folder, Optional($0.inbox)) }) {
                guard pause == nil, condition.withLock({ running.count < configuration.rendersAtOnce && !suspectRunning }) else { break }
                if condition.withLock({ running.contains(folder.path) }) { continue }  // its claim is under way
                // A job whose last render never ended may be what crashed the process: it runs
                // alone, so that a crash it causes again is not counted against a job beside it.
                let suspect = inbox == nil && configuration.slurm == nil && FileSystem.exists(URL(fileURLWithPath: Claim.Files(of: folder).running))
                if suspect && (started > 0 || condition.withLock({ !running.isEmpty })) { continue }
                switch fit(folder, configuration) {
                case .wait(let reason): waiting.append(.init(job: folder.path, reason: reason))
                case .fits: start(folder, inbox: inbox, configuration, refusal: nil, alone: suspect); started += 1
                case .never(let reason): start(folder, inbox: inbox, configuration, refusal: FileError(path: folder.path, reason: reason), alone: suspect); started += 1
                }
                if suspect { break }
            }
            if waiting != lastWaiting {
                for note in waiting { logger.notice("waiting for disk space", metadata: ["job": "\(note.job)", "reason": "\(note.reason)"]) }
            }
            lastWaiting = waiting
            telemetry.set(paused: pause, waiting: waiting, notJobs: scan.notJobs)
            let idle = condition.withLock { running.isEmpty }
            if idle { condition.withLock { lastProgress = Date() } }
            if drain && idle && started == 0 && !scanner.unsettled && (pause != nil || (resumable.isEmpty && scan.ready.isEmpty) || !waiting.isEmpty) { break }
            // Wait for an event, a finished job, or the next periodic scan (sooner while a manifest settles).
            let wait = scanner.unsettled ? InboxScanner.settleSeconds / 2 : configuration.rescanSeconds
            condition.withLock {
                let deadline = Date().addingTimeInterval(wait)
                while !woken && !stopping && Date() < deadline { _ = condition.wait(until: deadline) }
                woken = false
            }
        }
        condition.withLock { while !running.isEmpty { condition.wait() } }
        let counts = telemetry.counts, pausedAtEnd = condition.withLock { paused }
        logger.info("stopped", metadata: ["done": "\(counts.done)", "failed": "\(counts.failed)"])
        if drain, let reason = pausedAtEnd.map({ "intake paused, \($0)" }) ?? lastWaiting.first.map({ "\($0.job) waits: \($0.reason)" }) {
            throw FileError(path: config.state.path, reason: "jobs are left queued: \(reason)")
        }
    }

    /// Why no job may be claimed now: too little free space where outputs and state go, a
    /// model that cannot be used, or a recent full disk; nil when intake may go on.
    private func intakePause(_ configuration: Config) -> String? {
        let places = [configuration.state] + configuration.inboxes.map(\.outbox)
        let short = places.lazy.compactMap { place in
            FileSystem.freeBytes(at: place).flatMap { $0 < configuration.minFreeBytes ? "low disk space: \($0 / 1_048_576) MB free at \(place.path), below \(configuration.minFreeBytes / 1_048_576) MB" : nil }
        }.first
        let reason = short ?? models.problem() ?? slurmProblem(configuration) ?? condition.withLock { Date() < spaceRetryAfter ? paused : nil }
        let before = condition.withLock { () -> String? in
            defer { paused = reason }
            return paused
        }
        if let reason, before != reason { logger.warning("intake paused: \(reason)") }
        if reason == nil, before != nil { logger.notice("intake resumed") }
        return reason
    }

    /// Why Slurm cannot take jobs now (its controller does not answer), or nil. Asked at most
    /// once every `poll_seconds`: the loop runs at every inotify hint.
    private func slurmProblem(_ configuration: Config) -> String? {
        guard let settings = configuration.slurm else { return nil }
        if let last = condition.withLock({ controllerCheck }), Date().timeIntervalSince(last.at) < settings.pollSeconds { return last.problem }
        let answers = (try? SlurmClient(timeout: settings.commandSeconds).ping()) == true
        let problem = answers ? nil : "the Slurm controller does not answer (scontrol ping)"
        condition.withLock { controllerCheck = (Date(), problem) }
        return problem
    }

    /// Renders here, or on Slurm as the configuration says.
    private func executor(for key: String, render: CheckpointedRender, _ configuration: Config) -> Executor {
        guard let settings = configuration.slurm else { return LocalExecutor(render: render) }
        return SlurmExecutor(config: configuration, settings: settings, client: SlurmClient(timeout: settings.commandSeconds),
                             stopping: render.stopping, onPlanned: render.onPlanned,
                             onWatch: { [self] view, record in
                                 condition.withLock { lastProgress = Date() }
                                 telemetry.slurm(key, view, record)
                             })
    }

    enum Fit { case fits, wait(String), never(String) }

    /// Whether the job's outputs and checkpoints fit on the disks now (see `DiskNeed`). A job
    /// whose manifest cannot be read is claimed anyway, to be failed with the reason.
    private func fit(_ folder: URL, _ configuration: Config) -> Fit {
        let job = JobFolder(url: folder)
        guard let parameters = try? JobParameters.read(job, config: configuration).0,
              let resolved = try? parameters.resolved(file: job.manifestPath),
              let inbox = configuration.inboxes.first(where: { folder.path.hasPrefix($0.path.path + "/") }) ?? claimedInbox(folder, configuration)
        else { return .fits }
        let need = DiskNeed(job: resolved, inputs: DiskNeed.size(of: folder), inbox: inbox.path, processing: configuration.processing, outbox: inbox.outbox)
        guard let (reason, never) = need.shortfall(keepingFree: configuration.minFreeBytes) else { return .fits }
        return never ? .never(reason) : .wait(reason)
    }

    private func claimedInbox(_ job: URL, _ configuration: Config) -> Config.Inbox? {
        let recorded = Claim.read(Claim.Files(of: job).claim)?.inbox
        return configuration.inboxes.first { $0.path.path == recorded }
    }

    /// Claimed jobs that are not running: interrupted by a stop, a crash or a full disk. They go before new jobs.
    private func resumable(_ configuration: Config) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: configuration.processing.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { configuration.processing.appendingPathComponent($0) }
            .filter { folder in condition.withLock { !running.contains(folder.path) && !unfileable.contains(folder.path) } }
    }

    /// Claims `folder` from `inbox` (nil: a job claimed before) and runs it on its own thread.
    private func start(_ folder: URL, inbox: Config.Inbox?, _ configuration: Config, refusal: Error?, alone: Bool) {
        condition.withLock {
            running.insert(folder.path)
            if alone { suspectRunning = true }
        }
        let thread = Thread { [self] in
            var key = folder.path
            defer {
                condition.withLock {
                    running.remove(folder.path)
                    running.remove(key)
                    if alone { suspectRunning = false }
                    woken = true
                    condition.broadcast()
                }
            }
            guard let (job, claim, inbox) = take(folder, from: inbox, configuration) else { return }
            key = job.path
            condition.withLock { _ = running.insert(key) }
            telemetry.started(key, job: claim.name ?? job.lastPathComponent, inbox: inbox.path.path)
            let render = CheckpointedRender(config: configuration, stopping: { [self] in condition.withLock { stopping } },
                                            onPlanned: { [self] in telemetry.planned(key, iterations: $0) },
                                            onProgress: { [self] report in
                                                condition.withLock { lastProgress = Date() }
                                                telemetry.progress(key, report)
                                            })
            let executor = executor(for: key, render: render, configuration)
            let run = JobRun(job: job, claim: claim, inbox: inbox, claims: claims, executor: executor, logger: logger, refusal: refusal)
            let outcome = run.run()
            switch outcome {
            case .done: telemetry.ended(key, .done)
            case .failed(let kind): telemetry.ended(key, .failed(kind))
            case .leftClaimed(let error): leftClaimed(job, because: error)
            case .unfileable: condition.withLock { _ = unfileable.insert(key) }; telemetry.ended(key, .left)
            }
        }
        thread.name = "job \(folder.lastPathComponent)"
        thread.start()
    }

    /// The claimed job, its record and its inbox: claimed now from an inbox, or taken up again.
    private func take(_ folder: URL, from inbox: Config.Inbox?, _ configuration: Config) -> (URL, Claim, Config.Inbox)? {
        guard let inbox else {
            let recorded = Claim.read(Claim.Files(of: folder).claim)
            let inbox = configuration.inboxes.first { $0.path.path == recorded?.inbox } ?? configuration.inboxes[0]
            logger.info("resuming", metadata: ["job": "\(folder.lastPathComponent)"])
            return (folder, recorded ?? Claim(inbox: inbox.path.path, name: folder.lastPathComponent, crashes: 0), inbox)
        }
        scanner.forget(folder)
        do {
            guard let (job, claim) = try claims.claim(folder, from: inbox) else { return nil }  // another daemon was first
            telemetry.claimed()
            logger.info("claimed", metadata: ["job": "\(folder.lastPathComponent)", "inbox": "\(inbox.path.path)"])
            return (job, claim, inbox)
        } catch {
            logger.warning("cannot claim the job; it stays in its inbox", metadata: ["job": "\(folder.lastPathComponent)", "reason": "\(error)"])
            if FileSystem.isOutOfSpace(error) { backOff(because: "disk full while claiming \(folder.lastPathComponent)", configuration) }
            return nil
        }
    }

    /// A job that cannot go on now stays claimed: a stop resumes it at the next start; a full
    /// disk or a model that cannot be used pauses intake, and it resumes when that passes.
    private func leftClaimed(_ job: URL, because error: Error) {
        telemetry.ended(job.path, .left)
        if error is CancellationError {
            logger.notice("stopped mid-render; the job resumes at the next start", metadata: ["job": "\(job.lastPathComponent)"])
        } else if FileSystem.isOutOfSpace(error) {
            logger.warning("disk full; the job stays claimed with its checkpoint, intake paused", metadata: ["job": "\(job.lastPathComponent)", "reason": "\(error)"])
            backOff(because: "disk full while rendering \(job.lastPathComponent)", config)
        } else {
            logger.error("the job stays claimed; intake paused", metadata: ["job": "\(job.lastPathComponent)", "reason": "\(error)"])
            backOff(because: "\(error)", config)
        }
    }

    private func backOff(because reason: String, _ configuration: Config) {
        condition.withLock {
            paused = reason
            spaceRetryAfter = Date().addingTimeInterval(configuration.rescanSeconds)
        }
    }
}
