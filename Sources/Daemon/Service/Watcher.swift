import CInotifyTools
import Engine
import Foundation

/// Watches the inboxes with libinotifytools and turns events into hints. The library keeps
/// global state and returns events in a static buffer, so one thread makes every call and
/// copies what it needs from each event before the next. Events are hints only: the
/// inbox scan decides what is a job (events can be lost, e.g. on queue overflow).
final class Watcher {
    enum Hint: Equatable {
        /// Something arrived in an inbox or in a job folder being written; `ready` names a job
        /// folder that is complete by the event alone (moved in whole, or its manifest closed).
        case changed(inbox: String, ready: String?)
        /// The kernel's queue overflowed: rescan everything.
        case overflow
    }

    private let inboxes: [String]
    private let onHint: @Sendable (Hint) -> Void
    private let stopped = NSLock()
    private var stopRequested = false
    private var thread: Thread?
    /// Set by the watching thread before it signals `start()`, read after: no race.
    private var startFailure: String?

    /// Top-level events on an inbox, and the events on a job folder that mean its manifest is written.
    private static let inboxEvents = Int32(IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE | IN_Q_OVERFLOW)
    private static let jobFolderEvents = Int32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_MOVE_SELF | IN_DELETE_SELF)

    init(inboxes: [URL], onHint: @escaping @Sendable (Hint) -> Void) {
        self.inboxes = inboxes.map(\.path)
        self.onHint = onHint
    }

    /// Starts the watching thread; returns once the watches are in place (so a scan made after
    /// this sees everything that no event will report), or throws why they could not be.
    func start() throws {
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            startFailure = addWatches()
            ready.signal()
            if startFailure == nil { loop() }
        }
        thread.name = "inotify"
        self.thread = thread
        thread.start()
        ready.wait()
        if let startFailure { throw FileError(path: inboxes.joined(separator: ", "), reason: startFailure) }
    }

    func stop() {
        stopped.withLock { stopRequested = true }
    }

    private var shouldStop: Bool { stopped.withLock { stopRequested } }

    private func addWatches() -> String? {
        guard inotifytools_initialize() != 0 else { return "cannot initialise inotify: \(String(cString: strerror(inotifytools_error())))" }
        for inbox in inboxes where inotifytools_watch_file(inbox, Self.inboxEvents) == 0 {
            return "cannot watch \(inbox): \(String(cString: strerror(inotifytools_error())))"
        }
        return nil
    }

    private func loop() {
        var jobFolders: [Int32: (inbox: String, name: String)] = [:]
        while !shouldStop {
            guard let event = inotifytools_next_event(1) else { continue }  // 1 s, to notice stop()
            // Copy out of the library's static buffer before anything else calls into it.
            let mask = event.pointee.mask, wd = event.pointee.wd, length = Int(event.pointee.len)
            let name = length > 0
                ? String(cString: UnsafeRawPointer(event).advanced(by: MemoryLayout<inotify_event>.size).assumingMemoryBound(to: CChar.self))
                : ""
            if mask & UInt32(IN_Q_OVERFLOW) != 0 { onHint(.overflow); continue }
            if let folder = jobFolders[wd] {
                if mask & UInt32(IN_MOVE_SELF | IN_DELETE_SELF | IN_IGNORED) != 0 {
                    inotifytools_remove_watch_by_wd(wd)
                    jobFolders[wd] = nil
                } else if name == JobFolder.manifestName {
                    onHint(.changed(inbox: folder.inbox, ready: folder.name))
                }
                continue
            }
            guard let inboxPointer = inotifytools_filename_from_wd(wd) else { continue }
            let inbox = String(cString: inboxPointer).trimmingSuffix("/")
            guard !name.hasPrefix(".") else { continue }  // being written; it will be moved in
            let isFolder = mask & UInt32(IN_ISDIR) != 0
            if isFolder && mask & UInt32(IN_CREATE) != 0 {
                // A job folder filled in place: watch it for its manifest, written last.
                let watched = inotifytools_watch_file(inbox + "/" + name, Self.jobFolderEvents) != 0
                if watched { jobFolders[Int32(inotifytools_wd_from_filename(inbox + "/" + name + "/"))] = (inbox, name) }
                onHint(.changed(inbox: inbox, ready: nil))
            } else {
                onHint(.changed(inbox: inbox, ready: isFolder && mask & UInt32(IN_MOVED_TO) != 0 ? name : nil))
            }
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
