import Engine
import Foundation

/// What became of a `styled work` render, as the worker leaves it in `outcome.json` for the
/// daemon: written last, so that its absence after the Slurm job ended means the worker was
/// killed or its node failed.
enum WorkerOutcome: Codable, Equatable {
    case done
    /// Stopped by a signal (the time limit near, a cancel, a preemption) after a checkpoint.
    case interrupted
    /// The job's own fault: its error.json.
    case failed([String: String])

    /// The worker's exit status when interrupted (EX_TEMPFAIL): Slurm shows it as FAILED 75:0.
    static let interruptedStatus: Int32 = 75

    /// A job's worker files in its `.<job>.slurm/` folder.
    struct File {
        let slurmFolder: URL
        var outputs: URL { slurmFolder.appendingPathComponent("out") }
        var path: String { slurmFolder.appendingPathComponent("outcome.json").path }
        func write(_ outcome: WorkerOutcome) throws {
            try writeFileAtomically(Array(try JSONEncoder().encode(outcome)), to: path, durable: true)
        }

        func read() -> WorkerOutcome? {
            (try? readRegularFile(path, maxBytes: 1 << 20)).flatMap { try? JSONDecoder().decode(WorkerOutcome.self, from: Data($0)) }
        }

        func clear() { unlink(path) }
    }
}
