import Engine
import Foundation

/// How much a job will write, per filesystem, estimated from its parameters before it is
/// claimed, so that a job that cannot fit is never claimed only to fail and be released in a
/// loop. The image is taken as square (its aspect is not known without decoding it), which
/// can only overestimate.
struct DiskNeed: CustomStringConvertible {
    /// Bytes per filesystem (by device number), with a folder on it to name in messages.
    private(set) var bytes: [UInt: (place: URL, bytes: Int)] = [:]

    /// The need of `job` claimed from `folder` (its size on disk is `inputs` bytes), whose
    /// state goes to `processing` and whose outputs go to `outbox`.
    init(job: ResolvedJob, inputs: Int, inbox: URL, processing: URL, outbox: URL) {
        let n = 3 * job.size * job.size
        // Two checkpoints at once: the next is written beside the last before replacing it. The
        // largest is of the scale whose optimiser's state is largest (a print render's top
        // scale may run Adam where the smaller ones run L-BFGS-B).
        let checkpoint = job.scales.indices.map { index in
            let values = 3 * job.scales[index].size * job.scales[index].size
            return job.settings.optimizer(atScale: index) == .adam ? 3 * 8 * values : (2 * job.history + 7) * 8 * values + 12 * values
        }.max() ?? 0
        let frames = FrameCadence(every: job.frameEvery).count(iterations: job.iterations)
        let side = min(job.animationSize, job.size)
        let animation = frames * side * side
        // Frames and the result as uncompressed samples, with room for the log and report.
        let outputs = (frames + 1) * n + animation + 400 * job.iterations + 1 << 20
        add(2 * checkpoint, at: processing)
        add(outputs, at: outbox)
        // The job's own files are copied, not renamed, where they cross to another filesystem.
        if FileSystem.device(of: inbox) != FileSystem.device(of: processing) { add(inputs, at: processing) }
        if FileSystem.device(of: processing) != FileSystem.device(of: outbox) { add(inputs, at: outbox) }
    }

    private mutating func add(_ count: Int, at place: URL) {
        guard let device = FileSystem.device(of: place) else { return }
        bytes[device, default: (place, 0)].bytes += count
    }

    /// Why the job cannot be rendered on these filesystems as they are now, or nil if it fits.
    /// `never` is true when it can never fit: it needs more than a filesystem holds in all.
    func shortfall(keepingFree reserve: Int) -> (reason: String, never: Bool)? {
        for (place, need) in bytes.values.sorted(by: { $0.place.path < $1.place.path }) {
            if let total = FileSystem.totalBytes(at: place), need > total {
                return ("it needs about \(Self.megabytes(need)) on the filesystem of \(place.path), which holds only \(Self.megabytes(total)) in all", true)
            }
            if let free = FileSystem.freeBytes(at: place), need + reserve > free {
                return ("it needs about \(Self.megabytes(need)) on the filesystem of \(place.path), where \(Self.megabytes(free)) are free" + (reserve > 0 ? " (keeping \(Self.megabytes(reserve)) free)" : ""), false)
            }
        }
        return nil
    }

    var description: String { bytes.values.map { "\(Self.megabytes($0.bytes)) at \($0.place.path)" }.sorted().joined(separator: ", ") }

    static func megabytes(_ bytes: Int) -> String { "\((bytes + 1_048_575) / 1_048_576) MB" }

    /// The bytes of the regular files below `folder`, without following links.
    static func size(of folder: URL) -> Int {
        var total = 0
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        while let file = enumerator?.nextObject() as? URL {
            if let values = try? file.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey]), values.isRegularFile == true {
                total += values.fileSize ?? 0
            }
        }
        return total
    }
}
