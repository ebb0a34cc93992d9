import Engine
import Foundation

/// What the daemon shows of itself: `state/status.json` (replaced atomically, at most once a
/// second unless forced), the Prometheus text file, systemd's STATUS= line and, in the
/// foreground on a terminal, a progress line. It keeps its own lock: no caller holds another
/// while it writes.
final class Telemetry: @unchecked Sendable {
    struct RunningJob: Codable {
        var job: String
        var inbox: String
        var iteration: Int
        var iterations: Int
        var loss: Double?
        var secondsPerIteration: Double?
        var etaSeconds: Double?
        /// With the Slurm executor: the Slurm job and its state.
        var slurm: SlurmView?

        enum CodingKeys: String, CodingKey {
            case job, inbox, iteration, iterations, loss, slurm, secondsPerIteration = "seconds_per_iteration", etaSeconds = "eta_seconds"
        }

        /// At `iteration`, `seconds` into the render: its loss, its pace and the time left.
        mutating func reach(_ iteration: Int, loss: Double, seconds: Double) {
            (self.iteration, self.loss) = (iteration, loss)
            guard iteration > 0 else { return }
            secondsPerIteration = seconds / Double(iteration)
            etaSeconds = secondsPerIteration.map { $0 * Double(max(0, iterations - iteration)) }
        }
    }

    /// A job left in its inbox for now, or a folder there that is not a job, with why.
    struct Note: Codable, Equatable {
        var job: String
        var reason: String
    }

    /// `state/status.json`.
    struct Status: Codable {
        var pid: Int32
        var updated: String
        var running: [RunningJob]
        var done: Int
        var failed: Int
        /// Why no job is claimed now (low disk space, a model that cannot be used), or nil.
        var paused: String?
        /// Jobs that do not fit on the disk now: they wait, and others go on.
        var waiting: [Note]?
        /// Folders (or files) in an inbox that are not jobs: they have no job.toml.
        var notJobs: [Note]?

        enum CodingKeys: String, CodingKey { case pid, updated, running, done, failed, paused, waiting, notJobs = "not_jobs" }
    }

    private let lock = NSLock()
    private let statusFile: URL
    private let metricsFile: URL
    private let notifier: SystemdNotifier
    private var running: [String: RunningJob] = [:]
    private var done = 0, failed = 0, received = 0, iterationsDone = 0
    private var failuresByKind: [FailureKind: Int] = [:]
    private var lastSuccess: Date?
    private var paused: String?
    private var waiting: [Note] = []
    private var notJobs: [Note] = []
    private var lastWrite = Date.distantPast
    private var lastDraw = Date.distantPast

    init(statusFile: URL, metricsFile: URL, notifier: SystemdNotifier) {
        (self.statusFile, self.metricsFile, self.notifier) = (statusFile, metricsFile, notifier)
    }

    // MARK: Events

    /// Writes the status as it is (at start, so that a status exists from the first moment).
    func publish() { update(force: true) { _ in } }
    func claimed() { update(force: true) { $0.received += 1 } }
    func started(_ key: String, job: String, inbox: String) {
        update(force: true) { $0.running[key] = RunningJob(job: job, inbox: inbox, iteration: 0, iterations: 0) }
    }
    func planned(_ key: String, iterations: Int) { update { $0.running[key]?.iterations = iterations } }

    func progress(_ key: String, _ report: IterationReport) {
        update {
            guard var job = $0.running[key] else { return }
            if report.iteration > 0 && report.iteration > job.iteration { $0.iterationsDone += 1 }
            job.reach(report.iteration, loss: report.terms.total, seconds: report.seconds)
            $0.running[key] = job
        }
        drawProgress(last: report.iteration == lock.withLock { running[key]?.iterations })
    }

    /// A job on Slurm: its Slurm job's state, and its worker's progress from its log.jsonl.
    func slurm(_ key: String, _ view: SlurmView, _ record: LogRecord?) {
        update {
            guard var job = $0.running[key] else { return }
            job.slurm = view
            if let record, record.iteration > job.iteration {
                $0.iterationsDone += record.iteration - job.iteration
                job.reach(record.iteration, loss: record.loss, seconds: record.seconds)
            }
            $0.running[key] = job
        }
    }

