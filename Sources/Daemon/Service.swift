import Engine
import Foundation
import Logging

/// The daemon: watches the inboxes, claims ready jobs, renders them and files the results.
///
/// A job's life, all by rename on one filesystem (never copy-and-delete, never over a name
/// already taken): `inbox/<job>` → claimed into `state/processing/<job>` → rendered into
/// `outbox/.<job>.partial/` → the inputs moved to `…partial/inputs/` → the whole renamed to
/// `outbox/<job>/`. A failed job ends the same way, with `error.json` instead of a result.
/// A job stays in `state/processing/` from its claim to its filing, whatever stops the
/// daemon in between; the next start resumes it from its checkpoint (see `Claim`).
final class Service: @unchecked Sendable {
    /// The configuration now: SIGHUP replaces it (a running job keeps the parameters it began with).
    var config: Config { configLock.withLock { currentConfig } }
    private var currentConfig: Config
    private let configLock = NSLock()
    let logger: Logger
    let drain: Bool

    private let notifier = SystemdNotifier()
    /// When a job last made progress (or the loop last ran while idle), for the watchdog.
    private var lastProgress = Date()
    private let condition = NSCondition()
    private var hints: [Watcher.Hint] = []
    private var readyByEvent: Set<String> = []  // "inbox path/job name"
    private var running: [String: RunningJob] = [:]
    private var stopping = false
    private var counts = (done: 0, failed: 0)
    /// For the metrics file: jobs claimed, failures by kind, iterations done, last success.
    private var received = 0
    private var failuresByKind: [String: Int] = [:]
    private var iterationsDone = 0
    private var lastSuccess: Date?
    /// Why intake is paused (a full disk), or nil.
    private var paused: String?
    /// After a write failed for space, no claim before this time even if space seems free.
    private var spaceRetryAfter = Date.distantPast

