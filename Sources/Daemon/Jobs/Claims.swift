import Engine
import Foundation

/// A job's way from its inbox to its outbox, one durable step at a time, on whichever
/// filesystems the inbox, the state folder and the outbox are:
///
/// 1. claim: the record is written, then the job is renamed within its inbox to
///    `.claimed.<owner>.<job>`: a rename on one filesystem, which only one daemon wins;
/// 2. bring: the job is moved to `state/processing/<job>` (copied, synced and renamed when
///    the state is on another filesystem; the inbox's copy removed only after that);
/// 3. render into `outbox/.<job>.<owner>.partial/`, named in the record before it is made;
/// 4. file: the job's own files are moved (or copied, likewise) into the partial folder as
///    `inputs/`, the partial folder renamed to `outbox/<job>`, and the records removed.
///
/// `owner` is this state folder's id, so daemons with different state folders that share an
/// inbox or an outbox never touch what the other leaves there. `recover` finishes or undoes
/// whatever step a crash cut short, from the records alone: no job is lost or done twice.
struct Claims {
    let processing: URL
    let owner: String

    /// Claims `folder` from `inbox`; nil if another daemon claimed it first (or it went away).
    func claim(_ folder: URL, from inbox: Config.Inbox) throws -> (folder: URL, claim: Claim)? {
        let name = folder.lastPathComponent
        let target = FileSystem.freeName(in: processing, name: name) {
            FileSystem.exists($0) || FileSystem.exists(URL(fileURLWithPath: Claim.Files(of: $0).claim))
        }
        let files = Claim.Files(of: target)
        let waiting = inbox.path.appendingPathComponent(".claimed.\(owner).\(Claim.key(name))")
        let claim = Claim(inbox: inbox.path.path, name: name, source: waiting.path, partial: nil, crashes: 0)
        try claim.write(to: files.claim)
        do { try FileSystem.move(folder, to: waiting) } catch {
            unlink(files.claim)
            return nil
        }
        do { try FileSystem.relocate(waiting, to: target) } catch {
            // Back to the inbox as it was; the job is claimed again when it can be brought over.
            if (try? FileSystem.move(waiting, to: folder)) != nil { unlink(files.claim) }
            throw error
        }
        return (target, claim)
    }

    /// Names the job's partial folder in its record, then makes it.
    func makePartial(for job: URL, claim: inout Claim, outbox: URL) throws -> URL {
        if let existing = claim.partial.map(URL.init(fileURLWithPath:)), FileSystem.isDirectory(existing) { return existing }
        let partial = FileSystem.freeName(in: outbox, name: ".\(Claim.key(claim.name ?? job.lastPathComponent)).\(owner).partial")
        claim.partial = partial.path
        try claim.write(to: Claim.Files(of: job).claim)
        guard mkdir(partial.path, 0o755) == 0 else { throw FileError.system(partial.path, "cannot create folder") }
        return partial
    }

    /// Moves the job's files into its partial folder as `inputs/` and renames that folder to
    /// its final name in `outbox`. Returns where it went.
    func file(_ job: URL, claim: Claim, partial: URL, outbox: URL) throws -> URL {
        try FileSystem.relocate(job, to: partial.appendingPathComponent("inputs"))
        let filed = try FileSystem.moveUnique(partial, into: outbox, name: claim.name ?? job.lastPathComponent)
        if let copy = Claim.read(Claim.Files(of: job).claim)?.slurm?.copy { WorkCopy(job: URL(fileURLWithPath: copy)).remove() }
        Claim.Files(of: job).remove()
        return filed
    }

