import Foundation

/// A Slurm command that did not do what was asked. The daemon tells two kinds apart: the
/// controller not answering (`isControllerDown`), which pauses intake and fails no job, and
/// everything else, which is about the job or the configuration.
enum SlurmError: Error, Equatable, CustomStringConvertible {
    /// The command did not finish within `seconds` and was killed.
    case timedOut(command: String, seconds: Double)
    /// The command gave up on reaching slurmctld by itself (sbatch and scancel after about
    /// 9 s, scontrol after about 18 s), saying so in `message`.
    case controllerUnreachable(command: String, message: String)
    /// Slurm refused: `message` is the command's own stderr (e.g. "sbatch: error: Batch job
    /// submission failed: Invalid partition name specified").
    case rejected(command: String, status: Int32, message: String)
    /// The command could not be started at all; `code` is the errno (ENOENT: not installed).
    case launchFailed(command: String, code: Int32)
    /// The command succeeded but printed something this client cannot read.
    case unreadableOutput(command: String, output: String)

    var isControllerDown: Bool {
        switch self {
        case .timedOut, .controllerUnreachable: true
        default: false
        }
    }

    var description: String {
        switch self {
        case .timedOut(let command, let seconds):
            "`\(command)`: the Slurm controller is not answering (no reply within \(seconds) s)"
        case .controllerUnreachable(let command, let message):
            "`\(command)`: the Slurm controller is not answering: \(message)"
        case .rejected(let command, let status, let message):
            "`\(command)` failed with status \(status)" + (message.isEmpty ? "" : ": \(message)")
        case .launchFailed(let command, let code):
            "cannot run `\(command)`: \(String(cString: strerror(code)))"
        case .unreadableOutput(let command, let output):
            "`\(command)` printed what is not understood: \(output.prefix(300))"
        }
    }

    /// Slurm's texts for "the controller did not answer": a refused or timed-out connection.
    /// Anything else on stderr is Slurm's answer.
    static let unreachableMessages = [
        "Unable to contact slurm controller",
        "Socket timed out on send/recv operation",
        "Communication connection failure",
    ]
}
