import Engine
import Foundation

/// A claimed job's records beside it in `state/processing/`, each named after the job:
///   `.<job>.claim`       where it came from, where its outputs go, how often it crashed;
///   `.<job>.checkpoint`  the render's last checkpoint (see `SavedRender`);
///   `.<job>.running`     present while a render of it runs. Found at the start of the next
///                        render, it means the last one never ended: a crash, a kill or a
///                        hang. Removing it needs no disk space, so even a full disk allows
///                        a clean stop to be told from a crash.
/// The claim record is written before each step it describes (see `Claims`), so that after
/// a crash the record alone says which step was reached.
struct Claim: Codable {
    /// The inbox the job was claimed from; its outbox receives the job.
    var inbox: String
    /// The job's name as dropped (the folder in `processing/` may carry a `-N` suffix).
    var name: String?
    /// Where the job waited in its inbox, claimed but not yet brought to the state folder.
    var source: String?
    /// The job's partial output folder in that outbox.
    var partial: String?
    /// Renders of this job that never ended.
    var crashes: Int
    /// With the Slurm executor: the Slurm job rendering it now, and how often it failed there.
    var slurm: SlurmAttempt?

    struct Files {
        let claim: String, checkpoint: String, running: String
        /// Only in a job's copy in the Slurm work folder (`WorkCopy`): the worker's outputs and outcome.
        let slurm: String

        init(of job: URL) {
            let prefix = job.deletingLastPathComponent().appendingPathComponent(".\(Claim.key(job.lastPathComponent))").path
            (claim, checkpoint, running, slurm) = (prefix + ".claim", prefix + ".checkpoint", prefix + ".running", prefix + ".slurm")
        }

        /// Removes them all, the job's time in processing over.
        func remove() { for record in [claim, checkpoint, running] { unlink(record) } }
    }

    /// The job's name where a prefix or suffix is added to it (records, the partial folder):
    /// a name near the 255-byte limit is cut, with a hash of the whole to keep it unique.
    static func key(_ name: String) -> String {
        guard name.utf8.count > 200 else { return name }
        var cut = Substring(name)
        while cut.utf8.count > 180 { cut = cut.dropLast() }
        return cut + "~" + SHA256.hex(Array(name.utf8)).prefix(12)
    }

    static func read(_ path: String) -> Claim? {
        (try? readRegularFile(path, maxBytes: 1 << 20)).flatMap { try? JSONDecoder().decode(Claim.self, from: Data($0)) }
    }

    func write(to path: String) throws {
        try writeFileAtomically(Array(try JSONEncoder().encode(self)), to: path, durable: true)
    }

    /// The job a record's file name belongs to, or nil if the name is not a record's.
    static func job(ofRecord name: String) -> String? {
        guard name.hasPrefix("."), let suffix = [".claim", ".checkpoint", ".running"].first(where: name.hasSuffix) else { return nil }
        return String(name.dropFirst().dropLast(suffix.count))
    }
}

/// Why a job is failed without rendering it again.
struct RenderKeptFailing: Error, CustomStringConvertible {
    var crashes: Int
    var lastCheckpoint: Int?

    var description: String {
        "rendering this job was interrupted \(crashes) times without finishing (the renderer crashed, was killed or hung)"
            + (lastCheckpoint.map { "; its last checkpoint was at iteration \($0)" } ?? "; it never reached a checkpoint")
    }
}