    /// After an abrupt stop: each step a crash cut short is finished or undone. Returns what it
    /// did, for the log.
    func recover(inboxes: [Config.Inbox]) -> [String] {
        var done: [String] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: processing.path)) ?? []
        let jobs = names.filter { !$0.hasPrefix(".") }
        var recorded: Set<String> = []
        for job in jobs {
            let folder = processing.appendingPathComponent(job)
            guard let claim = Claim.read(Claim.Files(of: folder).claim) else { continue }
            recorded.insert(Claim.Files(of: folder).claim)
            if let source = claim.source, FileSystem.exists(URL(fileURLWithPath: source)) {
                try? FileManager.default.removeItem(atPath: source)  // brought over: the inbox's copy is spare
            }
            if let partial = claim.partial.map(URL.init(fileURLWithPath:)), FileSystem.exists(partial.appendingPathComponent("inputs")),
               let outbox = outbox(of: claim, inboxes) {
                // Filed but for the last rename: the inputs are safe in the partial folder.
                try? FileManager.default.removeItem(at: folder)
                if let filed = try? FileSystem.moveUnique(partial, into: outbox, name: claim.name ?? job) {
                    done.append("filed \(filed.path), finished before the interruption")
                }
            }
        }
        // Records whose job is not in processing: a claim cut before the job arrived, or a filing.
        for name in names where name.hasSuffix(".claim") && !recorded.contains(processing.appendingPathComponent(name).path) {
            let record = processing.appendingPathComponent(name).path
            if let claim = Claim.read(record) {
                if let source = claim.source.map(URL.init(fileURLWithPath:)), FileSystem.exists(source),
                   let inbox = inboxes.first(where: { $0.path.path == claim.inbox }),
                   let back = try? FileSystem.moveUnique(source, into: inbox.path, name: claim.name ?? source.lastPathComponent) {
                    done.append("returned \(back.path) to its inbox: its claim was interrupted")
                }
                if let partial = claim.partial.map(URL.init(fileURLWithPath:)), FileSystem.exists(partial) {
                    if FileSystem.exists(partial.appendingPathComponent("inputs")), let outbox = outbox(of: claim, inboxes),
                       let filed = try? FileSystem.moveUnique(partial, into: outbox, name: claim.name ?? partial.lastPathComponent) {
                        done.append("filed \(filed.path), finished before the interruption")
                    } else {
                        try? FileManager.default.removeItem(at: partial)
                    }
                }
            }
        }
        // What is left: records of jobs no longer here, and copies or writes cut short.
        let remaining = Set(((try? FileManager.default.contentsOfDirectory(atPath: processing.path)) ?? []).filter { !$0.hasPrefix(".") })
        for name in names where name.hasPrefix(".") && !(Claim.job(ofRecord: name).map { job in remaining.contains { Claim.key($0) == job } } ?? false) {
            try? FileManager.default.removeItem(at: processing.appendingPathComponent(name))
        }
        return done + recoverPartials(inboxes: inboxes)
    }

    /// This daemon's partial folders that no record names: finished ones are filed, others
    /// (the outputs of a render that cannot resume) removed. Other daemons' are left alone.
    private func recoverPartials(inboxes: [Config.Inbox]) -> [String] {
        var named: Set<String> = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: processing.path)) ?? [] where name.hasSuffix(".claim") {
            if let partial = Claim.read(processing.appendingPathComponent(name).path)?.partial { named.insert(partial) }
        }
        var done: [String] = []
        for outbox in Set(inboxes.map(\.outbox)) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: outbox.path)) ?? [] {
                guard let job = job(ofPartial: name) else { continue }
                let partial = outbox.appendingPathComponent(name)
                if FileSystem.exists(partial.appendingPathComponent("inputs")) {
                    if let filed = try? FileSystem.moveUnique(partial, into: outbox, name: job) { done.append("filed \(filed.path), finished before the interruption") }
                } else if !named.contains(partial.path) {
                    try? FileManager.default.removeItem(at: partial)
                }
            }
        }
        return done
    }

    /// The job a partial folder's name belongs to, if the folder is this daemon's.
    func job(ofPartial name: String) -> String? {
        guard name.hasPrefix("."), let range = name.range(of: ".\(owner).partial", options: .backwards) else { return nil }
        let rest = name[range.upperBound...]
        guard rest.isEmpty || (rest.hasPrefix("-") && Int(rest.dropFirst()) != nil) else { return nil }
        return String(name[name.index(after: name.startIndex)..<range.lowerBound])
    }

    private func outbox(of claim: Claim, _ inboxes: [Config.Inbox]) -> URL? {
        inboxes.first { $0.path.path == claim.inbox }?.outbox
    }
}
