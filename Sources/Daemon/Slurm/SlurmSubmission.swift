import Foundation

/// What a Slurm job runs.
enum SlurmBatch: Equatable, Sendable {
    /// A batch script file (on storage the nodes see), with its arguments.
    case script(String, arguments: [String] = [])
    /// A program and its arguments, exec'ed by the one-line script that `sbatch --wrap`
    /// writes: the program then is the batch shell, so `--signal=B:…` and
    /// `scancel --batch --signal` reach it and not a shell in between.
    case command([String])
}

/// The signal Slurm sends the batch shell `seconds` before the job's time limit
/// (`--signal=B:<name>@<seconds>`), so that a worker can checkpoint and end cleanly.
/// Slurm handles it on its periodic checks: the man page allows it up to 60 s early, and
/// limits themselves were enforced up to 30 s late here.
struct SlurmPreLimitSignal: Equatable, Sendable {
    var name = "USR1"
    var seconds: Int
}

/// sbatch's options as the daemon sets them; nil leaves a choice to the cluster's defaults.
struct SlurmSubmitOptions: Equatable, Sendable {
    var jobName: String?
    var partition: String?
    var account: String?
    var cpusPerTask: Int?
    /// `--mem`, e.g. "4G".
    var memory: String?
    /// `--time`, e.g. "02:00:00". Minutes and seconds ("10:00") or minutes ("10"): Slurm
    /// rounds it up to whole minutes.
    var timeLimit: String?
    /// `--chdir`. It must exist: sbatch accepts a missing one and the job then fails at launch.
    var workingDirectory: String?
    /// `--output`, the file for the job's stdout and stderr (Slurm's patterns such as %j work).
    var output: String?
    var preLimitSignal: SlurmPreLimitSignal?
    /// Variables for the job on top of sbatch's own environment, which the job gets whole
    /// (`--export=ALL`): they are set in sbatch's environment, so no value needs quoting
    /// for `--export`'s comma-separated list.
    var environment: [String: String] = [:]
    /// Further sbatch arguments from the configuration, after the ones above so that they
    /// win where they overlap.
    var extraArguments: [String] = []

    /// `sbatch`'s arguments, the command's name first, for `batch`. Every value goes as
    /// `--option=value`, so that a value starting with "-" is not taken for an option.
    func sbatchArguments(for batch: SlurmBatch) -> [String] {
        var arguments = ["sbatch", "--parsable", "--export=ALL"]
        let valued: [(String, String?)] = [
            ("job-name", jobName), ("partition", partition), ("account", account),
            ("cpus-per-task", cpusPerTask.map(String.init)), ("mem", memory), ("time", timeLimit),
            ("chdir", workingDirectory), ("output", output),
            ("signal", preLimitSignal.map { "B:\($0.name)@\($0.seconds)" }),
        ]
        arguments += valued.compactMap { option, value in value.map { "--\(option)=\($0)" } }
        arguments += extraArguments
        switch batch {
        case .script(let path, let scriptArguments):
            arguments += [path] + scriptArguments
        case .command(let command):
            arguments.append("--wrap=exec " + command.map(Self.shellQuoted).joined(separator: " "))
        }
        return arguments
    }

    /// `text` as one word for /bin/sh, whatever it holds.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
