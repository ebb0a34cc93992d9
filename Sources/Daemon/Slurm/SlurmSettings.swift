import Foundation
import TOMLKit

/// The configuration's `[slurm]` table: where and how the daemon submits renders when
/// `executor = "slurm"`.
struct SlurmSettings: Equatable {
    var partition: String?
    var account: String?
    /// The worker's threads (`--cpus-per-task`).
    var cpusPerTask: Int
    /// `--mem`, e.g. "8G".
    var memory: String?
    /// `--time`, e.g. "02:00:00". A longer render runs as a chain of Slurm jobs.
    var timeLimit: String?
    var extraArgs: [String]
    /// Slurm jobs at once; `jobs_at_once` stays the local executor's.
    var maxInFlight: Int
    /// A folder every node sees: copies of the claimed jobs, their checkpoints and outputs, the
    /// Slurm logs. Each job's files are in a folder of their own, named by a random token, and
    /// are replaced only by renames within it: no atomic no-replace rename is needed (NFS lacks it).
    var work: URL
    /// Seconds between looks at a Slurm job's state.
    var pollSeconds: Double
    /// Seconds before a Slurm command that does not answer is given up.
    var commandSeconds: Double
    /// Seconds before the time limit at which the worker is told (USR1) to checkpoint and end.
    var signalSeconds: Int
    /// The `styled` binary as the nodes see it.
    var styled: String

    init(table: TOMLTable, file: String) throws {
        func fail(_ field: String, _ reason: String) -> ConfigError { ConfigError(file: file, field: "slurm.\(field)", reason: reason) }
        let known: Set<String> = ["partition", "account", "cpus_per_task", "memory", "time_limit", "extra_args", "max_in_flight",
                                  "work", "poll_seconds", "command_seconds", "signal_seconds", "styled"]
        if let unknown = table.keys.first(where: { !known.contains($0) }) { throw fail(unknown, "unknown key") }
        func number(_ key: String) -> Double? { table[key].flatMap { $0.double ?? $0.int.map(Double.init) } }
        guard let work = table["work"]?.string, work.hasPrefix("/") else {
            throw fail("work", "needs an absolute path on storage that every node sees")
        }
        self.work = URL(fileURLWithPath: work)
        partition = table["partition"]?.string
        account = table["account"]?.string
        memory = table["memory"]?.string
        timeLimit = table["time_limit"]?.string
        cpusPerTask = table["cpus_per_task"]?.int ?? 1
        maxInFlight = table["max_in_flight"]?.int ?? 4
        pollSeconds = number("poll_seconds") ?? 10
        commandSeconds = number("command_seconds") ?? 30
        signalSeconds = table["signal_seconds"]?.int ?? 120
        styled = table["styled"]?.string ?? (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let args = table["extra_args"].map { $0.array?.map(\.string) ?? [nil] } ?? []
        guard args.allSatisfy({ $0 != nil }) else {
            throw fail("extra_args", "must be a list of strings")
        }
        extraArgs = args.compactMap { $0 }
        guard cpusPerTask >= 1, maxInFlight >= 1, pollSeconds > 0, commandSeconds > 0, signalSeconds >= 0 else {
            throw fail("cpus_per_task", "counts and intervals must be positive")
        }
    }
}
