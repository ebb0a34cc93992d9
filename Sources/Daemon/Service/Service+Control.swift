import Foundation

/// What reaches the service from outside its loop: inotify's hints, SIGHUP, SIGTERM, and
/// systemd's watchdog.
extension Service {
    func hint(_ hint: Watcher.Hint) {
        if case .changed(let inbox, let ready?) = hint { scanner.announce(inbox: URL(fileURLWithPath: inbox), job: ready) }
        condition.withLock {
            woken = true
            condition.signal()
        }
    }

    /// SIGHUP: reads the configuration file again. Profiles, limits, jobs at once, the
    /// intervals and the Slurm options apply to the next job; where files live (the executor
    /// with them) and the threads per job need a restart. A running job keeps its parameters. A file that does not load changes nothing.
    func reload() {
        notifier.reloading()
        let old = config
        do {
            var fresh = try Config.load(old.file)
            if fresh.inboxes != old.inboxes || fresh.state != old.state || fresh.models != old.models || fresh.metricsFile != old.metricsFile
                || fresh.threadsPerJob != old.threadsPerJob || fresh.logLevel != old.logLevel || fresh.slurm?.work != old.slurm?.work {
                logger.warning("reload: inboxes, state, models, metrics, threads_per_job, log_level, executor and work change at the next start")
                (fresh.inboxes, fresh.state, fresh.models, fresh.metricsFile) = (old.inboxes, old.state, old.models, old.metricsFile)
                (fresh.threadsPerJob, fresh.logLevel) = (old.threadsPerJob, old.logLevel)
                if fresh.slurm?.work != old.slurm?.work { fresh.slurm = old.slurm }  // where claimed jobs live: the executor too
            }
            condition.withLock { currentConfig = fresh }
            logger.notice("configuration reloaded", metadata: ["file": "\(old.file)", "profiles": "\(fresh.profiles.map(\.name).joined(separator: ", "))"])
        } catch {
            logger.error("reload failed; the configuration stays as it was", metadata: ["reason": "\(error)"])
        }
        notifier.ready(status: "watching \(old.inboxes.count) inbox(es); configuration reloaded")
        condition.withLock {
            woken = true
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
    func startWatchdog() {
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
}