    enum Ending { case done, failed(FailureKind), left }
    func ended(_ key: String, _ ending: Ending) {
        update(force: true) {
            $0.running[key] = nil
            switch ending {
            case .done: ($0.done, $0.lastSuccess) = ($0.done + 1, Date())
            case .failed(let kind): ($0.failed, $0.failuresByKind[kind]) = ($0.failed + 1, ($0.failuresByKind[kind] ?? 0) + 1)
            case .left: break
            }
        }
        ProgressLine.clear()
    }

    func set(paused: String?, waiting: [Note], notJobs: [Note]) {
        let changed = lock.withLock { self.paused != paused || self.waiting != waiting || self.notJobs != notJobs }
        guard changed else { return }
        update(force: true) { ($0.paused, $0.waiting, $0.notJobs) = (paused, waiting, notJobs) }
    }

    var counts: (done: Int, failed: Int) { lock.withLock { (done, failed) } }

    // MARK: Writing

    private func update(force: Bool = false, _ change: (Telemetry) -> Void) {
        let status: Status?, metrics: String?
        (status, metrics) = lock.withLock {
            change(self)
            guard force || Date().timeIntervalSince(lastWrite) >= 1 else { return (nil, nil) }
            lastWrite = Date()
            return (Status(pid: getpid(), updated: ISO8601DateFormatter().string(from: Date()),
                           running: running.values.sorted { $0.job < $1.job }, done: done, failed: failed,
                           paused: paused, waiting: waiting, notJobs: notJobs), prometheus())
        }
        guard let status, let metrics else { return }
        notifier.status(summary(status))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(status) { try? writeFileAtomically(Array(data) + [0x0A], to: statusFile.path) }
        try? writeFileAtomically(Array(metrics.utf8), to: metricsFile.path)
    }

    private func summary(_ status: Status) -> String {
        let jobs = status.running.map { "rendering \($0.job): " + ProgressLine.text(iteration: $0.iteration, total: $0.iterations, loss: $0.loss, secondsPerIteration: $0.secondsPerIteration) }
        if !jobs.isEmpty { return jobs.joined(separator: "; ") }
        return status.paused.map { "paused: \($0)" } ?? "idle; \(status.done) done, \(status.failed) failed"
    }

    /// The terminal's progress line, at most ten times a second, and at a job's last iteration.
    private func drawProgress(last: Bool) {
        guard ProgressLine.enabled else { return }
        let line: String? = lock.withLock {
            guard last || Date().timeIntervalSince(lastDraw) >= 0.1 else { return nil }
            lastDraw = Date()
            return running.values.sorted { $0.job < $1.job }.map {
                "\($0.job): " + ProgressLine.text(iteration: $0.iteration, total: $0.iterations, loss: $0.loss, secondsPerIteration: $0.secondsPerIteration)
            }.joined(separator: " | ")
        }
        if let line { ProgressLine.draw(line) }
    }

    /// The Prometheus text format, for node_exporter's textfile collector. Called with the lock held.
    private func prometheus() -> String {
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            lines += ["# HELP styled_\(name) \(help)", "# TYPE styled_\(name) \(type)"]
            lines += samples.map { "styled_\(name)\($0.labels) \($0.value)" }
        }
        metric("jobs_received_total", "counter", "Jobs claimed from the inboxes.", [("", Double(received))])
        metric("jobs_running", "gauge", "Jobs being rendered now.", [("", Double(running.count))])
        metric("jobs_done_total", "counter", "Jobs rendered and filed in an outbox.", [("", Double(done))])
        metric("jobs_failed_total", "counter", "Jobs filed with error.json, by what failed.",
               FailureKind.allCases.map { ("{reason=\"\($0.rawValue)\"}", Double(failuresByKind[$0] ?? 0)) })
        metric("slurm_jobs", "gauge", "Jobs on Slurm now, by their Slurm state.",
               ["PENDING", "RUNNING"].map { state in ("{state=\"\(state.lowercased())\"}", Double(running.values.filter { $0.slurm?.state == state }.count)) })
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
}
