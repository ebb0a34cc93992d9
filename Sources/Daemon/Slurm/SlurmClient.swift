import Foundation

/// The Slurm commands the daemon needs (sbatch, scontrol, scancel), each run with a timeout
/// and its answer typed. It talks to whichever cluster the environment names: SLURM_CONF
/// when the configuration is not in /etc/slurm.
struct SlurmClient {
    /// The commands' environment, which a submitted job also inherits (`--export=ALL`).
    var environment: [String: String]
    /// Seconds any one command may take before it is killed and the controller taken for
    /// not answering. Above the 9 s after which sbatch gives up on a controller that is down,
    /// so that a slow but working controller is not taken for a dead one.
    var timeout: Double

    init(environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Double = 30) {
        self.environment = environment
        self.timeout = timeout
    }

    /// Submits `batch`. A refusal (an unknown partition, a bad option) throws `.rejected`
    /// with sbatch's own message.
    func submit(_ batch: SlurmBatch, options: SlurmSubmitOptions = SlurmSubmitOptions()) throws -> SlurmJobID {
        let command = TimedCommand(arguments: options.sbatchArguments(for: batch),
                                   environment: environment.merging(options.environment) { $1 }, timeout: timeout)
        let result = try run(command)
        guard let id = SlurmJobID(Substring(result.output.trimmingCharacters(in: .whitespacesAndNewlines))) else {
            throw SlurmError.unreadableOutput(command: command.text, output: result.output)
        }
        return id
    }

    /// The job as the controller knows it, or nil once it no longer does: the ID was never
    /// issued, or the job ended more than MinJobAge (300 s by default) ago.
    func jobInfo(_ id: SlurmJobID) throws -> SlurmJobInfo? {
        let command = self.command(["scontrol", "show", "job", "-o", id.description])
        do {
            let result = try run(command)
            guard let info = SlurmJobInfo(scontrolOutput: result.output, id: id) else {
                throw SlurmError.unreadableOutput(command: command.text, output: result.output)
            }
            return info
        } catch SlurmError.rejected(_, _, let message) where message.contains("Invalid job id specified") {
            return nil
        }
    }

    /// This user's jobs named `name` that the controller still knows (pending, running, or
    /// ended less than MinJobAge ago), oldest first.
    func jobs(named name: String) throws -> [SlurmJobID] {
        let result = try run(command(["squeue", "--noheader", "--me", "--states=all", "--name=\(name)", "--format=%i"]))
        return result.output.split(separator: "\n").compactMap { SlurmJobID($0.drop { $0 == " " }) }.sorted { $0.value < $1.value }
    }

    /// Cancels the job (Slurm then shows it CANCELLED). A job that has ended or is unknown
    /// is no error: scancel says nothing and succeeds.
    func cancel(_ id: SlurmJobID) throws {
        _ = try run(command(["scancel", id.description]))
    }

    /// Sends `signal` (a name such as "USR1") to the running job. With `batchShell`, only to
    /// the batch shell (a `.command` job's program itself), as `--signal=B:` does before the
    /// time limit; without, to its `srun` steps and not the batch shell. A job that has ended
    /// makes scancel fail ("Invalid job id specified").
    func signal(_ id: SlurmJobID, _ signal: String, batchShell: Bool) throws {
        _ = try run(command(["scancel"] + (batchShell ? ["--batch"] : []) + ["--signal=\(signal)", id.description]))
    }

    /// Whether the controller answers. `scontrol ping` asks it directly and says DOWN at once
    /// when nothing listens; a controller that accepts but does not reply runs into the timeout.
    func ping() throws -> Bool {
        do {
            // It exits 1 when the primary is down, even if a backup answers: the text says which.
            let result = try command(["scontrol", "ping"]).run()
            return result.output.split(separator: "\n").contains { $0.hasSuffix(" is UP") }
        } catch let error as SlurmError where error.isControllerDown {
            return false
        }
    }

    private func command(_ arguments: [String]) -> TimedCommand {
        TimedCommand(arguments: arguments, environment: environment, timeout: timeout)
    }

    /// The command's result if it exited 0; otherwise an error that says whether the
    /// controller could not be reached or Slurm refused.
    private func run(_ command: TimedCommand) throws -> TimedCommand.Result {
        let result = try command.run()
        guard result.status != 0 else { return result }
        let message = result.error.trimmingCharacters(in: .whitespacesAndNewlines)
        if SlurmError.unreachableMessages.contains(where: message.contains) {
            throw SlurmError.controllerUnreachable(command: command.text, message: message)
        }
        throw SlurmError.rejected(command: command.text, status: result.status, message: message)
    }
}