    struct RunningJob: Codable {
        var job: String
        var inbox: String
        var iteration: Int
        var iterations: Int
        var loss: Double?
        var secondsPerIteration: Double?
        var etaSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case job, inbox, iteration, iterations, loss, secondsPerIteration = "seconds_per_iteration", etaSeconds = "eta_seconds"
        }
    }

    /// `state/status.json`, replaced atomically: what runs now and what has been done.
    struct Status: Codable {
        var pid: Int32
        var updated: String
        var running: [RunningJob]
        var done: Int
        var failed: Int
        var paused: String?
    }

    private var lastStatusWrite = Date.distantPast

    /// The Prometheus text format, for node_exporter's textfile collector. Called with the lock held.
    private func metrics() -> String {
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            lines += ["# HELP styled_\(name) \(help)", "# TYPE styled_\(name) \(type)"]
            lines += samples.map { "styled_\(name)\($0.labels) \($0.value)" }
        }
        metric("jobs_received_total", "counter", "Jobs claimed from the inboxes.", [("", Double(received))])
        metric("jobs_running", "gauge", "Jobs being rendered now.", [("", Double(running.count))])
        metric("jobs_done_total", "counter", "Jobs rendered and filed in an outbox.", [("", Double(counts.done))])
        metric("jobs_failed_total", "counter", "Jobs filed with error.json, by what failed.",
               ["manifest", "file", "render", "crash"].map { ("{reason=\"\($0)\"}", Double(failuresByKind[$0] ?? 0)) })
        metric("iterations_total", "counter", "Optimiser iterations done.", [("", Double(iterationsDone))])
        metric("seconds_per_iteration", "gauge", "Seconds per iteration of each running job.",
               running.values.compactMap { job in job.secondsPerIteration.map { ("{job=\"\(Self.label(job.job))\"}", $0) } })
        metric("last_success_timestamp_seconds", "gauge", "When a job last succeeded (Unix time; 0 if none yet).",
               [("", lastSuccess?.timeIntervalSince1970 ?? 0)])
        return lines.joined(separator: "\n") + "\n"
    }

    /// A label value with the text format's escapes.
    private static func label(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Writes the status file, at most once a second unless `force`. Called with the lock held.
    private func writeStatus(force: Bool = false) {
        guard force || Date().timeIntervalSince(lastStatusWrite) >= 1 else { return }
        lastStatusWrite = Date()
        let status = Status(pid: getpid(), updated: ISO8601DateFormatter().string(from: Date()),
                            running: running.values.sorted { $0.job < $1.job }, done: counts.done, failed: counts.failed, paused: paused)
        notifier.status(status.running.map { job in
            "rendering \(job.job): iteration \(job.iteration)/\(job.iterations)" + (job.loss.map { String(format: ", loss %.4g", $0) } ?? "")
                + (job.etaSeconds.map { ", ETA \(ProgressLine.duration($0))" } ?? "")
        }.joined(separator: "; ").nonEmpty ?? (paused.map { "paused: \($0)" } ?? "idle; \(status.done) done, \(status.failed) failed"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(status) { try? writeFileAtomically(Array(data) + [0x0A], to: config.state.appendingPathComponent("status.json").path) }
        try? writeFileAtomically(Array(metrics().utf8), to: config.metricsFile.path)
    }

    /// A manifest is taken as complete when an event said so, or when it has not changed for this long.
    static let settleSeconds = 2.0

    init(config: Config, logger: Logger, drain: Bool) {
        self.currentConfig = config
        self.logger = logger
        self.drain = drain
    }

    private func renderer(_ configuration: Config) -> JobRenderer {
        JobRenderer(environment: RenderEnvironment(models: ModelStore(directory: configuration.models),
                                                   grams: GramCache(directory: configuration.grams), limits: configuration.limits))
    }

    // MARK: The loop

    func run() throws {
        Parallel.setWorkers(config.threadsPerJob)
        for folder in [config.state, config.processing] + config.inboxes.flatMap({ [$0.path, $0.outbox] }) { try createFolder(folder) }
        let watcher = Watcher(inboxes: config.inboxes.map(\.path)) { [weak self] hint in self?.hint(hint) }
        try watcher.start()  // watches first, then the scan: nothing falls between
        defer { watcher.stop() }
        logger.info("watching \(config.inboxes.map(\.path.path).joined(separator: ", "))", metadata: ["drain": "\(drain)"])
        try recoverInterrupted()
        notifier.ready(status: "watching \(config.inboxes.count) inbox(es)")
        startWatchdog()
        var lastScan = Date.distantPast
        condition.lock()
        while !stopping {
            condition.unlock()
            let ready = resumable() + scan()
            lastScan = Date()
            condition.lock()
            if running.isEmpty { lastProgress = Date() }
            hints.removeAll()
            updatePause()
            for job in ready where paused == nil && running.count < config.jobsAtOnce && running[job.path] == nil {
                start(job)
            }
            if drain && running.isEmpty && (ready.isEmpty || paused != nil) && !unsettled { break }
            // Wait for an event, a finished job, or the next periodic scan (sooner while a
            // manifest settles).
            let wait = unsettled ? Self.settleSeconds / 2 : config.rescanSeconds
            while hints.isEmpty && !stopping && Date().timeIntervalSince(lastScan) < wait {
                _ = condition.wait(until: lastScan.addingTimeInterval(wait))
                if running.count < config.jobsAtOnce && finishedSinceScan { break }
            }
            finishedSinceScan = false
        }
        while !running.isEmpty { condition.wait() }
        let pausedAtEnd = paused
        condition.unlock()
        logger.info("stopped", metadata: ["done": "\(counts.done)", "failed": "\(counts.failed)"])
        if drain, let pausedAtEnd { throw FileError(path: config.state.path, reason: "jobs are left queued: intake paused, \(pausedAtEnd)") }
    }

    /// Pauses intake while the disk holding the outboxes or the state has less free space
    /// than the configured minimum, and resumes when space returns. Called with the lock held.
    private func updatePause() {
        let places = [config.state] + config.inboxes.map(\.outbox)
        let short = places.compactMap { place in
            FileSystem.freeBytes(at: place).flatMap { $0 < config.minFreeBytes ? "\($0 / 1_048_576) MB free at \(place.path), below \(config.minFreeBytes / 1_048_576) MB" : nil }
        }.first ?? (Date() < spaceRetryAfter ? paused : nil)
        if let short, paused == nil { logger.warning("intake paused: low disk space", metadata: ["where": "\(short)"]) }
        if short == nil, paused != nil { logger.notice("intake resumed: disk space returned") }
        if short != paused {
            paused = short
            writeStatus(force: true)
        }
    }

    private var finishedSinceScan = false

    func hint(_ hint: Watcher.Hint) {
        condition.withLock {
            hints.append(hint)
            if case .changed(let inbox, let ready?) = hint { readyByEvent.insert(inbox + "/" + ready) }
            condition.signal()
        }
    }

    /// SIGHUP: reads the configuration file again. Profiles, limits, jobs at once and the
    /// intervals apply to the next job; where files live and the threads per job need a
    /// restart. A running job keeps its parameters. A file that does not load changes nothing.
    func reload() {
        notifier.reloading()
        let old = config
        do {
            var fresh = try Config.load(old.file)
            if fresh.inboxes != old.inboxes || fresh.state != old.state || fresh.models != old.models
                || fresh.metricsFile != old.metricsFile || fresh.threadsPerJob != old.threadsPerJob || fresh.logLevel != old.logLevel {
                logger.warning("reload: inboxes, state, models, metrics, threads_per_job and log_level change at the next start")
                (fresh.inboxes, fresh.state, fresh.models, fresh.metricsFile) = (old.inboxes, old.state, old.models, old.metricsFile)
                (fresh.threadsPerJob, fresh.logLevel) = (old.threadsPerJob, old.logLevel)
            }
            configLock.withLock { currentConfig = fresh }
            logger.notice("configuration reloaded", metadata: ["file": "\(old.file)", "profiles": "\(fresh.profiles.map(\.name).joined(separator: ", "))"])
        } catch {
            logger.error("reload failed; the configuration stays as it was", metadata: ["reason": "\(error)"])
        }
        notifier.ready(status: "watching \(old.inboxes.count) inbox(es); configuration reloaded")
        condition.withLock {
            writeStatus(force: true)
            condition.broadcast()
        }
    }

    func requestStop() {
        notifier.stopping()
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
    }

    /// `WATCHDOG=1` at half systemd's interval, but only while the daemon makes progress: idle
    /// and scanning, or a job whose iterations advance. A render stuck inside an iteration
    /// stops the pings, and systemd restarts the service.
    private func startWatchdog() {
        guard let interval = notifier.watchdogInterval else { return }
        let thread = Thread { [self] in
            while !condition.withLock({ stopping }) {
                Thread.sleep(forTimeInterval: interval)
                if condition.withLock({ Date().timeIntervalSince(lastProgress) < 2 * interval }) { notifier.watchdog() }
            }
        }
        thread.name = "watchdog"
        thread.start()
    }

    // MARK: Scanning

    /// The ready job folders in all inboxes, oldest first. A folder is ready when it is not
    /// a dot-folder, holds a regular `job.toml`, and that manifest was reported complete by an
    /// event or has not changed for `settleSeconds`.
    func scan() -> [URL] {
        var ready: [(URL, Date)] = []
        unsettled = false
        for inbox in config.inboxes {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: inbox.path.path) else { continue }
            for name in names where !name.hasPrefix(".") {
                let folder = inbox.path.appendingPathComponent(name)
                guard FileSystem.isDirectory(folder) else { continue }
                var info = stat()
                guard lstat(folder.appendingPathComponent(JobFolder.manifestName).path, &info) == 0 else { continue }
                let modified = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
                let announced = condition.withLock { readyByEvent.contains(inbox.path.path + "/" + name) }
                if announced || Date().timeIntervalSince(modified) >= Self.settleSeconds {
                    ready.append((folder, modified))
                } else {
                    unsettled = true
                }
            }
        }
        return ready.sorted { ($0.1, $0.0.path) < ($1.1, $1.0.path) }.map(\.0)
    }

    /// Whether the last scan saw a manifest still settling (so the next scan comes sooner).
    private var unsettled = false

    /// Claimed jobs that are not running: interrupted by a stop, a crash or a full disk. They
    /// go before new jobs.
    private func resumable() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: config.processing.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { config.processing.appendingPathComponent($0) }
            .filter { folder in condition.withLock { running[folder.path] == nil && !unfileable.contains(folder.path) } }
    }

    /// Jobs this process could not file into their outbox; they wait for a restart rather
    /// than being retried in a loop.
    private var unfileable: Set<String> = []

    // MARK: A job

    /// Claims `folder` (or takes up a job claimed before) and renders it on its own thread.
    /// Called with the lock held.
    private func start(_ folder: URL) {
        let configuration = config
        let name = folder.lastPathComponent
        let claimed: URL
        let inbox: Config.Inbox
        let claim: Claim
        if folder.deletingLastPathComponent().path == configuration.processing.path {
            claimed = folder
            let recorded = Claim.read(Claim.Files(of: folder).claim)
            inbox = configuration.inboxes.first { $0.path.path == recorded?.inbox } ?? configuration.inboxes[0]
            claim = recorded ?? Claim(inbox: inbox.path.path, partial: nil, crashes: 0)
            logger.info("resuming", metadata: ["job": "\(name)"])
        } else {
            inbox = configuration.inboxes.first { $0.path.path == folder.deletingLastPathComponent().path }!
            readyByEvent.remove(inbox.path.path + "/" + name)
            do {
                claimed = try FileSystem.moveUnique(folder, into: configuration.processing, name: name)
            } catch {
                // Another daemon claimed it first, or it went away: the next scan decides.
                logger.debug("not claimed", metadata: ["job": "\(name)", "reason": "\(error)"])
                return
            }
            // Best effort: without this record (a crash right now) the job is taken up from
            // the first inbox's outbox.
            claim = Claim(inbox: inbox.path.path, partial: nil, crashes: 0)
            try? claim.write(to: Claim.Files(of: claimed).claim)
            received += 1
            logger.info("claimed", metadata: ["job": "\(name)", "inbox": "\(inbox.path.path)"])
        }
        running[claimed.path] = RunningJob(job: claimed.lastPathComponent, inbox: inbox.path.path, iteration: 0, iterations: 0)
        writeStatus(force: true)
        let thread = Thread { [self] in
            let outcome = process(claimed: claimed, inbox: inbox, claim: claim)
            condition.withLock {
                running[claimed.path] = nil
                switch outcome {
                case .done:
                    counts.done += 1
                    lastSuccess = Date()
                case .failed(let kind):
                    counts.failed += 1
                    failuresByKind[kind, default: 0] += 1
                case .unfileable: unfileable.insert(claimed.path)
                case .leftClaimed: break
                }
                writeStatus(force: true)
                finishedSinceScan = true
                condition.broadcast()
            }
        }
        thread.name = "job \(name)"
        thread.start()
    }

    enum Outcome { case done, failed(kind: String), leftClaimed, unfileable }

    /// Renders a claimed job into its outbox, from its checkpoint if it has one. Never throws:
    /// a failure is filed in the outbox with the reason; a stop or a full disk leaves the job
    /// claimed, checkpointed, to be resumed.
    private func process(claimed: URL, inbox: Config.Inbox, claim recorded: Claim) -> Outcome {
        let began = Date()
        let name = claimed.lastPathComponent
        let files = Claim.Files(of: claimed)
        let configuration = config
        var claim = recorded
        let partial: URL
        do {
            if let existing = claim.partial.map({ URL(fileURLWithPath: $0) }), FileSystem.isDirectory(existing) {
                partial = existing
            } else {
                partial = try uniqueFolder(in: inbox.outbox, name: ".\(Claim.key(name)).partial")
                claim.partial = partial.path
            }
            if FileManager.default.fileExists(atPath: files.running) { claim.crashes += 1 }
            try claim.write(to: files.claim)
            unlink(files.running)
        } catch {
            return leaveClaimed(name, because: error)
        }
        let jobLog = try? OutputFile(path: partial.appendingPathComponent("job.log").path)
        func note(_ line: String) { try? jobLog?.append(Array("\(ISO8601DateFormatter().string(from: Date())) \(line)\n".utf8)) }
        var failure: Error?
        do {
            let saved: SavedRender?
            do {
                saved = FileManager.default.fileExists(atPath: files.checkpoint) ? try SavedRender.read(from: files.checkpoint) : nil
            } catch {
                note("the checkpoint cannot be read (\(error)); starting over")
                saved = nil
            }
            if claim.crashes > 0 { note("the last \(claim.crashes == 1 ? "render" : "\(claim.crashes) renders") of this job never ended") }
            guard claim.crashes < configuration.maxAttempts else {
                throw RenderKeptFailing(crashes: claim.crashes, lastCheckpoint: saved?.iteration)
            }
            let folder = JobFolder(url: claimed)
            let table = try JobParameters.table(manifest: folder.manifestPath, maxBytes: 1 << 20)
            let (parameters, profile, overrides) = try JobParameters.merged(job: table, file: folder.manifestPath, config: configuration)
            // A resumed job keeps the parameters it began with, whatever the configuration says now.
            let job = try saved?.job ?? parameters.resolved(file: folder.manifestPath)
            guard job.iterations <= configuration.maxIterations else {
                throw ManifestError(file: folder.manifestPath, field: "iterations", reason: "\(job.iterations) is more than this server's limit of \(configuration.maxIterations)")
            }
            guard job.size <= configuration.maxSize else {
                throw ManifestError(file: folder.manifestPath, field: "size", reason: "\(job.size) is more than this server's limit of \(configuration.maxSize)")
            }
            if let saved {
                note("resuming at iteration \(saved.iteration) (scale \(saved.scale + 1) of \(job.scales.count)) from its checkpoint, with the optimiser's saved state (exact)")
            } else {
                note("claimed \(name); profile \(profile ?? "none"), overrides \(overrides), size \(job.size), \(job.iterations) iterations")
            }
            try OutputFile(path: files.running, truncate: true).close()
            defer { unlink(files.running) }  // however the render ends, it ended: not a crash
            condition.withLock { running[claimed.path]?.iterations = job.iterations }
            var lastCheckpoint = Date()
            let checkpoints = Checkpoints(
                wanted: { [self] iteration in
                    (job.frameEvery > 0 && iteration % job.frameEvery == 0)
                        || Date().timeIntervalSince(lastCheckpoint) >= configuration.checkpointSeconds || condition.withLock { stopping }
                },
                save: { state in
                    try state.write(to: files.checkpoint)
                    lastCheckpoint = Date()
                    note("checkpoint at iteration \(state.iteration)")
                })
            let report = try renderer(configuration).render(folder: folder, job: job, into: partial, overrides: overrides,
                                                            resume: saved, checkpoints: checkpoints) { [self] report in
                condition.withLock {
                    lastProgress = Date()
                    if report.iteration > 0 { iterationsDone += 1 }
                    running[claimed.path]?.iteration = report.iteration
                    running[claimed.path]?.loss = report.terms.total
                    if report.iteration > 0 {
                        let perIteration = report.seconds / Double(report.iteration)
                        running[claimed.path]?.secondsPerIteration = perIteration
                        running[claimed.path]?.etaSeconds = perIteration * Double(job.iterations - report.iteration)
                    }
                    writeStatus()
                }
                if report.iteration % max(1, job.frameEvery) == 0 {
                    note("iteration \(report.iteration)/\(job.iterations) loss \(report.terms.total)")
                }
                return !condition.withLock { stopping }
            }
            if report.stop == "\(LBFGSB.Stop.cancelled)" && condition.withLock({ stopping }) {
                note("stopped by a signal at iteration \(report.iterations); resumes from its checkpoint at the next start")
                try? jobLog?.close()
                logger.notice("stopped mid-render; the job resumes at the next start", metadata: ["job": "\(name)", "iteration": "\(report.iterations)"])
                return .leftClaimed
            }
            note("finished: \(report.iterations) iterations in \(String(format: "%.1f", report.wallSeconds)) s, loss \(report.final.loss)")
        } catch where FileSystem.isOutOfSpace(error) {
            // A full disk is not the job's fault: it stays claimed, with its last checkpoint,
            // and intake pauses until space returns.
            note("stopped: \(error)")
            try? jobLog?.close()
            return leaveClaimed(name, because: error)
        } catch {
            failure = error
            note("failed: \(error)")
            writeError(error, job: name, to: partial)
        }
        try? jobLog?.close()
        do {
            try FileSystem.move(claimed, to: partial.appendingPathComponent("inputs"))
            let filed = try FileSystem.moveUnique(partial, into: inbox.outbox, name: name)
            files.all.forEach { unlink($0) }
            let seconds = String(format: "%.1f", Date().timeIntervalSince(began))
            if let failure {
                logger.warning("failed", metadata: ["job": "\(name)", "outbox": "\(filed.path)", "reason": "\(failure)"])
            } else {
                logger.info("done", metadata: ["job": "\(name)", "outbox": "\(filed.path)", "seconds": "\(seconds)"])
            }
        } catch {
            logger.error("cannot file the job; it stays in processing until a restart", metadata: ["job": "\(name)", "reason": "\(error)"])
            return .unfileable
        }
        return failure.map { .failed(kind: Self.kind(of: $0)) } ?? .done
    }

    /// A job that cannot go on now stays claimed: with intake paused when the disk is full,
    /// else until a restart.
    private func leaveClaimed(_ name: String, because error: Error) -> Outcome {
        guard FileSystem.isOutOfSpace(error) else {
            logger.error("cannot prepare the job; it stays in processing until a restart", metadata: ["job": "\(name)", "reason": "\(error)"])
            return .unfileable
        }
        logger.warning("disk full; the job stays claimed with its checkpoint, intake paused", metadata: ["job": "\(name)", "reason": "\(error)"])
        condition.withLock {
            paused = "disk full while rendering \(name)"
            spaceRetryAfter = Date().addingTimeInterval(config.rescanSeconds)
        }
        return .leftClaimed
    }

    private static func kind(of error: Error) -> String {
        switch error {
        case is ManifestError: "manifest"
        case is FileError: "file"
        case is RenderKeptFailing: "crash"
        default: "render"
        }
    }

    /// `error.json`: what failed, where, and why.
    private func writeError(_ error: Error, job: String, to folder: URL) {
        var record: [String: String] = ["job": job, "error": "\(error)", "what": Self.kind(of: error),
                                        "time": ISO8601DateFormatter().string(from: Date())]
        switch error {
        case let error as ManifestError:
            record["where"] = error.field.map { "\(error.file): \($0)" } ?? error.file
            record["why"] = error.reason
        case let error as FileError:
            record["where"] = error.path
            record["why"] = error.reason
        default:
            record["why"] = "\(error)"
        }
        if let data = try? JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys]) {
            try? writeFileAtomically(Array(data) + [0x0A], to: folder.appendingPathComponent("error.json").path)
        }
    }

    private func uniqueFolder(in parent: URL, name: String) throws -> URL {
        for attempt in 1...10_000 {
            let folder = parent.appendingPathComponent(attempt == 1 ? name : "\(name)-\(attempt)")
            if mkdir(folder.path, 0o755) == 0 { return folder }
            guard errno == EEXIST else { throw FileError(path: folder.path, reason: String(cString: strerror(errno))) }
        }
        throw FileError(path: parent.path, reason: "no free name for \(name)")
    }

    /// After a daemon stopped abruptly: an outbox's `.<job>.partial` folder that already holds
    /// its inputs was finished and is filed; one that a claimed job's record names is kept for
    /// its resumption; any other holds only our own outputs of a render that cannot resume,
    /// and is removed. Records left without their job (filed just before the stop) and
    /// temporary files go too.
    private func recoverInterrupted() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: config.processing.path)) ?? []
        let jobs = Set(names.filter { !$0.hasPrefix(".") })
        var partialsInUse: Set<String> = []
        for job in jobs {
            if let partial = Claim.read(Claim.Files(of: config.processing.appendingPathComponent(job)).claim)?.partial { partialsInUse.insert(partial) }
        }
        // Hidden names here are ours: records, or temporary files of a write cut short.
        for name in names where name.hasPrefix(".") && !(Claim.job(ofRecord: name).map(jobs.contains) ?? false) {
            unlink(config.processing.appendingPathComponent(name).path)
        }
        for inbox in config.inboxes {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: inbox.outbox.path)) ?? []
            for name in names where name.hasPrefix(".") && name.contains(".partial") {
                let partial = inbox.outbox.appendingPathComponent(name)
                guard let suffix = name.range(of: ".partial", options: .backwards) else { continue }
                let job = String(name[name.index(after: name.startIndex)..<suffix.lowerBound])
                if FileSystem.isDirectory(partial.appendingPathComponent("inputs")) {
                    let filed = try FileSystem.moveUnique(partial, into: inbox.outbox, name: job)
                    logger.notice("filed a job finished before an interruption", metadata: ["job": "\(job)", "outbox": "\(filed.path)"])
                } else if !partialsInUse.contains(partial.path) {
                    try? FileManager.default.removeItem(at: partial)
                }
            }
        }
        if !jobs.isEmpty { logger.notice("interrupted jobs resume first", metadata: ["jobs": "\(jobs.sorted().joined(separator: ", "))"]) }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
