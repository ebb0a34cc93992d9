import Engine
import Foundation
import Logging

/// The daemon: watches the inboxes, claims ready jobs, renders them and files the results.
///
/// A job's life, all by rename on one filesystem (never copy-and-delete, never over a name
/// already taken): `inbox/<job>` → claimed into `state/processing/<job>` → rendered into
/// `outbox/.<job>.partial/` → the inputs moved to `…partial/inputs/` → the whole renamed to
/// `outbox/<job>/`. A failed job ends the same way, with `error.json` instead of a result.
final class Service: @unchecked Sendable {
    let config: Config
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
               ["manifest", "file", "render"].map { ("{reason=\"\($0)\"}", Double(failuresByKind[$0] ?? 0)) })
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
        self.config = config
        self.logger = logger
        self.drain = drain
    }

    private var renderer: JobRenderer {
        JobRenderer(environment: RenderEnvironment(models: ModelStore(directory: config.models), grams: GramCache(directory: config.grams),
                                                   limits: config.limits))
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
            let ready = scan()
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

    // MARK: A job

    /// Claims `folder` and renders it on its own thread. Called with the lock held.
    private func start(_ folder: URL) {
        let inbox = config.inboxes.first { $0.path.path == folder.deletingLastPathComponent().path }!
        let name = folder.lastPathComponent
        readyByEvent.remove(inbox.path.path + "/" + name)
        let claimed: URL
        do {
            claimed = try FileSystem.moveUnique(folder, into: config.processing, name: name)
        } catch {
            // Another daemon claimed it first, or it went away: the next scan decides.
            logger.debug("not claimed", metadata: ["job": "\(name)", "reason": "\(error)"])
            return
        }
        // Where it came from, so that an interrupted job goes back to its own inbox.
        try? writeFileAtomically(Array(inbox.path.path.utf8), to: Self.originFile(of: claimed).path)
        running[claimed.path] = RunningJob(job: name, inbox: inbox.path.path, iteration: 0, iterations: 0)
        received += 1
        writeStatus(force: true)
        logger.info("claimed", metadata: ["job": "\(name)", "inbox": "\(inbox.path.path)"])
        let thread = Thread { [self] in
            let outcome = process(claimed: claimed, name: name, inbox: inbox.path, outbox: inbox.outbox)
            condition.withLock {
                running[claimed.path] = nil
                switch outcome {
                case .done:
                    counts.done += 1
                    lastSuccess = Date()
                case .failed(let kind):
                    counts.failed += 1
                    failuresByKind[kind, default: 0] += 1
                case .requeued: break
                }
                writeStatus(force: true)
                finishedSinceScan = true
                condition.broadcast()
            }
        }
        thread.name = "job \(name)"
        thread.start()
    }

    enum Outcome { case done, failed(kind: String), requeued }

    /// Renders a claimed job into its outbox. Never throws: a failure is filed in the outbox
    /// with the reason.
    private func process(claimed: URL, name: String, inbox: URL, outbox: URL) -> Outcome {
        let began = Date()
        let partial: URL
        do {
            partial = try uniqueFolder(in: outbox, name: ".\(name).partial")
        } catch {
            logger.error("cannot create the output folder; job left in processing", metadata: ["job": "\(name)", "reason": "\(error)"])
            return .failed(kind: "file")
        }
        let jobLog = try? OutputFile(path: partial.appendingPathComponent("job.log").path)
        func note(_ line: String) { try? jobLog?.append(Array("\(ISO8601DateFormatter().string(from: Date())) \(line)\n".utf8)) }
        note("claimed \(name) into \(claimed.path)")
        var failure: Error?
        do {
            let folder = JobFolder(url: claimed)
            let table = try JobParameters.table(manifest: folder.manifestPath, maxBytes: 1 << 20)
            let (parameters, profile, overrides) = try JobParameters.merged(job: table, file: folder.manifestPath, config: config)
            let job = try parameters.resolved(file: folder.manifestPath)
            guard job.iterations <= config.maxIterations else {
                throw ManifestError(file: folder.manifestPath, field: "iterations", reason: "\(job.iterations) is more than this server's limit of \(config.maxIterations)")
            }
            guard job.size <= config.maxSize else {
                throw ManifestError(file: folder.manifestPath, field: "size", reason: "\(job.size) is more than this server's limit of \(config.maxSize)")
            }
            note("profile \(profile ?? "none"), overrides \(overrides), size \(job.size), \(job.iterations) iterations")
            condition.withLock { running[claimed.path]?.iterations = job.iterations }
            let report = try renderer.render(folder: folder, job: job, into: partial, overrides: overrides) { [self] report in
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
                // Stopped by a signal: the job goes back to its inbox, to be rendered again.
                let requeued = requeue(claimed, name: name, inbox: inbox, partial: partial, jobLog: jobLog)
                logger.notice("stopped mid-render; job requeued", metadata: ["job": "\(name)", "at": "\(requeued)"])
                return .requeued
            }
            note("finished: \(report.iterations) iterations in \(String(format: "%.1f", report.wallSeconds)) s, loss \(report.final.loss)")
        } catch where FileSystem.isOutOfSpace(error) {
            // A full disk is not the job's fault: it goes back to its inbox and intake pauses.
            let requeued = requeue(claimed, name: name, inbox: inbox, partial: partial, jobLog: jobLog)
            logger.warning("disk full while rendering; job requeued, intake paused", metadata: ["job": "\(name)", "at": "\(requeued)"])
            condition.withLock {
                paused = "disk full while rendering \(name)"
                spaceRetryAfter = Date().addingTimeInterval(config.rescanSeconds)
            }
            return .requeued
        } catch {
            failure = error
            note("failed: \(error)")
            writeError(error, job: name, to: partial)
        }
        try? jobLog?.close()
        do {
            try FileSystem.move(claimed, to: partial.appendingPathComponent("inputs"))
            unlink(Self.originFile(of: claimed).path)
            let filed = try FileSystem.moveUnique(partial, into: outbox, name: name)
            let seconds = String(format: "%.1f", Date().timeIntervalSince(began))
            if let failure {
                logger.warning("failed", metadata: ["job": "\(name)", "outbox": "\(filed.path)", "reason": "\(failure)"])
            } else {
                logger.info("done", metadata: ["job": "\(name)", "outbox": "\(filed.path)", "seconds": "\(seconds)"])
            }
        } catch {
            logger.error("cannot file the job; it stays in processing", metadata: ["job": "\(name)", "reason": "\(error)"])
            return .failed(kind: "file")
        }
        return failure.map { .failed(kind: Self.kind(of: $0)) } ?? .done
    }

    /// Puts a claimed job back in its inbox and removes its partial outputs (only ours).
    /// Returns where the job is now.
    private func requeue(_ claimed: URL, name: String, inbox: URL, partial: URL, jobLog: OutputFile?) -> String {
        try? jobLog?.close()
        try? FileManager.default.removeItem(at: partial)
        let requeued = (try? FileSystem.moveUnique(claimed, into: inbox, name: name))?.path ?? claimed.path
        unlink(Self.originFile(of: claimed).path)
        return requeued
    }

    private static func kind(of error: Error) -> String {
        switch error {
        case is ManifestError: "manifest"
        case is FileError: "file"
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

    static func originFile(of claimed: URL) -> URL {
        claimed.deletingLastPathComponent().appendingPathComponent(".\(claimed.lastPathComponent).origin")
    }

    /// After a daemon stopped abruptly: an outbox's `.<job>.partial` folder that already holds
    /// its inputs was finished and is filed; one without was an interrupted render (only our
    /// own outputs) and is removed. Jobs left in `state/processing/` go back to the inbox they
    /// came from (by rename) to be rendered again.
    private func recoverInterrupted() throws {
        for inbox in config.inboxes {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: inbox.outbox.path)) ?? []
            for name in names where name.hasPrefix(".") && name.contains(".partial") {
                let partial = inbox.outbox.appendingPathComponent(name)
                guard let suffix = name.range(of: ".partial", options: .backwards) else { continue }
                let job = String(name[name.index(after: name.startIndex)..<suffix.lowerBound])
                if FileSystem.isDirectory(partial.appendingPathComponent("inputs")) {
                    let filed = try FileSystem.moveUnique(partial, into: inbox.outbox, name: job)
                    logger.notice("filed a job finished before an interruption", metadata: ["job": "\(job)", "outbox": "\(filed.path)"])
                } else {
                    try? FileManager.default.removeItem(at: partial)
                }
            }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: config.processing.path)) ?? []
        for name in names.sorted() where !name.hasPrefix(".") {
            let claimed = config.processing.appendingPathComponent(name)
            let origin = (try? String(contentsOf: Self.originFile(of: claimed), encoding: .utf8)).flatMap { path in
                config.inboxes.first { $0.path.path == path }
            } ?? config.inboxes[0]
            let moved = try FileSystem.moveUnique(claimed, into: origin.path, name: name)
            unlink(Self.originFile(of: claimed).path)
            logger.notice("requeued an interrupted job", metadata: ["job": "\(name)", "inbox": "\(moved.path)"])
        }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
