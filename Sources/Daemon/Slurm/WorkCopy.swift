import Engine
import Foundation

/// A claimed job's copy in the Slurm work folder, which the nodes see: `work/jobs/<token>/job`,
/// its checkpoint and the worker's files beside it as a claimed job's records are
/// (`.job.checkpoint`, `.job.slurm/`). The claimed job itself stays in the state folder, the
/// daemon's record of it. Nothing else writes in the token's folder, so plain renames do:
/// the work folder needs no atomic no-replace rename, which NFS lacks.
struct WorkCopy {
    let job: URL

    var folder: URL { job.deletingLastPathComponent() }
    var files: Claim.Files { Claim.Files(of: job) }
    var worker: WorkerOutcome.File { WorkerOutcome.File(slurmFolder: URL(fileURLWithPath: files.slurm)) }

    /// Where a new copy goes: a folder under a random token.
    static func place(in work: URL) -> WorkCopy {
        WorkCopy(job: work.appendingPathComponent("jobs").appendingPathComponent(String(UInt64.random(in: 0...UInt64.max), radix: 16)).appendingPathComponent("job"))
    }

    /// Copies the claimed job here (with its record, from which the worker reads the job's
    /// name) unless the copy is whole already: it is made under another name, then renamed,
    /// so that one cut short by a crash is simply made again.
    func make(from claimed: URL, claim: Claim) throws {
        guard !FileSystem.exists(job) else { return }
        let incoming = folder.appendingPathComponent(".job.incoming")
        try? FileManager.default.removeItem(at: incoming)
        try createFolder(folder)
        try FileSystem.copyTree(claimed.path, to: incoming.path)
        try claim.write(to: files.claim)
        guard rename(incoming.path, job.path) == 0 else { throw FileError.system(job.path, "cannot rename the job's copy into place") }
    }

    /// Removes the copy and everything beside it, once the job is filed.
    func remove() { try? FileManager.default.removeItem(at: folder) }
}
