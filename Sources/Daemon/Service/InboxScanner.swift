import Engine
import Foundation

/// Finds the jobs ready in the inboxes. A folder is a ready job when its name does not start
/// with a dot (those are still being written, or are claims in progress), it holds a regular
/// `job.toml`, and that manifest was reported complete by an event (a hint) or has not
/// changed for `settleSeconds`. Events can be lost, so this scan is the truth.
final class InboxScanner: @unchecked Sendable {
    /// A manifest is taken as complete when an event said so, or when it has not changed for this long.
    static let settleSeconds = 2.0
    /// A folder without a manifest this long after its last change is reported as not a job.
    static let notAJobSeconds = 60.0

    private let lock = NSLock()
    private var announced: Set<String> = []
    private var reported: Set<String> = []

    /// Whether the last scan saw a manifest still settling (so the next scan comes sooner).
    private(set) var unsettled = false

    /// An event said this job folder is complete.
    func announce(inbox: URL, job: String) { _ = lock.withLock { announced.insert(inbox.path + "/" + job) } }

    /// The job was claimed: its announcement is used up.
    func forget(_ folder: URL) { _ = lock.withLock { announced.remove(folder.path) } }

    struct Scan {
        /// Ready job folders with their inbox, oldest manifest first.
        var ready: [(folder: URL, inbox: Config.Inbox)] = []
        /// Entries that are not jobs, with why.
        var notJobs: [Telemetry.Note] = []
        /// Entries newly found not to be jobs (to log once).
        var newlyNotJobs: [Telemetry.Note] = []
    }

    func scan(_ inboxes: [Config.Inbox]) -> Scan {
        var result = Scan()
        var found: [(URL, Config.Inbox, Date)] = []
        unsettled = false
        for inbox in inboxes {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: inbox.path.path) else { continue }
            for name in names where !name.hasPrefix(".") {
                let folder = inbox.path.appendingPathComponent(name)
                var info = stat(), manifest = stat()
                guard lstat(folder.path, &info) == 0 else { continue }
                let isFolder = (info.st_mode & S_IFMT) == S_IFDIR
                guard isFolder, lstat(folder.appendingPathComponent(JobFolder.manifestName).path, &manifest) == 0 else {
                    if Date().timeIntervalSince(Self.date(info.st_mtim)) >= Self.notAJobSeconds {
                        let note = Telemetry.Note(job: folder.path, reason: isFolder ? "not a job: it has no \(JobFolder.manifestName)"
                                                                                  : "not a job: a job is a folder holding \(JobFolder.manifestName)")
                        result.notJobs.append(note)
                        if lock.withLock({ reported.insert(folder.path).inserted }) { result.newlyNotJobs.append(note) }
                    }
                    continue
                }
                let modified = Self.date(manifest.st_mtim)
                if lock.withLock({ announced.contains(folder.path) }) || Date().timeIntervalSince(modified) >= Self.settleSeconds {
                    found.append((folder, inbox, modified))
                } else {
                    unsettled = true
                }
            }
        }
        result.ready = found.sorted { ($0.2, $0.0.path) < ($1.2, $1.0.path) }.map { ($0.0, $0.1) }
        return result
    }

    private static func date(_ time: timespec) -> Date {
        Date(timeIntervalSince1970: Double(time.tv_sec) + Double(time.tv_nsec) / 1e9)
    }
}
