/// A Slurm job's number, as `sbatch --parsable` prints it and the other commands take it.
struct SlurmJobID: Hashable, Sendable, CustomStringConvertible {
    let value: UInt32

    init(_ value: UInt32) { self.value = value }

    /// "1234", or "1234;cluster" as `--parsable` prints it on a federated cluster.
    init?(_ text: Substring) {
        guard let value = UInt32(text.split(separator: ";", maxSplits: 1).first ?? "") else { return nil }
        self.value = value
    }

    var description: String { String(value) }
}

/// A job's `JobState`. The daemon acts on the states issue 13 names; the rest it only shows.
enum SlurmJobState: Equatable, Sendable, CustomStringConvertible {
    case pending, running, suspended, completing, completed, cancelled, failed, timeout
    case nodeFail, preempted, requeued, bootFail, deadline, outOfMemory
    case unknown(String)

    init(_ text: String) {
        switch text {
        case "PENDING": self = .pending
        case "RUNNING": self = .running
        case "SUSPENDED": self = .suspended
        case "COMPLETING": self = .completing
        case "COMPLETED": self = .completed
        case "CANCELLED": self = .cancelled
        case "FAILED": self = .failed
        case "TIMEOUT": self = .timeout
        case "NODE_FAIL": self = .nodeFail
        case "PREEMPTED": self = .preempted
        case "REQUEUED": self = .requeued
        case "BOOT_FAIL": self = .bootFail
        case "DEADLINE": self = .deadline
        case "OUT_OF_MEMORY": self = .outOfMemory
        default: self = .unknown(text)
        }
    }

    /// The job has ended and will not run again by itself: its outcome is known.
    /// COMPLETING is not one (its processes are still being reaped), nor REQUEUED or
    /// PREEMPTED, after which Slurm may run it again.
    var isFinal: Bool {
        switch self {
        case .completed, .cancelled, .failed, .timeout, .nodeFail, .preempted, .bootFail, .deadline, .outOfMemory: true
        default: false
        }
    }

    var description: String {
        switch self {
        case .pending: "PENDING"
        case .running: "RUNNING"
        case .suspended: "SUSPENDED"
        case .completing: "COMPLETING"
        case .completed: "COMPLETED"
        case .cancelled: "CANCELLED"
        case .failed: "FAILED"
        case .timeout: "TIMEOUT"
        case .nodeFail: "NODE_FAIL"
        case .preempted: "PREEMPTED"
        case .requeued: "REQUEUED"
        case .bootFail: "BOOT_FAIL"
        case .deadline: "DEADLINE"
        case .outOfMemory: "OUT_OF_MEMORY"
        case .unknown(let text): text
        }
    }
}

/// `ExitCode=status:signal`: the batch script's exit status, or the signal that ended it
/// (a cancelled job shows 0:15).
struct SlurmExitCode: Equatable, Sendable, CustomStringConvertible {
    var status: Int32
    var signal: Int32

    init(status: Int32, signal: Int32) {
        self.status = status
        self.signal = signal
    }

    init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let status = Int32(parts[0]), let signal = Int32(parts[1]) else { return nil }
        self.init(status: status, signal: signal)
    }

    var description: String { "\(status):\(signal)" }
}

/// One job as `scontrol show job -o` describes it.
struct SlurmJobInfo: Sendable {
    var id: SlurmJobID
    var state: SlurmJobState
    /// Why it waits or why it ended (`Resources`, `PartitionConfig`, `NonZeroExitCode`…);
    /// nil for Slurm's `None`.
    var reason: String?
    /// The node it runs or ran on; nil while it waits.
    var nodeList: String?
    var exitCode: SlurmExitCode
    /// Every field as scontrol printed it, for what the daemon only shows (RunTime,
    /// StartTime, Restarts…).
    var fields: [String: String]

    /// The record of job `id` in `scontrol show job -o` output (one line a job), or nil
    /// when the output holds no well-formed record of it.
    init?(scontrolOutput output: String, id: SlurmJobID) {
        for line in output.split(separator: "\n") {
            let fields = Self.fields(of: line)
            guard fields["JobId"] == id.description else { continue }
            guard let state = fields["JobState"], let exitCode = fields["ExitCode"].flatMap(SlurmExitCode.init) else { return nil }
            self.id = id
            self.state = SlurmJobState(state)
            self.reason = fields["Reason"].flatMap { $0 == "None" || $0.isEmpty ? nil : $0 }
            self.nodeList = fields["NodeList"].flatMap { $0 == "(null)" || $0.isEmpty ? nil : $0 }
            self.exitCode = exitCode
            self.fields = fields
            return
        }
        return nil
    }

    /// The `Key=value` fields of one line. Most values hold no space, but a few are free
    /// text that may hold spaces and even `Key=` (JobName, Command, WorkDir, Comment, StdOut):
    /// a word that does not start with a key continues the value before it, and so does a
    /// key seen already. The fields the daemon reads come before all free text but JobName,
    /// which the daemon chooses itself.
    static func fields(of line: Substring) -> [String: String] {
        var fields: [String: String] = [:]
        var current: String?
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if let equals = word.firstIndex(of: "="), isKey(word[..<equals]), fields[String(word[..<equals])] == nil {
                current = String(word[..<equals])
                fields[String(word[..<equals])] = String(word[word.index(after: equals)...])
            } else if let current {
                fields[current, default: ""] += " " + word
            }
        }
        // scontrol puts two spaces after some free-text values (Comment), and one at the line's end.
        return fields.mapValues { value in
            var value = value
            while value.last == " " { value.removeLast() }
            return value
        }
    }

    /// scontrol's keys: letters, digits, `_`, and `:` or `/` in a few (`AllocNode:Sid`, `CPUs/Task`).
    private static func isKey(_ text: Substring) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_:/".contains($0)) }
    }
}
